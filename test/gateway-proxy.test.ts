/**
 * The gateway's data path with real sockets: route errors, streaming without
 * buffering, failures that must never hang, body limits, GET/DELETE and sealed
 * session ids, steps — against real MCP SDK servers and clients.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { RouteTable } from '../src/gateway/route-table.ts';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import type { GatewayStep } from '../src/gateway/pipeline.ts';
import { SessionKeys } from '../src/gateway/session-keys.ts';
import { openSessionId } from '../src/gateway/session-seal.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { server, silentLogger, spawnServer, type ChildServer } from './gateway-helpers.ts';
import { reviewHash } from '../src/manifest/approval-hash.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function gatewayFor(table: RouteTable, extra: Partial<Parameters<typeof startGateway>[0]> = {}): Promise<RunningGateway> {
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 200, ...extra, remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => gw.close());
  return gw;
}

async function fixture(opts: { json?: boolean } = {}): Promise<FixtureServer> {
  const f = await startFixtureServer(opts);
  cleanups.push(() => f.close());
  return f;
}

async function connect(url: string, name = 'test-client'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

/** An HTTP server whose handler the test writes. */
async function rawUpstream(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    s.closeAllConnections();
    return new Promise((r) => s.close(r));
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`, server: s };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

/** POSTs `body` to `path` exactly as written (no URL normalisation on the client side); resolves with the status. */
function rawPostStatus(base: string, path: string, body: unknown): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

describe('routing errors', () => {
  it('answers an unknown path with 404 and the JSON-RPC error naming the path', async () => {
    const table = new RouteTable();
    table.replaceAll([]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/x`, INIT);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"no MCP server routed at /mcp/x"},"id":null}');
  });

  it('answers a not-Ready server with 503 naming the server and its condition', async () => {
    const table = new RouteTable();
    table.replaceAll([server('quote', { ready: false, endpoint: 'http://127.0.0.1:9/mcp' })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/quote`, INIT);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error).toEqual({ code: -32002, message: 'server "quote" is not Ready: Progressing/Starting — process starting' });
  });

  it('answers a draft server with 503 saying the lifecycle forbids traffic', async () => {
    const table = new RouteTable();
    table.replaceAll([server('beta', { lifecycle: 'draft', endpoint: 'http://127.0.0.1:9/mcp' })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/beta`, INIT);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "server \"beta\" is not routable: lifecycle stage 'draft' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it",
    );
  });

  it('refuses Ready servers the lifecycle keeps from traffic (submitted, security-review, approved-dev in production) with the lifecycle reason', async () => {
    const up = await fixture();
    const inProduction = server('prod', { lifecycle: 'approved-dev', endpoint: up.url });
    inProduction.spec.environment = 'production';
    const table = new RouteTable();
    table.replaceAll([server('sub', { lifecycle: 'submitted', endpoint: up.url }), server('rev', { lifecycle: 'security-review', endpoint: up.url }), inProduction]);
    const gw = await gatewayFor(table);
    const refusals: Record<string, string> = {
      sub: "server \"sub\" is not routable: lifecycle stage 'submitted' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it",
      rev: "server \"rev\" is not routable: lifecycle stage 'security-review' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it",
      prod: "server \"prod\" is not routable: lifecycle stage 'approved-dev' is not deployed to production; request approved-production and ask an approver to approve it",
    };
    for (const [name, message] of Object.entries(refusals)) {
      const res = await post(`${gw.url}/mcp/${name}`, INIT);
      expect(res.status, name).toBe(503);
      expect(((await res.json()) as { error: { code: number; message: string } }).error).toEqual({ code: -32002, message });
    }
  });

  it('refuses a Ready server whose requested stage no approval supports, naming the approval missing (the traffic gate decides on the effective stage)', async () => {
    const up = await fixture();
    const table = new RouteTable();
    const unapproved = server('selfmade', { lifecycle: 'approved-dev', endpoint: up.url, unapproved: true });
    table.replaceAll([unapproved]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/selfmade`, INIT);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `server "selfmade" is not routable: requested approved-dev, effective security-review: no approval of spec ${reviewHash(unapproved.spec).slice(0, 8)} for approved-dev; ask an approver: berth approve server selfmade --stage approved-dev`,
    );
  });

  it('serves the server at /mcp/quote for /mcp/Quote/, /mcp/./quote and /mcp/x/../QUOTE// (requests are normalised by the route rule), never /mcp/quotes', async () => {
    const up = await fixture({ json: true });
    const table = new RouteTable();
    table.replaceAll([server('quote', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const { client } = await connect(`${gw.url}/mcp/Quote/`);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'slow']);
    // fetch and the SDK resolve dot segments themselves; a raw request sends them as written.
    for (const raw of ['/mcp/./quote', '/mcp/x/../QUOTE//']) expect(await rawPostStatus(gw.url, raw, INIT), raw).toBe(200);
    expect((await post(`${gw.url}/mcp/quotes`, INIT)).status).toBe(404);
  });

  it('answers 503 (retry) before the table has synced, and 405 for other methods', async () => {
    const table = new RouteTable();
    const gw = await gatewayFor(table);
    const early = await post(`${gw.url}/mcp/x`, INIT);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    table.replaceAll([server('x', { endpoint: 'http://127.0.0.1:9/mcp' })]);
    const put = await fetch(`${gw.url}/mcp/x`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
  });

  it('rejects a body that is not JSON with a parse error and never contacts the upstream', async () => {
    let contacted = false;
    const up = await rawUpstream((_req, res) => {
      contacted = true;
      res.end();
    });
    const table = new RouteTable();
    table.replaceAll([server('x', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/x`, '{not json');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect(contacted).toBe(false);
  });

  it("answers a body over the route table's default limit with 413", async () => {
    const table = new RouteTable({ maxRequestBodyBytes: 1024 });
    table.replaceAll([server('x', { endpoint: 'http://127.0.0.1:9/mcp' })]);
    const gw = await gatewayFor(table);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(4096) } } });
    const res = await post(`${gw.url}/mcp/x`, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'request body is larger than server "x" accepts (1 KiB); send a smaller one, or ask the server\'s owner to raise spec.gateway.maxRequestBodyBytes',
    );
  });
});

describe('pass-through with real MCP SDK servers and clients', () => {
  for (const json of [false, true]) {
    it(`lists and calls tools, round-trips the session id, forwards headers (${json ? 'JSON' : 'SSE'} responses)`, async () => {
      const up = await fixture({ json });
      const table = new RouteTable();
      table.replaceAll([server('fx', { endpoint: up.url })]);
      const sessionKeys = new SessionKeys([randomBytes(32)]);
      const gw = await gatewayFor(table, { sessionKeys });
      const { client, transport } = await connect(`${gw.url}/mcp/fx`);
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['echo', 'slow']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'héllo ✓' } });
      expect(result.content).toEqual([{ type: 'text', text: 'héllo ✓' }]);
      // The client holds a sealed id standing for the one session the upstream created (with no caller: not governed),
      // and the upstream got its own id back on every later request.
      const [upstreamSession] = up.log.sessionsCreated;
      expect(up.log.sessionsCreated).toHaveLength(1);
      expect(openSessionId(sessionKeys, 'fx', transport.sessionId!)).toMatchObject({ upstreamSessionId: upstreamSession, subject: undefined });
      expect(transport.sessionId).not.toContain(upstreamSession);
      const later = up.log.requests.slice(1);
      expect(later.length).toBeGreaterThan(0);
      for (const r of later) expect(r.headers['mcp-session-id']).toBe(upstreamSession);
      const last = up.log.requests.at(-1)!;
      expect(last.headers['mcp-protocol-version']).toBeDefined();
      expect(last.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(last.headers['x-forwarded-proto']).toBe('http');
      expect(last.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    });
  }

  it('passes W3C trace context upstream, so a trace continues into the server', async () => {
    const up = await fixture();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await fetch(`${gw.url}/mcp/fx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', traceparent, tracestate: 'berth=t1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    await res.text();
    expect(res.status).toBe(200);
    expect(up.log.requests.at(-1)!.headers.traceparent).toBe(traceparent);
    expect(up.log.requests.at(-1)!.headers.tracestate).toBe('berth=t1');
  });

  it('answers a session id it did not issue with 404 and never contacts the upstream', async () => {
    const up = await fixture();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/fx`, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'made-up-session' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32010, message: 'session made-up-session is not known to this gateway; start a new session (initialize)' }, id: null });
    expect(up.log.requests).toEqual([]);
  });

  it('passes the GET stream through (server-initiated notification) and DELETE ends the session upstream', async () => {
    const up = await fixture();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const { client, transport } = await connect(`${gw.url}/mcp/fx`);
    const received = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    // The SDK client opens the GET stream after initialisation; wait until the upstream saw it.
    const deadline = Date.now() + 5_000;
    while (!up.log.requests.some((r) => r.method === 'GET') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(up.log.requests.some((r) => r.method === 'GET')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const [upstreamSession] = up.log.sessionsCreated;
    up.sessions.get(upstreamSession!)!.sendToolListChanged();
    await received;
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(up.log.requests.at(-1)!.method).toBe('DELETE');
    expect(up.log.sessionsClosed).toEqual([upstreamSession]);
    // The id still opens, but its session is gone: the upstream's 404 reaches the client.
    const after = await post(`${gw.url}/mcp/fx`, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' });
    expect(after.status).toBe(404);
    expect(up.log.requests.at(-1)!.headers['mcp-session-id']).toBe(upstreamSession);
  });

  it('streams SSE events as they come: the first event arrives before the upstream has finished', async () => {
    let finished = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const up = await rawUpstream(async (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n');
      await gate; // hold the rest until the client has seen the first event
      res.end('event: message\nid: 2\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n');
      finished = true;
    });
    const table = new RouteTable();
    table.replaceAll([server('slow', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/slow`, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x' } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"progress":1');
    expect(finished).toBe(false);
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain('"id":7');
    expect(finished).toBe(true);
  });

  it('passes the headers of a silent SSE stream on at once, and the events that come later', async () => {
    let send!: (event: string) => void;
    const up = await rawUpstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders(); // headers alone, no event yet
      send = (event) => res.end(event);
    });
    const table = new RouteTable();
    table.replaceAll([server('quiet', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const started = performance.now();
    // fetch resolves on the response headers, which the gateway must not hold back until an event comes.
    const res = await post(`${gw.url}/mcp/quiet`, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'x' } }, {}, AbortSignal.timeout(5_000));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(performance.now() - started).toBeLessThan(1_000);
    send('event: message\ndata: {"jsonrpc":"2.0","id":3,"result":{}}\n\n');
    expect(await res.text()).toContain('"id":3');
  });

  it('holds the upstream back while the client reads slowly, then delivers every byte', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const up = await rawUpstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    });
    const table = new RouteTable();
    table.replaceAll([server('big', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const { port } = new URL(gw.url);
    const received = await new Promise<{ whilePaused: number; bytes: number }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/mcp/big', headers: { accept: 'text/event-stream' } }, (res) => {
        let bytes = 0;
        res.once('data', (c: Buffer) => {
          bytes += c.length;
          res.pause();
          // While the client reads nothing, only socket and stream buffers may fill up.
          setTimeout(() => {
            const whilePaused = written;
            res.on('data', (more: Buffer) => (bytes += more.length));
            res.on('end', () => resolve({ whilePaused, bytes }));
            res.resume();
          }, 500);
        });
      });
      req.on('error', reject);
    });
    expect(received.whilePaused).toBeLessThan(total / 2);
    expect(received.bytes).toBe(total);
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamSawClose!: () => void;
    const closed = new Promise<void>((r) => (upstreamSawClose = r));
    const up = await rawUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      res.on('close', () => upstreamSawClose());
    });
    const table = new RouteTable();
    table.replaceAll([server('s', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/mcp/s`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    await res.body!.getReader().read();
    const t0 = Date.now();
    ac.abort();
    await closed;
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('upstream failures never hang', () => {
  async function killedMidCall(json: boolean): Promise<{ elapsedMs: number; error: Error }> {
    const child: ChildServer = await spawnServer(['test/gateway-fixture-server.ts', ...(json ? ['--json'] : [])]);
    cleanups.push(() => child.kill());
    const table = new RouteTable();
    table.replaceAll([server('doomed', { endpoint: child.url })]);
    const gw = await gatewayFor(table);
    const { client } = await connect(`${gw.url}/mcp/doomed`);
    let killedAt = 0;
    const call = client.callTool({ name: 'slow', arguments: { ms: 20_000, steps: 40 } }, CallToolResultSchema, {
      onprogress: () => {
        if (killedAt === 0 && !json) {
          killedAt = Date.now();
          child.child.kill('SIGKILL');
        }
      },
      timeout: 30_000,
    });
    if (json) {
      await new Promise((r) => setTimeout(r, 300));
      killedAt = Date.now();
      child.child.kill('SIGKILL');
    }
    const error = await call.then(
      () => new Error('call unexpectedly succeeded'),
      (e: Error) => e,
    );
    return { elapsedMs: Date.now() - killedAt, error };
  }

  it('mid-SSE-stream: the pending call fails with a JSON-RPC error within 1 s', async () => {
    const { elapsedMs, error } = await killedMidCall(false);
    expect(error.message).toMatch(/server "doomed" closed the stream before answering/);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('before the response headers (JSON mode): 502 within 1 s', async () => {
    const { elapsedMs, error } = await killedMidCall(true);
    // The SDK client surfaces the gateway's 502 body as the error.
    expect(error.message).toMatch(/"code":-32003,"message":"server \\"doomed\\" failed before answering: connection closed by the server/);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('connection refused: 502 with the request id', async () => {
    const table = new RouteTable();
    // Port 9 (discard) is closed on loopback, so connecting is refused at once.
    table.replaceAll([server('gone', { endpoint: 'http://127.0.0.1:9/mcp' })]);
    const gw = await gatewayFor(table);
    const res = await post(`${gw.url}/mcp/gone`, INIT);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32003, message: 'server "gone" failed before answering: ECONNREFUSED' },
      id: 1,
    });
  });

  it('no response headers within the configured timeout: 504', async () => {
    const up = await rawUpstream(() => {
      /* never answers */
    });
    const table = new RouteTable({ upstreamTimeoutMs: 200 });
    table.replaceAll([server('mute', { endpoint: up.url })]);
    const gw = await gatewayFor(table);
    const t0 = Date.now();
    const res = await post(`${gw.url}/mcp/mute`, INIT);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'server "mute" did not answer within 200 ms (its spec.gateway.upstreamTimeoutSeconds sets how long the gateway waits)',
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('steps on the request path', () => {
  const hideSlow: GatewayStep = {
    name: 'hide-slow',
    transformResponse(_ctx, m) {
      const result = m.result as { tools?: Array<{ name: string }> } | undefined;
      if (!result?.tools) return m;
      return { ...m, result: { ...result, tools: result.tools.filter((t) => t.name !== 'slow') } };
    },
  };
  const refuseSlow: GatewayStep = {
    name: 'refuse-slow',
    onRequest(_ctx, messages) {
      const call = messages.find((m) => m.method === 'tools/call' && (m.params as { name?: string }).name === 'slow');
      return call ? { action: 'reject', error: { code: -32005, message: 'tool "slow" is outside your scopes' } } : { action: 'continue' };
    },
  };

  for (const json of [false, true]) {
    it(`filter tools/list and refuse calls (${json ? 'JSON' : 'SSE'} responses), progress still streams`, async () => {
      const up = await fixture({ json });
      const table = new RouteTable();
      table.replaceAll([server('fx', { endpoint: up.url })]);
      const gw = await gatewayFor(table, { steps: [refuseSlow, hideSlow] });
      const { client } = await connect(`${gw.url}/mcp/fx`);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
      await expect(client.callTool({ name: 'slow', arguments: { ms: 10, steps: 1 } })).rejects.toThrow(/outside your scopes/);
      expect((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content).toEqual([{ type: 'text', text: 'ok' }]);
    });
  }

  it('re-frames SSE events one by one when transforming (no buffering of the stream)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const up = await rawUpstream(async (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Split one event across writes to prove incremental framing.
      res.write('event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/pro');
      res.write('gress","params":{"progress":1}}\n\n');
      await gate;
      res.end('id: 2\ndata: {"jsonrpc":"2.0","id":7,"result":{"n":1}}\n\n');
    });
    const seen: string[] = [];
    const tag: GatewayStep = {
      name: 'tag',
      transformResponse(_ctx, m) {
        seen.push(m.method ?? `response ${String(m.id)}`);
        return { ...m, tagged: true };
      },
    };
    const table = new RouteTable();
    table.replaceAll([server('s', { endpoint: up.url })]);
    const gw = await gatewayFor(table, { steps: [tag] });
    const res = await post(`${gw.url}/mcp/s`, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x' } });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1},"tagged":true}\n\n');
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('id: 2\ndata: {"jsonrpc":"2.0","id":7,"result":{"n":1},"tagged":true}\n\n');
    expect(seen).toEqual(['notifications/progress', 'response 7']);
  });
});

