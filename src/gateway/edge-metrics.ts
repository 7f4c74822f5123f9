/**
 * Prometheus metrics of the gateway's edge (connections and requests that never
 * reach a route), in a prom-client Registry it is given (never the global one).
 * No label takes a client's address: one flood would make a series per address.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The edge's metrics. */
export interface EdgeMetrics {
  /** berth_gateway_connections_rejected_total{cap}: connections closed at once because a cap was reached. */
  rejected: Counter<'cap'>;
  /** berth_gateway_requests_timed_out_total: connections closed because a request did not arrive in time (408). */
  timedOut: Counter;
}

/** Registers the edge's metrics in `registry`; `open` is read at scrape time. */
export function createEdgeMetrics(registry: Registry, open: () => number): EdgeMetrics {
  const registers = [registry];
  new Gauge({ name: 'berth_gateway_connections_open', help: 'Client connections open now.', registers, collect() {
    this.set(open());
  } });
  return {
    rejected: new Counter({
      name: 'berth_gateway_connections_rejected_total',
      help: 'Client connections closed as soon as they were accepted, by the cap they were over (max-connections, max-connections-per-address).',
      labelNames: ['cap'] as const,
      registers,
    }),
    timedOut: new Counter({
      name: 'berth_gateway_requests_timed_out_total',
      help: 'Client connections closed because a request (headers, or headers and body) did not arrive within the header / body timeouts.',
      registers,
    }),
  };
}
