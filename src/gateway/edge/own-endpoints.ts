/**
 * The gateway's own endpoints, under `/-/`, a prefix the route rule refuses to
 * servers (`RESERVED_ROUTE_PREFIXES`), so they can never collide with a route:
 * - `GET /-/healthz`: 200 while the process serves requests (liveness);
 * - `GET /-/readyz`: 200 once the route table has loaded from the registry, 503
 *   (with Retry-After) before (readiness: send no traffic yet);
 * - `GET /-/metrics`: the edge's Prometheus metrics (edge-metrics.ts: counts and
 *   latencies, no object names).
 * `/-` as the prefix because it is short, cannot be an MCP server's name, and is
 * where Prometheus and GitLab put theirs (`/-/healthy`, `/-/ready`); `/.well-known/`
 * is for metadata registered with IANA (RFC 8615), which these are not. Bodies are
 * tiny JSON objects; nothing here names a server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { JSON_HEADERS, sendError } from '../error-response.ts';
import { GatewayErrorCode } from '../json-rpc.ts';

/** The prefix of the gateway's own endpoints. */
export const OWN_PREFIX = '/-/';

/** Liveness: 200 while the process serves requests. */
export const HEALTH_PATH = '/-/healthz';
/** Readiness: 200 once the route table has loaded from the registry, 503 before. */
export const READY_PATH = '/-/readyz';
/** The edge's Prometheus metrics (no object names). */
export const METRICS_PATH = '/-/metrics';

/** True when `pathname` is `/-` or under `/-/` (checked by character codes: every request asks). */
export function isOwnPath(pathname: string): boolean {
  return pathname.charCodeAt(1) === 45 /* - */ && (pathname.length === 2 || pathname.charCodeAt(2) === 47 /* / */) && pathname.charCodeAt(0) === 47;
}

/** True for the probes, which are answered whatever the Host (see edge.ts). */
export function isProbePath(pathname: string): boolean {
  return pathname === HEALTH_PATH || pathname === READY_PATH;
}

/** What the own endpoints read. */
export interface OwnEndpointsState {
  /** True once the route table holds the registry's first list. */
  routesLoaded(): boolean;
  /** The registry `/-/metrics` serves. */
  metrics: Registry;
  /** Told when collecting the metrics failed (the scrape gets 500). */
  onMetricsError(err: unknown): void;
}

const HEALTHY = JSON.stringify({ status: 'ok' });
const READY = JSON.stringify({ status: 'ready' });
const NOT_READY = JSON.stringify({ status: 'not ready', reason: 'the route table has not loaded from the registry yet' });

/**
 * Answers a request for `pathname` under `/-/`: the endpoint, 405 for a method
 * other than GET or HEAD, 404 naming the endpoints there are.
 * Never throws; a metrics collection that fails is answered 500.
 */
export function serveOwnEndpoint(req: IncomingMessage, res: ServerResponse, pathname: string, state: OwnEndpointsState): void {
  const known = pathname === HEALTH_PATH || pathname === READY_PATH || pathname === METRICS_PATH;
  if (!known) {
    sendError(res, 404, GatewayErrorCode.RouteNotFound, `${pathname} is not one of the gateway's own endpoints (${HEALTH_PATH}, ${READY_PATH}, ${METRICS_PATH}); MCP servers are never routed under /-/`, null);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, 405, GatewayErrorCode.InvalidRequest, `${pathname} answers GET only`, null, { allow: 'GET, HEAD' });
    return;
  }
  if (pathname === HEALTH_PATH) return answer(res, 200, HEALTHY);
  if (pathname === READY_PATH) {
    if (state.routesLoaded()) return answer(res, 200, READY);
    res.setHeader('retry-after', '1');
    return answer(res, 503, NOT_READY);
  }
  state.metrics.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': state.metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
    (err: unknown) => {
      state.onMetricsError(err);
      sendError(res, 500, -32603, 'collecting the gateway metrics failed', null);
    },
  );
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...JSON_HEADERS, 'cache-control': 'no-store' });
  res.end(body);
}
