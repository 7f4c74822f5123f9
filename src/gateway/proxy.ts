/**
 * The gateway's data path: a streaming reverse proxy for MCP's streamable HTTP
 * transport, on bare node:http because it is the hot path.
 *
 * Per request, one piece each:
 * 0. the edge (edge/edge.ts): `/-/` probes and metrics, the Host and Origin
 *    checks (421 / 403), CORS preflights and headers — before anything else,
 *    governed or not;
 * 1. choose the route (choose-route.ts): 404 / 503 JSON-RPC errors naming the
 *    server and its condition;
 * 2. open the request's sealed session id (session-ids.ts): it names the
 *    endpoint holding the session and the upstream's own id; one this gateway
 *    did not issue for this server, or whose endpoint is gone, gets 404 (start a
 *    new session);
 * 3. read a POST body within the server's limit (request-body.ts; above it 413,
 *    which the client reads before the connection closes: oversized-body.ts)
 *    and parse it as JSON-RPC once (proxied-request.ts; 400 when it is not JSON);
 * 4. run the {@link GatewayStep}s (step-runner.ts);
 * 5. forward to the session's endpoint (else round-robin) over a keep-alive pool and stream the
 *    answer back without buffering (forward.ts): `application/json` and
 *    `text/event-stream` bodies are relayed chunk by chunk (relay.ts; SSE headers
 *    leave at once when no event came with them). Only when a step transforms
 *    responses is a JSON body buffered (it is one message) or an SSE stream
 *    re-framed event by event (response-transform.ts). A silent SSE stream gets
 *    `: keepalive` comments (sse-keepalive.ts). The upstream's session id is
 *    replaced by a sealed one on the way back (session-response.ts).
 *
 * Per server (the route, from its manifest's `spec.gateway` or the route
 * table's defaults): the largest body, and how long it may take to answer.
 *
 * Failure rules (never a hang; upstream-failure.ts):
 * - upstream refuses, resets, or dies before answering → 502 with a JSON-RPC error
 *   (id of the request when there is one); no headers (or, for an answer that is
 *   not an SSE stream, not all of it) within the server's upstream timeout → 504;
 * - upstream dies mid-SSE-stream → a JSON-RPC error event is written for each
 *   request of the POST (so the client's pending calls fail at once), then the
 *   stream ends; mid-JSON-body → the client connection is destroyed;
 * - the client goes away → the upstream request is aborted.
 *
 * POST bodies are always parsed (the later steps need the messages), but the
 * original bytes are forwarded untouched unless a step replaced the messages.
 *
 * With `governance` (governed-request.ts, governance/): the endpoints that are
 * not MCP routes (OAuth protected resource metadata, discovery) are served
 * first; a request is admitted before anything of it is read or forwarded; every
 * message of a POST is decided; an unknown route or a server not available now
 * is explained only to an authenticated caller; the caller's credential is never
 * forwarded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { chooseRoute } from './choose-route.ts';
import { Edge, type EdgeOptions } from './edge/edge.ts';
import { createEdgeMetrics, type EdgeMetrics } from './edge/edge-metrics.ts';
import type { Governance } from './governance/governance.ts';
import { admitGoverned, answerGovernedMiss } from './governed-request.ts';
import { sendError } from './error-response.ts';
import { GatewayErrorCode } from './json-rpc.ts';
import { DEFAULT_EDGE_LIMITS } from './limits.ts';
import type { GatewayStep } from './pipeline.ts';
import { ProxiedRequest, type ProxyParts } from './proxied-request.ts';
import { readRequestBody } from './request-body.ts';
import type { RouteTable } from './route-table.ts';
import { SessionIds, sessionMissMessage } from './session-ids.ts';
import { SessionKeys } from './session-keys.ts';
import { SseKeepalive } from './sse-keepalive.ts';
import { StepRunner } from './step-runner.ts';
import { TrustedProxies } from './trusted-proxies.ts';
import { createUpstreamPool } from './upstream.ts';
import type { AddressCheck } from '../kit/guarded-connect.ts';
import { RemoteAddressRule, type RemoteAddressPolicy } from '../manifest/remote-address.ts';
import { UpstreamCredentials, type SecretResolver } from './upstream-credentials.ts';

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  routeTable: RouteTable;
  logger: Logger;
  /** Steps run on every request, in order. Default none (pure pass-through). */
  steps?: readonly GatewayStep[];
  /** An SSE response silent this long gets a `: keepalive` comment. Default 15 s. (Body size and upstream timeout are per server: see RouteTable.) */
  sseKeepaliveMs?: number;
  /** Extra request headers to forward (lower case), e.g. `['authorization']`. Default none. */
  forwardHeaders?: readonly string[];
  /** Keep-alive pool size per upstream host:port. Default 256. */
  maxSocketsPerUpstream?: number;
  /**
   * The keys that seal the session ids clients hold (session-seal.ts); the same on
   * every replica, so any of them serves any session. Default: a random key of
   * this proxy, whose sessions then live only as long as it does.
   */
  sessionKeys?: SessionKeys;
  /**
   * Peers (e.g. the ALB's subnets) whose X-Forwarded-For/-Host/-Proto and Forwarded
   * headers are kept and appended to; from others they are replaced. Default none.
   */
  trustedProxies?: TrustedProxies;
  /**
   * Reads the servers' credential references (`spec.remote.headers`,
   * `spec.runtime.headers`). Absent: servers with credentials are unavailable (503).
   */
  resolveSecret?: SecretResolver;
  /**
   * When held credentials are read again: in the background every `intervalMs`
   * (default 5 min), and after the server answers 401 when they are at least
   * `after401Ms` old (default 10 s).
   */
  secretRefresh?: { intervalMs?: number; after401Ms?: number };
  /**
   * The governed path (identity, policy, approvals, audit; src/gateway/governance).
   * Absent: an open pass-through, for tests and the "plain routing" benchmark baseline.
   */
  governance?: Governance;
  /**
   * The edge's Host, Origin and CORS rules (edge/edge.ts). Default: the listen
   * address and, over loopback, the loopback names; no CORS.
   */
  edge?: EdgeOptions;
  /**
   * The operator's prom-client Registry: the edge's metrics go there too, with the
   * per-server upstream latency. `/-/metrics` serves the edge's own, name-free ones.
   */
  metrics?: Registry;
  /**
   * Which addresses the connections to servers hosted elsewhere (`spec.remote`) may
   * go to, checked after DNS resolution at connect time (manifest/remote-address.ts).
   * Default: the default rule (no loopback, link-local, metadata; no allow-list).
   */
  remoteAddresses?: RemoteAddressPolicy;
}

/** A proxy: a node:http request listener plus its upstream connection pools. */
export interface Proxy {
  /** Request listener for `http.createServer`. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The edge's metrics: the server that `handle` listens on reports its connections, refusals and timeouts here. */
  readonly metrics: EdgeMetrics;
  /** Closes the upstream keep-alive pools (in-flight requests are destroyed) and stops the SSE keep-alive. */
  close(): Promise<void>;
}

const ALLOW = 'GET, POST, DELETE';

/** The remote-address rule as the guarded pools' check; a refusal fails the exchange, whose failure is logged with it (upstream-failure.ts). */
function remoteCheck(rule: RemoteAddressRule): AddressCheck {
  return (target, address) => rule.refuseConnection(target.hostname, target.port, address, target.protocol)?.message;
}

/**
 * Creates the proxy. See the module comment for the behaviour.
 * @example
 * const proxy = createProxy({ routeTable, logger });
 * http.createServer(proxy.handle).listen(8080);
 */
export function createProxy(opts: ProxyOptions): Proxy {
  const table = opts.routeTable;
  const governance = opts.governance;
  const metrics = createEdgeMetrics(opts.metrics);
  const edge = new Edge(opts.edge ?? {}, { routeTable: table, metrics, logger: opts.logger });
  const parts: ProxyParts = {
    steps: new StepRunner(opts.steps ?? [], opts.logger),
    pool: createUpstreamPool({ connectionsPerOrigin: opts.maxSocketsPerUpstream ?? 256, remoteCheck: remoteCheck(new RemoteAddressRule(opts.remoteAddresses)) }),
    sessions: new SessionIds({ keys: opts.sessionKeys ?? SessionKeys.random() }),
    logger: opts.logger,
    keepalive: new SseKeepalive(opts.sseKeepaliveMs ?? DEFAULT_EDGE_LIMITS.sseKeepaliveMs),
    // The caller's credential is the gateway's to check, never the upstream's to see.
    forwardHeaders: (opts.forwardHeaders ?? []).filter((h) => governance === undefined || (h !== 'authorization' && h !== 'cookie')),
    governance,
    metrics,
    trustedProxies: opts.trustedProxies ?? TrustedProxies.NONE,
    credentials: new UpstreamCredentials({
      resolveSecret: opts.resolveSecret,
      logger: opts.logger,
      ...(opts.secretRefresh?.intervalMs !== undefined ? { refreshMs: opts.secretRefresh.intervalMs } : {}),
      ...(opts.secretRefresh?.after401Ms !== undefined ? { minRefreshMs: opts.secretRefresh.after401Ms } : {}),
    }),
  };
  const readBody = (r: ProxiedRequest): void => readRequestBody(r.req, r.route.maxRequestBodyBytes, r);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q);
    if (edge.screen(req, res, pathname)) return; // answered by the edge
    if (governance !== undefined) {
      if (governance.serveSpecial(req, res, pathname, query)) return;
      if (table.synced) {
        const found = table.lookup(pathname, req.headers.host);
        if (found === undefined || !found.routable) {
          metrics.rejected(found === undefined ? 'route-not-found' : 'route-unavailable');
          void answerGovernedMiss(governance, req, res, pathname, query, found);
          return;
        }
      }
    }
    const route = chooseRoute(table, pathname, req.headers.host, res, metrics);
    if (route === undefined) return; // answered
    const method = req.method;
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      metrics.rejected('method');
      sendError(res, 405, GatewayErrorCode.InvalidRequest, `method ${method} is not allowed on an MCP endpoint; use ${ALLOW}`, null, { allow: ALLOW });
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const session = sessionId === undefined ? undefined : parts.sessions.lookup(route, sessionId as string);
    const r = new ProxiedRequest(parts, req, res, route, query);
    if (governance !== undefined) {
      // Only an authenticated caller learns whether its session is known (admission decides).
      void admitGoverned(r, governance, session, readBody);
      return;
    }
    if (session !== undefined) {
      if (session.kind !== 'open') {
        metrics.rejected('unknown-session');
        sendError(res, 404, GatewayErrorCode.SessionNotFound, sessionMissMessage(route.name, session), null);
        return;
      }
      r.session = session;
    }
    if (method === 'POST') readBody(r);
    else r.proceed();
  }

  return {
    handle,
    metrics,
    close: () => {
      parts.keepalive.close();
      return parts.pool.close();
    },
  };
}
