/**
 * Prometheus metrics of the governed gateway, in a prom-client Registry it is
 * given (never the global one): every decision counted by server, tool, verdict
 * and reason code, as controller-runtime counts every reconcile. Labels are
 * bounded: servers and declared tools come from the registry, an undeclared
 * tool counts as `(undeclared)`, and agents are never a label.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's metrics. */
export interface GatewayMetrics {
  /** berth_gateway_decisions_total{server,tool,decision,code} */
  decisions: Counter<'server' | 'tool' | 'decision' | 'code'>;
  /** berth_gateway_requests_total{server,status}: HTTP requests answered. */
  requests: Counter<'server' | 'status'>;
  /** berth_gateway_request_duration_seconds{server}: admission to the end of the answer. */
  duration: Histogram<'server'>;
  /** berth_gateway_upstream_errors_total{server,kind}: upstream failures (refused, reset, timeout, broken stream). */
  upstreamErrors: Counter<'server' | 'kind'>;
}

/** Registers the gateway's metrics in `registry`; `auditBuffered` is read at scrape time. */
export function createGatewayMetrics(registry: Registry, auditBuffered: () => number): GatewayMetrics {
  const registers = [registry];
  new Gauge({ name: 'berth_gateway_audit_buffered', help: 'Audit records waiting to be persisted.', registers, collect() {
    this.set(auditBuffered());
  } });
  return {
    decisions: new Counter({ name: 'berth_gateway_decisions_total', help: 'MCP requests decided, by server, tool, decision and reason code.', labelNames: ['server', 'tool', 'decision', 'code'] as const, registers }),
    requests: new Counter({ name: 'berth_gateway_requests_total', help: 'HTTP requests the gateway answered, by server and status.', labelNames: ['server', 'status'] as const, registers }),
    duration: new Histogram({
      name: 'berth_gateway_request_duration_seconds',
      help: 'Time from a request reaching the gateway to the end of its answer.',
      labelNames: ['server'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamErrors: new Counter({ name: 'berth_gateway_upstream_errors_total', help: 'Upstream exchanges that failed, by server and kind.', labelNames: ['server', 'kind'] as const, registers }),
  };
}
