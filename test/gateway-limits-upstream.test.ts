/**
 * The upstream side of the gateway's limits, with short timeouts so the file
 * runs in seconds: each server's upstream timeout (headers, and the end of an
 * answer that is not an SSE stream; 504 otherwise), SSE streams exempt once
 * their headers came and kept alive with `: keepalive` comments — only between
 * events, never changing an event or its id — and the client-side timeouts
 * (header, body, idle) never cutting a response that takes long.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import type { EdgeLimits, ServerLimits } from '../src/gateway/limits.ts';
import type { GatewayStep } from '../src/gateway/pipeline.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function gatewayFor(servers: MCPServer[], opts: { limits?: Partial<EdgeLimits>; serverDefaults?: Partial<ServerLimits>; steps?: GatewayStep[] } = {}): Promise<RunningGateway> {
  const table = new RouteTable(opts.serverDefaults);
  table.replaceAll(servers);
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.steps ? { steps: opts.steps } : {}), remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => gw.close());
  return gw;
}

async function fixture(opts: { json?: boolean; resumable?: boolean } = {}): Promise<FixtureServer> {
  const f = await startFixtureServer(opts);
  cleanups.push(() => f.close());
  return f;
}

/** An HTTP server whose handler the test writes; `closed` counts requests whose connection went away before the answer ended. */
async function rawUpstream(handler: http.RequestListener): Promise<{ url: string; aborted: () => number }> {
  let aborted = 0;
  const s = http.createServer((req, res) => {
    res.once('close', () => {
      if (!res.writableFinished) aborted++;
    });
    handler(req, res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    s.closeAllConnections();
    return new Promise((r) => s.close(r));
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`, aborted: () => aborted };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'limits-upstream-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanups.push(() => client.close());
  return client;
}

const CALL = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {} } };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const post = (url: string, body: unknown = CALL) => fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads `res`'s body as text for `ms` (or until it ends), then cancels it. */
async function readFor(res: Response, ms: number): Promise<{ text: string; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const next = await Promise.race([reader.read(), sleep(left).then(() => 'time' as const)]);
    if (next === 'time') break;
    if (next.done) return { text, ended: true };
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel();
  return { text, ended: false };
}

const KEEPALIVE = ': keepalive\n\n';

describe("each server's upstream timeout", () => {
  // undici's header timer ticks every half second, so a header timeout may be up to a second late: the answer comes well after it.
  it('a JSON answer after 2.5 s: served where the manifest allows 4 s, 504 naming the server and the field where the default 1 s applies', async () => {
    const up = await rawUpstream((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{"content":[]}}'), 2_500);
    });
    const gw = await gatewayFor([server('patient', { endpoint: up.url, gateway: { upstreamTimeoutSeconds: 4 } }), server('hasty', { endpoint: up.url })], { serverDefaults: { upstreamTimeoutMs: 1_000 } });
    const t0 = performance.now();
    const [patient, hasty] = await Promise.all([post(`${gw.url}/mcp/patient`), post(`${gw.url}/mcp/hasty`).then((r) => [r, performance.now() - t0] as const)]);
    expect([patient.status, await patient.json()]).toEqual([200, { jsonrpc: '2.0', id: 1, result: { content: [] } }]);
    expect([hasty[0].status, await hasty[0].json()]).toEqual([
      504,
      { jsonrpc: '2.0', error: { code: -32003, message: 'server "hasty" did not answer within 1 s (its spec.gateway.upstreamTimeoutSeconds sets how long the gateway waits)' }, id: 1 },
    ]);
    expect(hasty[1]).toBeGreaterThan(950);
    expect(hasty[1]).toBeLessThan(2_200);
  });

  it('a JSON body that does not end in time: 504 when none of it was sent yet, a cut connection when some was; the upstream request is aborted; a slow body that ends in time passes', async () => {
    const headersOnly = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
    });
    const halfBody = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0","id":1,"res');
    });
    const trickle = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      const parts = ['{"jsonrpc":"2.0",', '"id":1,', '"result":{}}'];
      const next = () => (parts.length === 1 ? res.end(parts.shift()) : (res.write(parts.shift()), setTimeout(next, 100)));
      next();
    });
    const gw = await gatewayFor(
      [server('mute', { endpoint: headersOnly.url }), server('cut', { endpoint: halfBody.url }), server('trickle', { endpoint: trickle.url })],
      { serverDefaults: { upstreamTimeoutMs: 1_000 } },
    );
    const t0 = performance.now();
    const mute = await post(`${gw.url}/mcp/mute`);
    expect([mute.status, ((await mute.json()) as { error: { message: string } }).error.message]).toEqual([
      504,
      'server "mute" did not answer within 1 s (its spec.gateway.upstreamTimeoutSeconds sets how long the gateway waits)',
    ]);
    expect(performance.now() - t0).toBeLessThan(1_300);
    const cut = await post(`${gw.url}/mcp/cut`);
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow('terminated');
    expect([headersOnly.aborted(), halfBody.aborted()]).toEqual([1, 1]);
    const slowButInTime = await post(`${gw.url}/mcp/trickle`);
    expect([slowButInTime.status, await slowButInTime.json()]).toEqual([200, { jsonrpc: '2.0', id: 1, result: {} }]);
  });

  it('an SSE answer is exempt once its headers came: an event 1.5 s later arrives through a 1 s timeout', async () => {
    const up = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.end('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'), 1_500);
    });
    const gw = await gatewayFor([server('streamer', { endpoint: up.url })], { serverDefaults: { upstreamTimeoutMs: 1_000 } });
    const res = await post(`${gw.url}/mcp/streamer`);
    const { text, ended } = await readFor(res, 3_000);
    expect(ended).toBe(true);
    expect(text).toBe('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
  });
});

describe('SSE keep-alive comments', () => {
  it('a silent GET stream gets a comment every interval; a later event arrives whole, with its id; the stream outlives the header, body and idle timeouts', async () => {
    const up = await fixture({ resumable: true });
    const gw = await gatewayFor([server('fx', { endpoint: up.url })], { limits: { sseKeepaliveMs: 200, headerTimeoutMs: 300, bodyTimeoutMs: 300, idleTimeoutMs: 300 } });
    // A session opened by hand: an SDK client would hold the session's one GET stream itself.
    const init = await post(`${gw.url}/mcp/fx`, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    expect((await fetch(`${gw.url}/mcp/fx`, { method: 'POST', headers: { ...HEADERS, ...session }, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' })).status).toBe(202);
    const stream = await fetch(`${gw.url}/mcp/fx`, { headers: { accept: 'text/event-stream', ...session } });
    expect(stream.status).toBe(200);
    // The client holds the gateway's sealed id; the fixture knows the session by the upstream's own, and it has one.
    setTimeout(() => void [...up.sessions.values()][0]!.server.sendLoggingMessage({ level: 'info', data: 'after a while' }), 1_100);
    const { text, ended } = await readFor(stream, 1_600);
    expect(ended).toBe(false);
    const blocks = text.split('\n\n').filter((b) => b !== '');
    const events = blocks.filter((b) => b !== ': keepalive');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^id: \S+\nevent: message\ndata: \{"method":"notifications\/message","params":\{"level":"info","data":"after a while"\},"jsonrpc":"2.0"\}$|^event: message\nid: \S+\ndata: \{"method":"notifications\/message","params":\{"level":"info","data":"after a while"\},"jsonrpc":"2.0"\}$/);
    // Silent for 1.1 s before the event and 0.5 s after, at one comment per 0.1–0.2 s.
    const comments = blocks.length - 1;
    expect(comments).toBeGreaterThanOrEqual(6);
    expect(comments).toBeLessThanOrEqual(17);
  });

  it('never inside an event: an upstream that stalls mid-event gets none until the event is complete, and the bytes arrive as sent', async () => {
    const up = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 7\nevent: message\ndata: {"jsonrpc":"2.0",');
      setTimeout(() => res.write('"id":1,"result":{}}\n\n'), 700);
      setTimeout(() => res.end(), 1_200);
    });
    const gw = await gatewayFor([server('staller', { endpoint: up.url })], { limits: { sseKeepaliveMs: 100 } });
    const { text, ended } = await readFor(await post(`${gw.url}/mcp/staller`), 3_000);
    expect(ended).toBe(true);
    const event = 'id: 7\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n';
    expect(text.startsWith(event)).toBe(true);
    expect(text.slice(event.length)).toMatch(/^(: keepalive\n\n){2,10}$/);
  });

  for (const mode of ['relayed as it comes', 'rewritten by a response step'] as const) {
    it(`an SDK client's slow call with progress over SSE (${mode}) works through 100 ms keep-alives and 300 ms client timeouts`, async () => {
      const up = await fixture({ resumable: true });
      const tagging: GatewayStep = { name: 'tag', transformResponse: (_ctx, m) => m };
      const gw = await gatewayFor([server('fx', { endpoint: up.url })], {
        limits: { sseKeepaliveMs: 100, headerTimeoutMs: 300, bodyTimeoutMs: 300, idleTimeoutMs: 300 },
        ...(mode === 'rewritten by a response step' ? { steps: [tagging] } : {}),
      });
      const client = await connect(`${gw.url}/mcp/fx`);
      const progress: number[] = [];
      const result = await client.request({ method: 'tools/call', params: { name: 'slow', arguments: { ms: 1_200, steps: 3 } } }, CallToolResultSchema, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(result.content).toEqual([{ type: 'text', text: 'done after 1200 ms' }]);
      expect(progress).toEqual([1, 2, 3]);
    });
  }
});

describe('the client-side timeouts cut only requests that do not arrive', () => {
  for (const json of [false, true]) {
    it(`a tool call answered after 1.5 s (${json ? 'JSON' : 'SSE'}) outlives 300 ms header, body and idle timeouts`, async () => {
      const up = await fixture({ json });
      const gw = await gatewayFor([server('fx', { endpoint: up.url })], { limits: { headerTimeoutMs: 300, bodyTimeoutMs: 300, idleTimeoutMs: 300 } });
      const client = await connect(`${gw.url}/mcp/fx`);
      const result = await client.callTool({ name: 'slow', arguments: { ms: 1_500, steps: 1 } });
      expect(result.content).toEqual([{ type: 'text', text: 'done after 1500 ms' }]);
    });
  }
});
