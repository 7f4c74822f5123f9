/**
 * The route rule, written once: which gateway route (path, optional host) a
 * server claims, how paths and hosts are normalised, when two servers' routes
 * collide (and the one message that says so), and how an incoming request is
 * matched against a route. `berth validate`, the registry's route claims, the
 * gateway's route table and the ECS provider's listener rules all use it, so a
 * route `berth validate` accepts is one the registry stores and the gateway serves.
 *
 * Paths: dot segments are resolved (never above `/`), repeated and trailing
 * slashes dropped (`/` itself kept), and paths compare case-insensitively (on
 * {@link ServerRoute.key}) while keeping their case for display. Hosts: lower
 * case, without a trailing dot; a request's `Host` header also loses its port.
 * Some paths are the gateway's own ({@link RESERVED_ROUTE_PREFIXES}): no server
 * may be routed at or under them ({@link reservedRouteReason}).
 */

const SLASH = 47; // '/'
const DOT = 46; // '.'

/** The route one server claims. */
export interface ServerRoute {
  /** metadata.name of the MCPServer. */
  name: string;
  /** Normalised path, case as written: what is served and shown, e.g. "/mcp/Quote". */
  path: string;
  /** Comparison key: {@link path} lower-cased. Two routes have the same path iff their keys are equal. */
  key: string;
  /** Normalised host when the route is host-specific; absent: every host. */
  host?: string;
}

/** An incoming request, normalised under the same rule as routes. See {@link routeRequest}. */
export interface RouteRequest {
  /** Comparison key of the request path (as {@link ServerRoute.key}). */
  key: string;
  /** Normalised Host header without its port; absent when the request sent none. */
  host?: string;
}

/** The minimum of an MCPServer the route rule reads; any stored or parsed object fits. */
export interface RoutedServer {
  metadata: { name: string };
  spec?: unknown;
}

/**
 * The path a server is routed at when its manifest says nothing.
 * @example defaultRoutePath('quote') // "/mcp/quote"
 */
export function defaultRoutePath(name: string): string {
  return `/mcp/${name}`;
}

/**
 * Normalises a path, keeping its case: dot segments resolved (`..` never climbs
 * above `/`), empty segments (repeated or trailing slashes) dropped. Segments
 * spelled with `%2e` count as dots, as URL parsers treat them.
 * @example normaliseRoutePath('/mcp//a/../B/./') // "/mcp/B"
 * @example normaliseRoutePath('/../..') // "/"
 */
export function normaliseRoutePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    const dots = dotSegment(segment);
    if (dots === 1) continue;
    if (dots === 2) out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/**
 * The comparison key of a path: normalised, lower-cased.
 * @example routePathKey('/mcp/Quote/') // "/mcp/quote"
 */
export function routePathKey(path: string): string {
  // Most request paths already are keys; checking costs less than rebuilding.
  return isKey(path) ? path : normaliseRoutePath(path).toLowerCase();
}

/**
 * Normalises a host name: lower case, no trailing dot. Undefined for an empty host
 * (a route without a host serves every host).
 * @example normaliseHost('Sales.Example.COM.') // "sales.example.com"
 */
export function normaliseHost(host: string): string | undefined {
  const lower = host.trim().toLowerCase();
  const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return name === '' ? undefined : name;
}

/**
 * Normalises a request's `Host` header: the port stripped (IPv6 literals keep
 * their brackets), then as {@link normaliseHost}.
 * @example requestHost('Gateway.Local:8080') // "gateway.local"
 * @example requestHost('[::1]:8080') // "[::1]"
 */
export function requestHost(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined) return undefined;
  let host = hostHeader;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end !== -1) host = host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) host = host.slice(0, colon);
  }
  return normaliseHost(host);
}

/**
 * The route `server` claims: `spec.routing.path` (default `/mcp/<name>`) and
 * `spec.routing.host`, normalised. Fields of the wrong type count as absent
 * (the schema reports them).
 * @example serverRoute({ metadata: { name: 'quote' }, spec: { routing: { host: 'Sales.Example.com.' } } })
 * // { name: 'quote', path: '/mcp/quote', key: '/mcp/quote', host: 'sales.example.com' }
 */
export function serverRoute(server: RoutedServer): ServerRoute {
  const spec = server.spec as { routing?: { path?: unknown; host?: unknown } } | null | undefined;
  const routing = spec?.routing;
  const path = normaliseRoutePath(typeof routing?.path === 'string' ? routing.path : defaultRoutePath(server.metadata.name));
  const host = typeof routing?.host === 'string' ? normaliseHost(routing.host) : undefined;
  return { name: server.metadata.name, path, key: path.toLowerCase(), ...(host !== undefined ? { host } : {}) };
}

/**
 * Paths the gateway answers itself, each with what it serves there: no server may
 * be routed at one of them or under it, or its route would be shadowed (or, worse,
 * shadow the gateway's own answer). Compared on path keys (lower case, normalised).
 * - `/-`: the gateway's health, readiness and metrics (`/-/healthz`, `/-/readyz`, `/-/metrics`);
 * - `/.well-known`: site-wide metadata (RFC 8615), e.g. OAuth protected resource metadata;
 * - `/v1/discovery` and `/v0.1/servers`: discovery for agents (Berth's and the MCP Registry's shape).
 */
export const RESERVED_ROUTE_PREFIXES: ReadonlyArray<{ prefix: string; servedThere: string }> = [
  { prefix: '/-', servedThere: 'its health, readiness and metrics' },
  { prefix: '/.well-known', servedThere: 'site-wide metadata such as OAuth protected resource metadata' },
  { prefix: '/v1/discovery', servedThere: 'discovery for agents' },
  { prefix: '/v0.1/servers', servedThere: "discovery in the MCP Registry's shape" },
];

/**
 * Why `route` may not be claimed because its path is one of the gateway's own
 * ({@link RESERVED_ROUTE_PREFIXES}), worded for the manifest's author — the one
 * message `berth validate` and the registry's 422 print — or undefined when the
 * path is free to claim.
 * @example
 * reservedRouteReason(serverRoute({ metadata: { name: 'probe' }, spec: { routing: { path: '/-/healthz' } } }))
 * // "route /-/healthz is under /-, where the gateway serves its health, readiness and metrics; choose a routing.path outside /-, /.well-known, /v1/discovery and /v0.1/servers (the default is /mcp/<name>)"
 */
export function reservedRouteReason(route: ServerRoute): string | undefined {
  for (const { prefix, servedThere } of RESERVED_ROUTE_PREFIXES) {
    if (route.key !== prefix && !route.key.startsWith(`${prefix}/`)) continue;
    return `route ${route.path} is under ${prefix}, where the gateway serves ${servedThere}; choose a routing.path outside ${RESERVED_LIST} (the default is /mcp/<name>)`;
  }
  return undefined;
}

/**
 * Longest normalised routing.path: on ECS, Berth's load-balancer rule matches the
 * path and `<path>/*`, and AWS takes path patterns of at most 128 characters.
 */
export const MAX_ROUTE_PATH_LENGTH = 126;
/** Longest routing.host: AWS takes host conditions of at most 128 characters. */
export const MAX_ROUTE_HOST_LENGTH = 128;

/**
 * Why `route` can't be served as it stands because its path or host is longer
 * than a load-balancer rule can hold ({@link MAX_ROUTE_PATH_LENGTH},
 * {@link MAX_ROUTE_HOST_LENGTH}), or undefined when it fits. Checked by
 * `berth validate` and at registry admission, so the limit never first shows up
 * as a failed AWS call.
 * @example routeLengthReason({ name: 'a', path: `/${'x'.repeat(130)}`, key: '…' }) // 'routing.path is 131 characters long (normalised); …'
 */
export function routeLengthReason(route: ServerRoute): { field: 'path' | 'host'; message: string } | undefined {
  if (route.path.length > MAX_ROUTE_PATH_LENGTH) {
    return {
      field: 'path',
      message:
        `routing.path is ${route.path.length} characters long (normalised); it may have at most ${MAX_ROUTE_PATH_LENGTH}: ` +
        `on ECS the load-balancer rule matches "<path>/*" and AWS allows path patterns of at most 128 characters — choose a shorter path`,
    };
  }
  if (route.host !== undefined && route.host.length > MAX_ROUTE_HOST_LENGTH) {
    return {
      field: 'host',
      message: `routing.host is ${route.host.length} characters long; it may have at most ${MAX_ROUTE_HOST_LENGTH}: AWS allows load-balancer host conditions of at most 128 characters — choose a shorter host`,
    };
  }
  return undefined;
}

const RESERVED_LIST = `${RESERVED_ROUTE_PREFIXES.slice(0, -1).map((r) => r.prefix).join(', ')} and ${RESERVED_ROUTE_PREFIXES.at(-1)!.prefix}`;

/**
 * THE collision rule. `claimant`'s route collides with `holder`'s when they are
 * different servers, their path keys are equal, and either has no host or both
 * hosts are equal: the gateway could then hand a request meant for one to the
 * other. Environments play no part: one gateway route table serves every server
 * of a registry, whatever its `spec.environment`.
 *
 * Returns the reason, worded for the claimant — the message both `berth validate`
 * and the registry's 409 print — or undefined when the two routes can coexist.
 * @example
 * routeCollision(serverRoute(forecast), serverRoute(weather))
 * // "route /mcp/weather is already used by MCPServer/weather; give one of them a different routing.path or routing.host"
 * @example
 * routeCollision({ name: 'b', path: '/mcp/Q', key: '/mcp/q', host: 'a.example.com' }, { name: 'a', path: '/mcp/q', key: '/mcp/q' })
 * // "route a.example.com/mcp/Q is already used by MCPServer/a (route /mcp/q, any host); give one …"
 */
export function routeCollision(claimant: ServerRoute, holder: ServerRoute): string | undefined {
  if (claimant.name === holder.name || claimant.key !== holder.key) return undefined;
  if (claimant.host !== undefined && holder.host !== undefined && claimant.host !== holder.host) return undefined;
  const mine = showRoute(claimant);
  const theirs = showRoute(holder);
  // Say how the holder wrote it when that reads differently (case, host), so the overlap is visible.
  const anyHost = holder.host === undefined && claimant.host !== undefined ? ', any host' : '';
  const as = theirs === mine ? '' : ` (route ${theirs}${anyHost})`;
  return `route ${mine} is already used by MCPServer/${holder.name}${as}; give one of them a different routing.path or routing.host`;
}

/**
 * Normalises an incoming request's path (no query string) and `Host` header under
 * the rule routes are normalised by, so a request reaches a server iff its route
 * matches under the same rule.
 * @example routeRequest('/mcp/./Quote/', 'Gateway.local:8080') // { key: '/mcp/quote', host: 'gateway.local' }
 */
export function routeRequest(pathname: string, hostHeader: string | undefined): RouteRequest {
  const host = requestHost(hostHeader);
  return { key: routePathKey(pathname), ...(host !== undefined ? { host } : {}) };
}

/**
 * Whether `route` serves `request`, and how: `'host'` when path and host both
 * match (this route is the request's own), `'path'` when the path matches and the
 * route serves every host, undefined when it does not serve the request. A
 * `'host'` match beats a `'path'` match.
 * @example routeMatch(serverRoute(quote), routeRequest('/mcp/Quote/', undefined)) // 'path'
 */
export function routeMatch(route: ServerRoute, request: RouteRequest): 'host' | 'path' | undefined {
  if (route.key !== request.key) return undefined;
  if (route.host === undefined) return 'path';
  return route.host === request.host ? 'host' : undefined;
}

function showRoute(r: ServerRoute): string {
  return `${r.host ?? ''}${r.path}`;
}

/** 1 for a "." segment, 2 for "..", 0 otherwise; `%2e` spells a dot too. */
function dotSegment(segment: string): 0 | 1 | 2 {
  if (segment.length > 6) return 0;
  const s = segment.toLowerCase().replaceAll('%2e', '.');
  return s === '.' ? 1 : s === '..' ? 2 : 0;
}

/** True when `path` is already its own key: absolute, lower case, no '%', no empty or dot-led segment, no trailing slash. */
function isKey(path: string): boolean {
  if (path.charCodeAt(0) !== SLASH) return false;
  let prev = SLASH;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 37 /* % */ || c > 127) return false;
    if (prev === SLASH && (c === SLASH || c === DOT)) return false;
    prev = c;
  }
  return path.length === 1 || prev !== SLASH;
}
