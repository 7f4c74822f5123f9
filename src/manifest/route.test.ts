/**
 * The route rule, table-driven: path and host normalisation, the collision rule
 * and its message, and matching requests against routes.
 */
import { describe, expect, it } from 'vitest';
import {
  normaliseHost,
  normaliseRoutePath,
  requestHost,
  reservedRouteReason,
  routeCollision,
  routeMatch,
  routePathKey,
  routeRequest,
  serverRoute,
  type ServerRoute,
} from './route.ts';

describe('normaliseRoutePath and routePathKey', () => {
  it.each([
    ['/mcp/quote', '/mcp/quote', '/mcp/quote'],
    ['/mcp/Quote', '/mcp/Quote', '/mcp/quote'],
    ['/mcp/quote/', '/mcp/quote', '/mcp/quote'],
    ['/mcp/quote///', '/mcp/quote', '/mcp/quote'],
    ['//mcp//quote', '/mcp/quote', '/mcp/quote'],
    ['/mcp/./quote', '/mcp/quote', '/mcp/quote'],
    ['/mcp/a/../b', '/mcp/b', '/mcp/b'],
    ['/mcp/a/b/../../c/.', '/mcp/c', '/mcp/c'],
    ['/mcp/%2e/quote', '/mcp/quote', '/mcp/quote'],
    ['/mcp/x/%2E%2e/quote', '/mcp/quote', '/mcp/quote'],
    ['/../../mcp', '/mcp', '/mcp'],
    ['/..', '/', '/'],
    ['/', '/', '/'],
    ['', '/', '/'],
    ['///', '/', '/'],
    ['/mcp/...', '/mcp/...', '/mcp/...'],
    ['/mcp/.well-known', '/mcp/.well-known', '/mcp/.well-known'],
    ['mcp/quote', '/mcp/quote', '/mcp/quote'],
  ])('%j → path %j, key %j', (input, path, key) => {
    expect(normaliseRoutePath(input)).toBe(path);
    expect(routePathKey(input)).toBe(key);
  });
});

describe('normaliseHost and requestHost', () => {
  it.each([
    ['sales.example.com', 'sales.example.com'],
    ['Sales.Example.COM', 'sales.example.com'],
    ['Sales.Example.COM.', 'sales.example.com'],
    ['', undefined],
  ])('normaliseHost(%j) → %j', (input, expected) => {
    expect(normaliseHost(input)).toBe(expected);
  });

  it.each([
    ['Gateway.Local:8080', 'gateway.local'],
    ['gateway.local', 'gateway.local'],
    ['Sales.Example.COM.:443', 'sales.example.com'],
    ['127.0.0.1:9000', '127.0.0.1'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['', undefined],
    [undefined, undefined],
  ])('requestHost(%j) → %j', (input, expected) => {
    expect(requestHost(input)).toBe(expected);
  });
});

describe('serverRoute', () => {
  it.each([
    [{}, { path: '/mcp/quote', key: '/mcp/quote' }],
    [{ routing: {} }, { path: '/mcp/quote', key: '/mcp/quote' }],
    [{ routing: { path: '/Tools/Quote/' } }, { path: '/Tools/Quote', key: '/tools/quote' }],
    [{ routing: { path: '/mcp/a/../quote', host: 'Sales.Example.COM.' } }, { path: '/mcp/quote', key: '/mcp/quote', host: 'sales.example.com' }],
    [{ routing: { path: 42, host: '' } }, { path: '/mcp/quote', key: '/mcp/quote' }],
  ])('spec %j → %j', (spec, expected) => {
    expect(serverRoute({ metadata: { name: 'quote' }, spec })).toEqual({ name: 'quote', ...expected });
  });
});

describe('routeCollision: one rule, one message', () => {
  const route = (name: string, path: string, host?: string): ServerRoute => serverRoute({ metadata: { name }, spec: { routing: { path, ...(host ? { host } : {}) } } });
  const TAIL = '; give one of them a different routing.path or routing.host';

  it.each([
    ['same path, no hosts', route('b', '/mcp/q'), route('a', '/mcp/q'), `route /mcp/q is already used by MCPServer/a${TAIL}`],
    ['case differs', route('b', '/mcp/Q'), route('a', '/mcp/q'), `route /mcp/Q is already used by MCPServer/a (route /mcp/q)${TAIL}`],
    ['dot segments', route('b', '/mcp/x/../q'), route('a', '/mcp/./q'), `route /mcp/q is already used by MCPServer/a${TAIL}`],
    ['trailing slash', route('b', '/mcp/q/'), route('a', '/mcp/q'), `route /mcp/q is already used by MCPServer/a${TAIL}`],
    ['claimant has a host, holder none', route('b', '/mcp/q', 'h.example.com'), route('a', '/mcp/q'), `route h.example.com/mcp/q is already used by MCPServer/a (route /mcp/q, any host)${TAIL}`],
    ['holder has a host, claimant none', route('b', '/mcp/q'), route('a', '/mcp/q', 'h.example.com'), `route /mcp/q is already used by MCPServer/a (route h.example.com/mcp/q)${TAIL}`],
    ['same host, case and trailing dot differ', route('b', '/mcp/q', 'Sales.Example.COM.'), route('a', '/mcp/q', 'sales.example.com'), `route sales.example.com/mcp/q is already used by MCPServer/a${TAIL}`],
  ])('%s: collides', (_what, claimant, holder, message) => {
    expect(routeCollision(claimant, holder)).toBe(message);
    // Collision is symmetric; only the wording depends on who asks.
    expect(routeCollision(holder, claimant)).toBeDefined();
  });

  it.each([
    ['different paths', route('b', '/mcp/q'), route('a', '/mcp/r')],
    ['prefix is not the same path', route('b', '/mcp/q'), route('a', '/mcp/q/x')],
    ['different hosts', route('b', '/mcp/q', 'a.example.com'), route('a', '/mcp/q', 'b.example.com')],
    ['the same server', route('a', '/mcp/Q'), route('a', '/mcp/q')],
  ])('%s: no collision', (_what, claimant, holder) => {
    expect(routeCollision(claimant, holder)).toBeUndefined();
    expect(routeCollision(holder, claimant)).toBeUndefined();
  });

  it('ignores environments: one gateway route table serves them all', () => {
    const dev = serverRoute({ metadata: { name: 'dev-one' }, spec: { environment: 'dev', routing: { path: '/mcp/shared' } } });
    const prod = serverRoute({ metadata: { name: 'prod-one' }, spec: { environment: 'production', routing: { path: '/mcp/shared' } } });
    expect(routeCollision(prod, dev)).toBe(`route /mcp/shared is already used by MCPServer/dev-one${TAIL}`);
  });
});

describe('routeRequest and routeMatch', () => {
  const quote = serverRoute({ metadata: { name: 'quote' }, spec: {} });
  const hosted = serverRoute({ metadata: { name: 'sales' }, spec: { routing: { path: '/mcp/quote', host: 'Sales.Example.com' } } });

  it.each([
    ['/mcp/quote', undefined, 'path', undefined],
    ['/mcp/Quote/', 'gateway.local:8080', 'path', undefined],
    ['/mcp/./quote', undefined, 'path', undefined],
    ['/mcp/x/../QUOTE//', undefined, 'path', undefined],
    ['/mcp/quote', 'SALES.example.com.:443', 'path', 'host'],
    ['/mcp/quote', 'other.example.com', 'path', undefined],
    ['/mcp/quotes', undefined, undefined, undefined],
    ['/mcp/quote/x', undefined, undefined, undefined],
    ['/mcp', undefined, undefined, undefined],
  ] as const)('%s with Host %j: host-less route %j, host route %j', (pathname, host, plain, specific) => {
    const request = routeRequest(pathname, host);
    expect(routeMatch(quote, request)).toBe(plain);
    expect(routeMatch(hosted, request)).toBe(specific);
  });

  it('normalises the request as routes are normalised', () => {
    expect(routeRequest('/mcp/./Quote/', 'Gateway.local:8080')).toEqual({ key: '/mcp/quote', host: 'gateway.local' });
    expect(routeRequest('/mcp/quote', undefined)).toEqual({ key: '/mcp/quote' });
  });
});

describe('reservedRouteReason: the gateway\'s own paths', () => {
  const at = (path: string) => reservedRouteReason(serverRoute({ metadata: { name: 's' }, spec: { routing: { path } } }));

  it.each([
    ['/-', '/-'],
    ['/-/healthz', '/-'],
    ['/-/anything/else', '/-'],
    ['/mcp/../-/metrics', '/-'],
    ['/.well-known', '/.well-known'],
    ['/.Well-Known/oauth-protected-resource/mcp/x', '/.well-known'],
    ['/v1/discovery', '/v1/discovery'],
    ['/V1/Discovery/', '/v1/discovery'],
    ['/v0.1/servers', '/v0.1/servers'],
    ['/v0.1/servers/quote/versions', '/v0.1/servers'],
  ])('%s is under %s', (path, prefix) => {
    expect(at(path)).toMatch(new RegExp(`^route \\S+ is under ${prefix.replaceAll('.', '\\.')}, where the gateway serves `));
  });

  it.each(['/mcp/quote', '/-x', '/mcp/-/x', '/well-known', '/v1/discoveryx', '/v1', '/v0.1/serversx', '/mcp/.well-known'])('%s is free', (path) => {
    expect(at(path)).toBeUndefined();
  });

  it('names the route as normalised, what the gateway serves there, and every reserved prefix', () => {
    expect(at('/mcp/../-/Metrics/')).toBe(
      'route /-/Metrics is under /-, where the gateway serves its health, readiness and metrics; choose a routing.path outside /-, /.well-known, /v1/discovery and /v0.1/servers (the default is /mcp/<name>)',
    );
  });
});
