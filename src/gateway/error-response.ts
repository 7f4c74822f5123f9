/**
 * The gateway's own answers: a JSON-RPC error response with the HTTP status that
 * goes with it. Every refusal and failure the proxy reports goes through
 * {@link sendError}, so the rule for a response already under way is written once.
 */
import type { ServerResponse } from 'node:http';
import { jsonRpcErrorBody, type JsonRpcId } from './json-rpc.ts';

/** Response headers of a JSON body; one shared object, so an answer allocates no headers of its own. */
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/**
 * Answers `res` with `status` and a JSON-RPC error (`code`, `message`, `id`),
 * plus `extra` headers (e.g. `retry-after`). When the response has already begun
 * (headers sent) the error cannot be told any more, so the connection is
 * destroyed instead: the client sees a broken response, never a wrong one.
 * @example sendError(res, 404, GatewayErrorCode.RouteNotFound, 'no MCP server routed at /mcp/x', null)
 */
export function sendError(res: ServerResponse, status: number, code: number, message: string, id: JsonRpcId, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = jsonRpcErrorBody(code, message, id);
  res.writeHead(status, extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS);
  res.end(body);
}
