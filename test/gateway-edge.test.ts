/**
 * The gateway as a hardened edge (issue 13: Host and Origin checks, CORS, the
 * /-/ endpoints and their metrics), over real sockets: real MCP SDK upstreams
 * that log every request they receive (so "nothing was forwarded" is read from
 * the upstream's own log), the plain proxy and the governed one (registry,
 * agent keys, audit), raw HTTP requests where a header must be set by hand
 * (Host, Origin: browsers' headers, which fetch does not let a test forge) and
 * SDK clients where a client is needed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeOptions } from '../src/gateway/edge/edge.ts';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { startGovernedGateway, type GovernedGateway } from './governed-gateway-harness.ts';
import { sampleValue, samples } from './support/metrics.ts';
import { rawRequest as raw } from './support/raw-http.ts';
import { startToolUpstream, type ToolUpstream } from './support/tool-upstream.ts';
import { waitFor } from './support/wait.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** A plain (ungoverned) gateway over `table`, with these edge rules and an operator registry. */
async function plainGateway(table: RouteTable, edge: EdgeOptions = {}, metrics = new Registry()): Promise<RunningGateway> {
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 200, edge, metrics, remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => gw.close());
  return gw;
}

/** Tool upstreams: `crm` on any host, `sales` only on Host sales.example.com. */
async function upstreams(): Promise<{ crm: ToolUpstream; sales: ToolUpstream; table: RouteTable }> {
  const crm = await startToolUpstream('crm', ['searchAccounts']);
  const sales = await startToolUpstream('sales', ['quote'], { json: true });
  cleanups.push(() => crm.close(), () => sales.close());
  const table = new RouteTable();
  table.replaceAll([server('crm', { endpoint: crm.url }), server('sales', { endpoint: sales.url, path: '/mcp/sales', host: 'Sales.Example.com' })]);
  return { crm, sales, table };
}

function hostOf(url: string): string {
  return new URL(url).host;
}

describe('Host: only the gateway\'s own names are served (DNS rebinding)', () => {
  it('a rebinding Host gets 421 naming the host and the flag, on every method and path, and the upstream sees nothing', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table);
    const evil = `evil.example:${gw.port}`;
    const refused = await raw(gw.url, { path: '/mcp/crm', headers: { host: evil, origin: `http://${evil}` }, body: INIT });
    expect(refused.status).toBe(421);
    expect(refused.headers.connection).toBe('close');
    expect(refused.error).toBe(
      `Host "${evil}" is not a name of this gateway, so the request was refused and nothing was forwarded (the guard against DNS rebinding); if clients reach the gateway by that name, the operator adds it with --allowed-host ${evil} (or --public-url)`,
    );
    for (const [method, path] of [['GET', '/mcp/crm'], ['DELETE', '/mcp/crm'], ['OPTIONS', '/mcp/crm'], ['POST', '/mcp/nope'], ['GET', '/-/metrics']] as const) {
      expect((await raw(gw.url, { method, path, headers: { host: 'EVIL.example.' } })).status, `${method} ${path}`).toBe(421);
    }
    expect((await raw(gw.url, { path: '/mcp/crm', headers: { host: 'evil.example/x' }, body: INIT })).error).toMatch(/^Host "evil.example\/x" is not a host name/);
    expect(crm.log.requests).toEqual([]);
  });

  it('the listen address, localhost over loopback, a public URL, a routing.host and --allowed-host entries are served; upstreams get their own Host', async () => {
    const { crm, sales, table } = await upstreams();
    const gw = await plainGateway(table, { publicUrls: ['https://mcp.example.com'], allowedHosts: ['*.corp.example', 'gw.internal'] });
    for (const host of [`127.0.0.1:${gw.port}`, `localhost:${gw.port}`, `[::1]:${gw.port}`, 'mcp.example.com', 'MCP.example.com:443', `a.b.corp.example:${gw.port}`, 'gw.internal:1234']) {
      const res = await raw(gw.url, { path: '/mcp/crm', headers: { host }, body: INIT });
      expect(res.status, host).toBe(200);
    }
    expect(crm.log.requests).toHaveLength(7);
    // The upstream is asked under its own name; the client's Host travels as X-Forwarded-Host.
    expect(crm.log.requests.map((r) => r.headers.host)).toEqual(Array(7).fill(hostOf(crm.url)));
    expect(crm.log.requests[4]!.headers['x-forwarded-host']).toBe('MCP.example.com:443');
    // A routing.host is one of the gateway's names, on any port; it picks its route as before.
    const viaRouteHost = await raw(gw.url, { path: '/mcp/sales', headers: { host: 'sales.example.com:8443' }, body: INIT });
    expect(viaRouteHost.status).toBe(200);
    expect(sales.log.requests).toHaveLength(1);
    // A port the public URL does not name is not the gateway's.
    expect((await raw(gw.url, { path: '/mcp/crm', headers: { host: 'mcp.example.com:8443' }, body: INIT })).status).toBe(421);
  });

  it('an SDK client through http://localhost:<port> calls tools as before', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table);
    const client = new Client({ name: 'edge-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://localhost:${gw.port}/mcp/crm`)));
    cleanups.push(() => client.close());
    const result = await client.callTool({ name: 'searchAccounts', arguments: { id: 'a1' } });
    expect((result.content as Array<{ text: string }>)[0]!.text).toBe('crm/searchAccounts {"id":"a1"}');
    expect(crm.executed).toHaveLength(1);
  });
});

describe('Origin: browser pages only from the gateway\'s own origin or a listed one', () => {
  it('a foreign Origin gets 403 and nothing is forwarded; the gateway\'s own origin passes without CORS headers', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table);
    const evil = await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'https://evil.example' }, body: INIT });
    expect(evil.status).toBe(403);
    expect(evil.error).toBe(
      'Origin "https://evil.example" may not call this gateway: a browser page may call it only from the gateway\'s own origin or from an origin the operator allows with --cors-origin; nothing was forwarded',
    );
    const nullOrigin = await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'null' }, body: INIT });
    expect(nullOrigin.status).toBe(403);
    expect(nullOrigin.error).toMatch(/allows it with --cors-origin null; nothing was forwarded$/);
    expect(crm.log.requests).toEqual([]);

    const own = await raw(gw.url, { path: '/mcp/crm', headers: { origin: gw.url }, body: INIT });
    expect(own.status).toBe(200);
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
    expect(crm.log.requests).toHaveLength(1);
    // The browser's Origin is the gateway's business, not the upstream's.
    expect(crm.log.requests[0]!.headers.origin).toBeUndefined();
  });

  it('with --cors-origin, a listed origin is answered with CORS headers and others still get 403', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table, { corsOrigins: ['https://app.example.com', 'null'] });
    const app = await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'https://app.example.com' }, body: INIT });
    expect(app.status).toBe(200);
    expect(app.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(app.headers['access-control-expose-headers']).toBe('Mcp-Session-Id, WWW-Authenticate, Retry-After');
    expect(app.headers.vary).toMatch(/Origin/);
    expect(app.headers['access-control-allow-credentials']).toBeUndefined();
    expect(app.headers['mcp-session-id']).toBeDefined();
    expect((await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'null' }, body: INIT })).headers['access-control-allow-origin']).toBe('null');
    expect((await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'https://other.example.com' }, body: INIT })).status).toBe(403);
    // The gateway's own errors carry them too, so a page can read why.
    const miss = await raw(gw.url, { path: '/mcp/nope', headers: { origin: 'https://app.example.com' }, body: INIT });
    expect(miss.status).toBe(404);
    expect(miss.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(crm.log.requests).toHaveLength(2);
  });

  it('an upstream\'s own Access-Control-* headers are dropped: the gateway\'s configuration decides', async () => {
    const up = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'Access-Control-Allow-Credentials': 'true' });
      res.end('{"jsonrpc":"2.0","id":1,"result":{}}');
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => up.close(r)));
    const table = new RouteTable();
    table.replaceAll([server('open', { endpoint: `http://127.0.0.1:${(up.address() as AddressInfo).port}/mcp` })]);
    const gw = await plainGateway(table, { corsOrigins: ['https://app.example.com'] });
    const plain = await raw(gw.url, { path: '/mcp/open', body: INIT });
    expect(plain.status).toBe(200);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect(plain.headers['access-control-allow-credentials']).toBeUndefined();
    const fromApp = await raw(gw.url, { path: '/mcp/open', headers: { origin: 'https://app.example.com' }, body: INIT });
    expect(fromApp.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(fromApp.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('CORS preflight', () => {
  const preflight = (origin: string, requestHeaders = 'content-type, mcp-session-id, mcp-param-region, x-evil') => ({
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

  it('is answered 204 from configuration, alike for routed and unrouted paths, and reaches no upstream', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table, { corsOrigins: ['https://app.example.com'] });
    const routed = await raw(gw.url, { path: '/mcp/crm', ...preflight('https://app.example.com') });
    expect(routed.status).toBe(204);
    expect(routed.text).toBe('');
    expect(routed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(routed.headers['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
    expect(routed.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, accept, mcp-session-id, mcp-protocol-version, last-event-id, mcp-method, mcp-name, traceparent, tracestate, mcp-param-region',
    );
    expect(routed.headers['access-control-max-age']).toBe('600');
    expect(routed.headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    expect(routed.headers['access-control-allow-credentials']).toBeUndefined();
    const unrouted = await raw(gw.url, { path: '/mcp/nope', ...preflight('https://app.example.com') });
    const { date: _d1, ...a } = routed.headers;
    const { date: _d2, ...b } = unrouted.headers;
    expect([unrouted.status, b]).toEqual([204, a]);
    // From an origin not listed: 403, before anything else.
    expect((await raw(gw.url, { path: '/mcp/crm', ...preflight('https://evil.example') })).status).toBe(403);
    expect(crm.log.requests).toEqual([]);
  });

  it('is not answered when CORS is not configured: 405 as any OPTIONS (403 for a foreign origin)', async () => {
    const { crm, table } = await upstreams();
    const gw = await plainGateway(table);
    const res = await raw(gw.url, { path: '/mcp/crm', ...preflight(gw.url) });
    expect(res.status).toBe(405);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(gw.url, { path: '/mcp/crm', ...preflight('https://app.example.com') })).status).toBe(403);
    expect(crm.log.requests).toEqual([]);
  });
});

describe('the governed gateway behind the same edge', () => {
  let g: GovernedGateway;
  const metrics = new Registry();
  beforeAll(async () => {
    g = await startGovernedGateway({ edge: { corsOrigins: ['https://app.example.com'] }, metrics });
  }, 30_000);
  afterAll(async () => {
    await g?.close();
  });

  it('a rebinding request or a foreign Origin with a valid agent key is refused before authentication; nothing reaches the upstream or the audit', async () => {
    const key = await g.bearer('sales-bot');
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'searchAccounts', arguments: { id: 'x' } } };
    const before = g.upstreams.crm.log.requests.length;
    const rebinding = await raw(g.url, { path: '/mcp/crm', headers: { host: 'evil.example', authorization: `Bearer ${key}` }, body: call });
    expect(rebinding.status).toBe(421);
    const foreign = await raw(g.url, { path: '/mcp/crm', headers: { origin: 'https://evil.example', authorization: `Bearer ${key}` }, body: call });
    expect(foreign.status).toBe(403);
    expect(foreign.error).toMatch(/^Origin "https:\/\/evil.example" may not call this gateway/);
    expect(g.upstreams.crm.log.requests).toHaveLength(before);
    expect(g.upstreams.crm.executed).toEqual([]);
    expect(await g.callRecords()).toEqual([]);
    // The same key, from the listed origin, is served (and audited) as usual.
    const fromApp = await raw(g.url, { path: '/mcp/crm', headers: { origin: 'https://app.example.com', authorization: `Bearer ${key}` }, body: INIT });
    expect(fromApp.status).toBe(200);
    expect(fromApp.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(g.upstreams.crm.log.requests.length).toBe(before + 1);
  });

  it('a preflight needs no credential and says nothing about servers; a 401 to a listed origin exposes WWW-Authenticate', async () => {
    const ask = (path: string) => raw(g.url, { path, method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    const [routed, unrouted, discovery] = await Promise.all([ask('/mcp/crm'), ask('/mcp/nope'), ask('/v1/discovery')]);
    for (const r of [routed, unrouted, discovery]) {
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-headers']).toMatch(/^authorization, content-type, /);
    }
    const anonymous = await raw(g.url, { path: '/mcp/crm', headers: { origin: 'https://app.example.com' }, body: INIT });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer resource_metadata=/);
    expect(anonymous.headers['access-control-expose-headers']).toMatch(/WWW-Authenticate/);
  });

  it('an SDK client with an agent key works through the edge, and the gateway\'s operator metrics count it by server', async () => {
    const client = await g.connect('sales-bot', 'crm');
    const result = await client.callTool({ name: 'searchAccounts', arguments: { id: 'a2' } });
    expect((result.content as Array<{ text: string }>)[0]!.text).toBe('crm/searchAccounts {"id":"a2"}');
    const text = await metrics.metrics();
    expect(sampleValue(text, 'berth_gateway_upstream_server_latency_seconds_count', { server: 'crm' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'berth_gateway_rejections_total', { reason: 'host' })).toBeGreaterThanOrEqual(1);
    // The open /-/metrics has the edge's counts, and no server name.
    const open = await raw(g.url, { method: 'GET', path: '/-/metrics' });
    expect(open.status).toBe(200);
    expect(sampleValue(open.text, 'berth_gateway_rejections_total', { reason: 'origin' })).toBeGreaterThanOrEqual(1);
    expect(open.text).not.toMatch(/crm|billing|hr|server="/);
  });
});

describe('/-/healthz, /-/readyz, /-/metrics', () => {
  it('healthz answers while alive; readyz is 503 until the route table has loaded, then 200; both whatever the Host', async () => {
    const table = new RouteTable();
    const gw = await plainGateway(table);
    const health = await raw(gw.url, { method: 'GET', path: '/-/healthz', headers: { host: '10.1.2.3:9999' } });
    expect([health.status, JSON.parse(health.text)]).toEqual([200, { status: 'ok' }]);
    const early = await raw(gw.url, { method: 'GET', path: '/-/readyz', headers: { host: '10.1.2.3:9999' } });
    expect([early.status, early.headers['retry-after'], JSON.parse(early.text)]).toEqual([503, '1', { status: 'not ready', reason: 'the route table has not loaded from the registry yet' }]);
    table.replaceAll([]);
    const ready = await raw(gw.url, { method: 'GET', path: '/-/readyz' });
    expect([ready.status, JSON.parse(ready.text)]).toEqual([200, { status: 'ready' }]);
    expect((await raw(gw.url, { method: 'HEAD', path: '/-/healthz' })).status).toBe(200);
    const post = await raw(gw.url, { path: '/-/healthz', body: INIT });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    const other = await raw(gw.url, { method: 'GET', path: '/-/status' });
    expect(other.status).toBe(404);
    expect(other.error).toBe("/-/status is not one of the gateway's own endpoints (/-/healthz, /-/readyz, /-/metrics); MCP servers are never routed under /-/");
  });

  it('metrics count requests by status class, refusals by reason, upstream latency, open connections and open streams, without naming a server', async () => {
    const { table } = await upstreams();
    const operator = new Registry();
    const gw = await plainGateway(table, {}, operator);
    const scrape = async () => (await raw(gw.url, { method: 'GET', path: '/-/metrics' })).text;
    expect(sampleValue(await scrape(), 'berth_gateway_open_streams', {})).toBe(0);

    // An SDK client: initialize, then its GET stream stays open (one SSE stream), then a call.
    const client = new Client({ name: 'metrics-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/crm`)));
    await client.callTool({ name: 'searchAccounts', arguments: {} });
    const during = await waitFor('the client\'s GET stream counted', async () => {
      const t = await scrape();
      return sampleValue(t, 'berth_gateway_open_streams', {}) === 1 && t;
    });
    expect(sampleValue(during, 'berth_gateway_open_connections', {})).toBeGreaterThanOrEqual(2);
    // Refusals: one of each reason the edge and the proxy give here.
    await raw(gw.url, { path: '/mcp/crm', headers: { host: 'evil.example' }, body: INIT });
    await raw(gw.url, { path: '/mcp/crm', headers: { origin: 'https://evil.example' }, body: INIT });
    await raw(gw.url, { path: '/mcp/nope', body: INIT });
    await raw(gw.url, { method: 'PUT', path: '/mcp/crm', body: INIT });
    await raw(gw.url, { path: '/mcp/crm', headers: { 'content-type': 'application/json' }, body: 'not json' }).catch(() => undefined);
    await client.close();

    const text = await waitFor('the GET stream released', async () => {
      const t = await scrape();
      return sampleValue(t, 'berth_gateway_open_streams', {}) === 0 && t;
    });
    const rejections = Object.fromEntries(samples(text, 'berth_gateway_rejections_total').map((s) => [s.labels['reason'], s.value]));
    expect(rejections).toEqual({ host: 1, origin: 1, 'not-loaded': 0, 'route-not-found': 1, 'route-unavailable': 0, method: 1, 'unknown-session': 0, 'too-large': 0, 'not-json-rpc': 1 });
    const byClass = Object.fromEntries(samples(text, 'berth_gateway_http_requests_total').map((s) => [s.labels['code_class'], s.value]));
    // 2xx: initialize, initialized (202), the call, the GET stream, and the earlier scrapes; 4xx: the five refusals.
    expect(byClass['2xx']).toBeGreaterThanOrEqual(5);
    expect(byClass['4xx']).toBe(5);
    expect(byClass['5xx']).toBe(0);
    expect(sampleValue(text, 'berth_gateway_upstream_latency_seconds_count', {})).toBeGreaterThanOrEqual(3);
    expect(sampleValue(text, 'berth_gateway_upstream_latency_seconds_bucket', { le: '+Inf' })).toBe(sampleValue(text, 'berth_gateway_upstream_latency_seconds_count', {}));
    expect(text).not.toMatch(/crm|server="/);
    // The operator's registry holds the same metrics, and the latency by server.
    const full = await operator.metrics();
    expect(sampleValue(full, 'berth_gateway_rejections_total', { reason: 'host' })).toBe(1);
    expect(sampleValue(full, 'berth_gateway_upstream_server_latency_seconds_count', { server: 'crm' })).toBe(sampleValue(text, 'berth_gateway_upstream_latency_seconds_count', {}));
  });
});
