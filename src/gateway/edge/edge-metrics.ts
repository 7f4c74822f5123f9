/**
 * The gateway edge's Prometheus metrics, for every request (governed or not):
 *
 * | metric | labels | what |
 * |---|---|---|
 * | `berth_gateway_http_requests_total` | `code_class` (`2xx` … `5xx`, `none` when no answer went out) | HTTP requests answered, counted when their connection lets go of them |
 * | `berth_gateway_rejections_total` | `reason` ({@link REJECTION_REASONS}) | requests the edge refused before any upstream saw them |
 * | `berth_gateway_upstream_latency_seconds` | — | from sending a request upstream to its response headers |
 * | `berth_gateway_open_connections` | — | client connections open now |
 * | `berth_gateway_connections_rejected_total` | `cap` (`max-connections`, `max-connections-per-address`) | connections closed as soon as they were accepted, being over a cap |
 * | `berth_gateway_requests_timed_out_total` | — | connections closed because a request did not arrive within the header / body timeouts (408) |
 * | `berth_gateway_open_streams` | — | SSE responses being relayed now |
 * | `berth_gateway_upstream_server_latency_seconds` | `server` | the latency by server; only in the operator's registry |
 *
 * They go into a registry of their own, {@link EdgeMetrics.open}, which the
 * gateway serves at `/-/metrics` without a token, so it holds no object names
 * (the registry's rule for its open /metrics): a server name would tell anyone
 * who reaches the port what discovery tells only authenticated callers. When the
 * wiring passes the operator's registry (`--metrics-port`, `berth up`'s /metrics),
 * the same metric objects are registered there too, with the per-server
 * latency beside them.
 *
 * Counts on the hot path are plain numbers read at scrape time, so a request
 * costs no label hashing; only the latency histograms are observed per answer.
 */
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why the edge refused a request. */
export const REJECTION_REASONS = ['host', 'origin', 'not-loaded', 'route-not-found', 'route-unavailable', 'method', 'unknown-session', 'too-large', 'not-json-rpc'] as const;

/** One of {@link REJECTION_REASONS}. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** The connection caps (connection-guard.ts) a refused connection was over. */
export const CONNECTION_CAPS = ['max-connections', 'max-connections-per-address'] as const;

/** One of {@link CONNECTION_CAPS}. */
export type ConnectionCap = (typeof CONNECTION_CAPS)[number];

const CODE_CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Buckets of the upstream latency: from a local upstream's sub-millisecond answer to a slow tool. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The edge's metrics; see the module comment. */
export interface EdgeMetrics {
  /** The registry `/-/metrics` serves: these metrics only, none naming an object. */
  readonly open: Registry;
  /** Counts the answer of `res`; call when its `close` event fires. */
  responded(res: ServerResponse): void;
  /** Counts a refusal of the edge. */
  rejected(reason: RejectionReason): void;
  /** Observes an upstream's time to response headers for `server`, in milliseconds. */
  upstreamAnswered(server: string, ms: number): void;
  /** An SSE response started (+1) or ended (-1). */
  streams(delta: 1 | -1): void;
  /** A connection was closed as soon as it was accepted, being over `cap`. */
  connectionRefused(cap: ConnectionCap): void;
  /** A connection was closed because its request did not arrive in time. */
  timedOut(): void;
  /** Reads the number of open client connections from `open` when scraped (the connection guard's count). */
  countConnections(open: () => number): void;
}

/**
 * Creates the edge's metrics in a new open registry, and also in `operator`
 * when given. Never registers in prom-client's global registry.
 * @example
 * const metrics = createEdgeMetrics(operatorRegistry);
 * await metrics.open.metrics(); // what /-/metrics serves
 */
export function createEdgeMetrics(operator?: Registry): EdgeMetrics {
  const open = new Registry();
  const registers = operator === undefined ? [open] : [open, operator];
  let timeouts = 0;
  let timeoutsReported = 0;
  let openStreams = 0;
  let openConnections: () => number = () => 0;

  const countClass = tally(
    'berth_gateway_http_requests_total',
    'HTTP requests the gateway answered (refusals and its own endpoints included), by status class; none: the connection closed before an answer went out.',
    'code_class',
    CODE_CLASSES,
    registers,
  );
  const countRejection = tally(
    'berth_gateway_rejections_total',
    'Requests the gateway edge refused before any upstream saw them, by reason (the governance decisions are berth_gateway_decisions_total).',
    'reason',
    REJECTION_REASONS,
    registers,
  );
  const countRefusal = tally(
    'berth_gateway_connections_rejected_total',
    'Client connections closed as soon as they were accepted, by the cap they were over (max-connections, max-connections-per-address).',
    'cap',
    CONNECTION_CAPS,
    registers,
  );
  new Counter({
    name: 'berth_gateway_requests_timed_out_total',
    help: 'Client connections closed because a request (headers, or headers and body) did not arrive within the header / body timeouts.',
    registers,
    collect() {
      this.inc(timeouts - timeoutsReported);
      timeoutsReported = timeouts;
    },
  });
  new Gauge({
    name: 'berth_gateway_open_streams',
    help: 'SSE responses the gateway is relaying now.',
    registers,
    collect() {
      this.set(openStreams);
    },
  });
  new Gauge({
    name: 'berth_gateway_open_connections',
    help: 'Client connections open to the gateway now.',
    registers,
    collect() {
      this.set(openConnections());
    },
  });
  const latency = new Histogram({
    name: 'berth_gateway_upstream_latency_seconds',
    help: 'Time from sending a request upstream to its response headers, all servers.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const byServer =
    operator === undefined
      ? undefined
      : new Histogram({
          name: 'berth_gateway_upstream_server_latency_seconds',
          help: 'Time from sending a request upstream to its response headers, by server.',
          labelNames: ['server'] as const,
          buckets: LATENCY_BUCKETS,
          registers: [operator],
        });

  return {
    open,
    responded(res) {
      const status = res.headersSent ? res.statusCode : 0;
      countClass(CODE_CLASSES[status >= 100 && status < 600 ? Math.floor(status / 100) : 0]!);
    },
    rejected: countRejection,
    upstreamAnswered(name, ms) {
      const seconds = ms / 1000;
      latency.observe(seconds);
      byServer?.observe({ server: name }, seconds);
    },
    streams(delta) {
      openStreams += delta;
    },
    connectionRefused: countRefusal,
    timedOut() {
      timeouts++;
    },
    countConnections(open) {
      openConnections = open;
    },
  };
}

/**
 * A labelled counter whose counts are plain numbers on the hot path (no label
 * hashing per request), caught up with them when scraped. Returns the function
 * that counts one for a label value.
 */
function tally<K extends string>(name: string, help: string, label: string, values: readonly K[], registers: Registry[]): (value: K) => void {
  const counts = new Map<K, number>(values.map((v) => [v, 0]));
  const reported = new Map<K, number>(values.map((v) => [v, 0]));
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, n] of counts) {
        this.inc({ [label]: value }, n - reported.get(value)!);
        reported.set(value, n);
      }
    },
  });
  return (value) => void counts.set(value, counts.get(value)! + 1);
}
