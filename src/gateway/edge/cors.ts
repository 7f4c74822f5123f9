/**
 * CORS for browser MCP clients, answered by the gateway from its configuration
 * and only when it has some (`--cors-origin`); off otherwise. The origin has
 * already passed the {@link OriginPolicy} when these run.
 *
 * - A preflight (`OPTIONS` with `Access-Control-Request-Method`) gets 204 with
 *   the origin echoed, the methods MCP uses, the headers it needs (plus any
 *   `Mcp-Param-*` the browser asks for) and a max age. It is answered alike for
 *   every path, routed or not, and without a credential (browsers send none on
 *   preflights), so it tells nothing about servers.
 * - Actual responses carry the origin echoed, `Vary: Origin`, and expose
 *   `Mcp-Session-Id` (a client must read it to keep its session),
 *   `WWW-Authenticate` (where to get a token) and `Retry-After`.
 * - No `Access-Control-Allow-Credentials`: agents send bearer tokens in
 *   `Authorization`, which CORS allows without it, and the gateway uses no
 *   cookies, so browsers are never asked to attach ambient credentials.
 * The upstream's own `Access-Control-*` headers are dropped (see
 * {@link isCorsResponseHeader}): the gateway, not each server, decides.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a browser MCP client may send (lower case); `mcp-param-*` ones are allowed as requested. */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
  'mcp-method',
  'mcp-name',
  'traceparent',
  'tracestate',
] as const;

/** Methods of MCP's streamable HTTP transport, and the preflight's own. */
export const CORS_ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';

/** Response headers a page may read. */
export const CORS_EXPOSED_HEADERS = 'Mcp-Session-Id, WWW-Authenticate, Retry-After';

/** How long a browser may reuse a preflight's answer, in seconds (short, so a changed configuration counts soon). */
export const CORS_MAX_AGE_SECONDS = 600;

const BASE_ALLOWED = CORS_ALLOWED_HEADERS.join(', ');
const MCP_PARAM = /^mcp-param-[a-z0-9-]{1,100}$/;

/** True for a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}

/**
 * Answers a preflight from the allowed `origin` with 204 (see the module comment).
 * @example answerPreflight(req, res, 'https://app.example.com')
 */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, origin: string): void {
  const requested = req.headers['access-control-request-headers'];
  let allowed = BASE_ALLOWED;
  if (requested !== undefined) {
    for (const raw of requested.split(',')) {
      const name = raw.trim().toLowerCase();
      if (MCP_PARAM.test(name)) allowed += `, ${name}`;
    }
  }
  res.writeHead(204, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': CORS_ALLOWED_METHODS,
    'access-control-allow-headers': allowed,
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  });
  res.end();
}

/**
 * Sets the CORS headers of an actual response to the allowed `origin` before
 * anything else writes its head; they go out with whatever answers the request
 * (the upstream's relayed response, or the gateway's own).
 */
export function decorateCorsResponse(res: ServerResponse, origin: string): void {
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS);
  res.setHeader('vary', 'Origin');
}

/**
 * True for an `Access-Control-*` response header name (any case): an upstream's
 * are not relayed, since only the gateway's configuration decides CORS. Checks
 * the first character and length before comparing, so other headers cost no allocation.
 */
export function isCorsResponseHeader(name: string): boolean {
  if (name.length < 15) return false;
  const c = name.charCodeAt(0);
  if (c !== 97 && c !== 65) return false; // 'a' | 'A'
  return name.slice(0, 15).toLowerCase() === 'access-control-';
}
