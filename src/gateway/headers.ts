/**
 * Which headers cross the gateway. Requests: an allow-list (MCP's own headers
 * plus content negotiation), so cookies and other credentials meant for the
 * gateway never reach an upstream; `Authorization` only when configured.
 * Responses: everything except hop-by-hop headers, which describe the
 * connection between two hops and must not be forwarded (RFC 9110 §7.6.1).
 */
import type { IncomingMessage } from 'node:http';
import type { UpstreamTarget } from './route.ts';

/** Request headers forwarded to upstreams (lower case). */
// Not `mcp-session-id`: the client holds a sealed id, and forward.ts sends the upstream its own.
export const FORWARDED_REQUEST_HEADERS = [
  'mcp-protocol-version',
  'accept',
  'content-type',
  'last-event-id',
  'user-agent',
  // MCP 2026-07-28 mirrors method and name in headers; the gateway checks them against the body.
  'mcp-method',
  'mcp-name',
  // W3C trace context, so a trace continues through the gateway into the server.
  'traceparent',
  'tracestate',
] as const;

/**
 * Builds the upstream request headers for `req` as a flat name/value list (what
 * undici takes without copying into an object first).
 * `extra` lists more request headers to forward (lower case), e.g. ['authorization'].
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  target: UpstreamTarget,
  extra: readonly string[],
  contentLength: number | undefined,
): string[] {
  const h = req.headers;
  const out: string[] = ['host', target.host];
  for (const name of FORWARDED_REQUEST_HEADERS) pushHeader(out, name, h[name]);
  for (const name of extra) pushHeader(out, name, h[name]);
  if (contentLength !== undefined) out.push('content-length', String(contentLength));
  const remote = req.socket.remoteAddress;
  const prior = h['x-forwarded-for'];
  if (remote) out.push('x-forwarded-for', prior ? `${prior}, ${remote}` : remote);
  if (h.host) out.push('x-forwarded-host', h.host);
  out.push('x-forwarded-proto', (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  return out;
}

/** Appends `name` once per value of a request header (none when absent). */
function pushHeader(out: string[], name: string, value: string | string[] | undefined): void {
  if (value === undefined) return;
  if (typeof value === 'string') out.push(name, value);
  else for (const one of value) out.push(name, one);
}

/**
 * True for hop-by-hop header names (any case). Length is checked first so the
 * common headers cost one comparison and no allocation.
 */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name.toLowerCase() === 'te';
    case 7:
      return /^(trailer|upgrade)$/i.test(name);
    case 10:
      return /^(connection|keep-alive)$/i.test(name);
    case 16:
      return name.toLowerCase() === 'proxy-connection';
    case 17:
      return name.toLowerCase() === 'transfer-encoding';
    case 18:
      return name.toLowerCase() === 'proxy-authenticate';
    case 19:
      return name.toLowerCase() === 'proxy-authorization';
    default:
      return false;
  }
}

/** Raw response headers without hop-by-hop ones, plus the upstream's content type (lower case, or ''). */
export function filterResponseHeaders(raw: readonly string[]): { headers: string[]; contentType: string; sessionId: string | undefined } {
  const headers: string[] = [];
  let contentType = '';
  let sessionId: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (isHopByHop(name)) continue;
    const value = raw[i + 1]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type') contentType = value.toLowerCase();
    else if (name.length === 14 && name.toLowerCase() === 'mcp-session-id') sessionId = value;
    headers.push(name, value);
  }
  return { headers, contentType, sessionId };
}
