/**
 * Which headers cross the gateway (RFC 9110 §7.6.1 for what a proxy drops).
 *
 * Requests: an allow-list (MCP's own headers, `Mcp-Param-*` included, plus content
 * negotiation and trace context), so cookies and other credentials meant for the
 * gateway never reach an upstream; `Authorization` only when configured. Headers
 * the request's `Connection` names are hop-by-hop and dropped even when
 * allow-listed. `X-Forwarded-For/-Host/-Proto` and `Forwarded` are the gateway's:
 * from a trusted proxy (trusted-proxies.ts) the incoming values are kept and the
 * gateway's hop appended, from anyone else they are replaced. Last come the
 * server's own credentials (route-headers.ts, upstream-credentials.ts): a
 * client's header of the same name is never forwarded, so it cannot override them.
 *
 * Responses: everything except hop-by-hop headers, those the upstream's
 * `Connection` names, `Set-Cookie` unless the server opted in (a cookie set by
 * one server would land on the gateway's origin, which every server shares), the
 * upstream's own `Access-Control-*` (the gateway's configuration decides CORS,
 * edge/cors.ts), and any header named like one of the server's credentials.
 *
 * The hot path stays cheap: `Connection` is parsed only when it says more than
 * `keep-alive` or `close`, and a server without credentials or opt-ins costs one
 * field read.
 */
import type { IncomingMessage } from 'node:http';
import { isCorsResponseHeader } from './edge/cors.ts';
import type { RouteHeaderRules } from './route-headers.ts';
import type { UpstreamTarget } from './route.ts';
import type { TrustedProxies } from './trusted-proxies.ts';

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

/** What the request side needs beyond the request itself; `ProxyParts` is one. */
export interface RequestHeaderRules {
  /** More request headers to forward (lower case), e.g. `['authorization']` on an open pass-through. */
  readonly forwardHeaders: readonly string[];
  /** Peers whose forwarding headers are believed. */
  readonly trustedProxies: TrustedProxies;
}

/**
 * Builds the upstream request headers for `req` as a flat name/value list (what
 * undici takes without copying into an object first), names in lower case.
 * `credentials`: the server's own headers, a flat list added last; `credentialNames`:
 * their names (lower case), which the client's headers may not supply.
 * @example
 * upstreamRequestHeaders(req, target, parts, 42, ['authorization', 'Bearer …'], ['authorization'])
 * // ['host', 'crm.internal:8080', 'accept', '…', 'content-length', '42', 'x-forwarded-for', '10.0.0.7', …, 'authorization', 'Bearer …']
 */
export function upstreamRequestHeaders(
  req: IncomingMessage,
  target: UpstreamTarget,
  rules: RequestHeaderRules,
  contentLength: number | undefined,
  credentials: readonly string[] | undefined,
  credentialNames: readonly string[] | undefined,
): string[] {
  const h = req.headers;
  const connection = h.connection;
  const hop = connection === undefined ? undefined : connectionOptions(connection);
  const skip = hop === undefined ? credentialNames : credentialNames === undefined ? hop : [...hop, ...credentialNames];
  const out: string[] = ['host', target.host];
  for (const name of FORWARDED_REQUEST_HEADERS) pushHeader(out, name, h[name], skip);
  for (const name of rules.forwardHeaders) pushHeader(out, name, h[name], skip);
  pushMcpParams(out, req.rawHeaders, skip);
  if (contentLength !== undefined) out.push('content-length', String(contentLength));
  pushForwarding(out, req, rules.trustedProxies, hop);
  if (credentials !== undefined) for (let i = 0; i < credentials.length; i++) out.push(credentials[i]!);
  return out;
}

/** Appends `name` once per value of a request header (none when absent or in `skip`). */
function pushHeader(out: string[], name: string, value: string | string[] | undefined, skip: readonly string[] | undefined): void {
  if (value === undefined) return;
  if (skip !== undefined && skip.includes(name)) return;
  if (typeof value === 'string') out.push(name, value);
  else for (const one of value) out.push(name, one);
}

/** Appends every `Mcp-Param-*` header as sent (name in lower case), unless in `skip`. */
function pushMcpParams(out: string[], raw: readonly string[], skip: readonly string[] | undefined): void {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // 'm' or 'M' first: most headers are turned away by one comparison.
    if ((name.charCodeAt(0) | 0x20) !== 0x6d || !isMcpParam(name)) continue;
    const lower = name.toLowerCase();
    if (skip !== undefined && skip.includes(lower)) continue;
    out.push(lower, raw[i + 1]!);
  }
}

const MCP_PARAM = 'mcp-param-';

/** True for `Mcp-Param-<something>` in any case; no allocation. */
export function isMcpParam(name: string): boolean {
  if (name.length <= MCP_PARAM.length) return false;
  for (let i = 0; i < MCP_PARAM.length; i++) {
    // `| 0x20` lower-cases letters and leaves '-' (0x2d) as it is.
    if ((name.charCodeAt(i) | 0x20) !== MCP_PARAM.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The header names a `Connection` header lists (lower case), or undefined when it
 * lists none beyond `keep-alive` / `close` (which are hop-by-hop anyway): the
 * common case costs a comparison and no allocation.
 * @example connectionOptions('keep-alive, X-Debug') // ['keep-alive', 'x-debug']
 */
export function connectionOptions(value: string | string[]): string[] | undefined {
  if (typeof value === 'string') {
    if (value.length === 10 && value.toLowerCase() === 'keep-alive') return undefined;
    if (value.length === 5 && value.toLowerCase() === 'close') return undefined;
  }
  const names: string[] = [];
  for (const line of typeof value === 'string' ? [value] : value) {
    for (const part of line.split(',')) {
      const name = part.trim().toLowerCase();
      if (name !== '') names.push(name);
    }
  }
  return names;
}

/** An incoming header's value as one string (several lines joined), or undefined when absent or named in `hop`. */
function incoming(req: IncomingMessage, name: string, hop: readonly string[] | undefined): string | undefined {
  const value = req.headers[name];
  if (value === undefined || (hop !== undefined && hop.includes(name))) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/**
 * Appends `X-Forwarded-For`, `-Host`, `-Proto` and `Forwarded` (RFC 7239): the
 * client's values followed by this hop's when the peer is a trusted proxy,
 * otherwise this hop's alone. From a trusted proxy its `X-Forwarded-Proto` is
 * believed (the ALB terminates TLS, so the gateway itself sees http).
 */
function pushForwarding(out: string[], req: IncomingMessage, trusted: TrustedProxies, hop: readonly string[] | undefined): void {
  const host = req.headers.host;
  const own = ownHop(req.socket as HopSocket, host, trusted);
  const peer = own.peer;
  const believe = own.trusted;
  const priorFor = believe ? incoming(req, 'x-forwarded-for', hop) : undefined;
  if (peer !== undefined) out.push('x-forwarded-for', priorFor !== undefined ? `${priorFor}, ${peer}` : peer);
  const forwardedHost = (believe ? incoming(req, 'x-forwarded-host', hop) : undefined) ?? host;
  if (forwardedHost !== undefined) out.push('x-forwarded-host', forwardedHost);
  out.push('x-forwarded-proto', (believe ? incoming(req, 'x-forwarded-proto', hop) : undefined) ?? own.proto);
  const priorForwarded = believe ? incoming(req, 'forwarded', hop) : undefined;
  out.push('forwarded', priorForwarded !== undefined ? `${priorForwarded}, ${own.element}` : own.element);
}

/** What the gateway knows of its own hop on one connection; kept on the socket, since keep-alive requests share it. */
interface OwnHop {
  readonly peer: string | undefined;
  readonly trusted: boolean;
  readonly proto: 'http' | 'https';
  /** The Host header the element was built for. */
  readonly host: string | undefined;
  /** This hop's `Forwarded` element. */
  readonly element: string;
}

const OWN_HOP = Symbol('berth.ownHop');
type HopSocket = IncomingMessage['socket'] & { encrypted?: boolean; [OWN_HOP]?: OwnHop };

/** The connection's own hop, computed on its first request (and again if its Host changes). */
function ownHop(socket: HopSocket, host: string | undefined, trusted: TrustedProxies): OwnHop {
  const known = socket[OWN_HOP];
  if (known !== undefined && known.host === host) return known;
  const peer = socket.remoteAddress;
  const proto = socket.encrypted ? 'https' : 'http';
  const own: OwnHop = { peer, trusted: trusted.trusts(peer), proto, host, element: forwardedElement(peer, host, proto) };
  socket[OWN_HOP] = own;
  return own;
}

/**
 * This hop's `Forwarded` element: `for=…;host="…";proto=…`. An IPv6 peer is
 * bracketed and quoted, the host always quoted (RFC 7239 allows a quoted-string
 * anywhere, and a host with a port needs one), so no pattern runs per request.
 */
function forwardedElement(peer: string | undefined, host: string | undefined, proto: string): string {
  const node = peer === undefined ? 'unknown' : peer.includes(':') ? `"[${peer}]"` : peer;
  if (host === undefined) return `for=${node};proto=${proto}`;
  const quoted = host.includes('"') || host.includes('\\') ? host.replace(/["\\]/g, '\\$&') : host;
  return `for=${node};host="${quoted}";proto=${proto}`;
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

/**
 * The upstream's response headers as the client may see them (see the module
 * comment; the upstream's own `Access-Control-*` go too, since the gateway's
 * configuration decides CORS, edge/cors.ts), plus its content type (lower case,
 * or '') and the session id it created, if any. `raw` is a flat name/value list
 * with names in lower case.
 */
export function filterResponseHeaders(raw: readonly string[], rules: RouteHeaderRules): { headers: string[]; contentType: string; sessionId: string | undefined } {
  let headers: string[] = [];
  let contentType = '';
  let sessionId: string | undefined;
  let connection: string | undefined;
  const forwardSetCookie = rules.forwardSetCookie;
  const credentialNames = rules.upstreamHeaderNames;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (isHopByHop(name)) {
      if (name.length === 10 && name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
      continue;
    }
    if (name.length === 10 && name === 'set-cookie' && !forwardSetCookie) continue;
    if (isCorsResponseHeader(name)) continue;
    if (credentialNames !== undefined && credentialNames.includes(name)) continue;
    if (name.length === 12 && name === 'content-type') contentType = value.toLowerCase();
    else if (name.length === 14 && name === 'mcp-session-id') sessionId = value;
    headers.push(name, value);
  }
  const named = connection === undefined ? undefined : connectionOptions(connection);
  if (named !== undefined) {
    const kept: string[] = [];
    for (let i = 0; i < headers.length; i += 2) if (!named.includes(headers[i]!)) kept.push(headers[i]!, headers[i + 1]!);
    headers = kept;
    if (named.includes('content-type')) contentType = '';
    if (named.includes('mcp-session-id')) sessionId = undefined;
  }
  return { headers, contentType, sessionId };
}
