/**
 * Choosing the route of a request, and the answer when there is none to take:
 * 503 (retry) before the route table has loaded, 404 for a path no server is
 * routed at, 503 naming the server's condition when it may not receive traffic.
 */
import type { ServerResponse } from 'node:http';
import type { EdgeMetrics } from './edge/edge-metrics.ts';
import { sendError } from './error-response.ts';
import { GatewayErrorCode } from './json-rpc.ts';
import type { Route } from './route.ts';
import type { RouteTable } from './route-table.ts';

/**
 * The routable route for `pathname` (no query) on `host`, or `undefined` once
 * `res` has been answered with why there is none (counted in `metrics`).
 * @example
 * const route = chooseRoute(table, '/mcp/quote', req.headers.host, res, metrics);
 * if (route === undefined) return; // answered
 */
export function chooseRoute(table: RouteTable, pathname: string, host: string | undefined, res: ServerResponse, metrics: EdgeMetrics): Route | undefined {
  const route = table.lookup(pathname, host);
  if (route === undefined) {
    // Before the first sync every path is unknown; "not found" would be a lie the client might cache.
    if (!table.synced) {
      metrics.rejected('not-loaded');
      sendError(res, 503, GatewayErrorCode.ServerUnavailable, 'the gateway has not loaded its routes from the registry yet; retry in a moment', null, { 'retry-after': '1' });
    } else {
      metrics.rejected('route-not-found');
      sendError(res, 404, GatewayErrorCode.RouteNotFound, `no MCP server routed at ${pathname}`, null);
    }
    return undefined;
  }
  if (!route.routable) {
    metrics.rejected('route-unavailable');
    sendError(res, 503, GatewayErrorCode.ServerUnavailable, route.reason ?? `server "${route.name}" is not routable`, null);
    return undefined;
  }
  return route;
}
