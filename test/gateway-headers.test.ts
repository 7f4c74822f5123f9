/**
 * Header hygiene at the gateway (RFC 9110 §7.6.1, RFC 7239) and the servers' own
 * credentials, with real sockets: a real upstream records every header it
 * receives and answers with the headers a test gives it; clients are raw
 * node:http requests, so nothing between the test and the gateway adds or drops
 * a header on its own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayOptions, type RunningGateway } from '../src/gateway/gateway.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { TrustedProxies } from '../src/gateway/trusted-proxies.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { withApprovals } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An upstream that records the headers of every request and answers JSON with `answer` headers. */
async function recordingUpstream(answer: (req: http.IncomingMessage) => http.OutgoingHttpHeaders = () => ({})): Promise<{ url: string; seen: http.IncomingHttpHeaders[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const s = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      const extra = answer(req);
      res.writeHead(200, { 'content-type': 'application/json', ...extra });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    s.closeAllConnections();
    return new Promise((r) => s.close(r));
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`, seen };
}

async function gatewayFor(servers: MCPServer[], extra: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  const table = new RouteTable();
  // Approved as they are now (the tests set headers after building them): approval is not this file's subject.
  table.replaceAll(servers.map((s) => withApprovals(s)));
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 200, ...extra, remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => gw.close());
  return gw;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs a ping to `base + path` with exactly these headers (plus content type and length). */
function ping(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A pino logger whose lines (JSON, every level) end up in the returned array. */
function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

function withHeaders(s: MCPServer, headers: Array<{ name: string; valueFrom: string }>): MCPServer {
  s.spec.remote!.headers = headers;
  return s;
}

describe('hop-by-hop headers (RFC 9110 §7.6.1)', () => {
  it('drops request headers the Connection header names, allow-listed ones too, and forwards the rest', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([server('fx', { endpoint: up.url })]);
    const res = await ping(gw.url, '/mcp/fx', {
      connection: 'keep-alive, Mcp-Protocol-Version, X-Hop',
      'mcp-protocol-version': '2025-06-18',
      'last-event-id': 'ev-1',
      'x-hop': 'one',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(res.status).toBe(200);
    const got = up.seen[0]!;
    expect(got['mcp-protocol-version']).toBeUndefined();
    expect(got['x-hop']).toBeUndefined();
    expect(got['last-event-id']).toBe('ev-1');
    expect(got.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(got.connection ?? '').not.toMatch(/mcp-protocol-version|x-hop/i);
  });

  it("drops response headers the upstream's Connection names, and keeps the others", async () => {
    const up = await recordingUpstream(() => ({ connection: 'X-Upstream-Hop', 'x-upstream-hop': 'secret-ish', 'x-kept': 'yes', 'proxy-authenticate': 'Basic' }));
    const gw = await gatewayFor([server('fx', { endpoint: up.url })]);
    const res = await ping(gw.url, '/mcp/fx');
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
    expect(res.headers.connection ?? '').not.toMatch(/x-upstream-hop/i);
    expect(JSON.parse(res.body)).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  });
});

describe('Set-Cookie from upstreams', () => {
  it('is dropped by default and reaches the client when the server opts in (spec.gateway.forwardSetCookie)', async () => {
    const up = await recordingUpstream(() => ({ 'set-cookie': ['sid=abc; Path=/; HttpOnly', 'theme=dark'] }));
    const optIn = server('cookies', { endpoint: up.url });
    optIn.spec.gateway = { forwardSetCookie: true };
    const gw = await gatewayFor([server('plain', { endpoint: up.url }), optIn]);
    const plain = await ping(gw.url, '/mcp/plain');
    expect(plain.status).toBe(200);
    expect(plain.headers['set-cookie']).toBeUndefined();
    const opted = await ping(gw.url, '/mcp/cookies');
    expect(opted.headers['set-cookie']).toEqual(['sid=abc; Path=/; HttpOnly', 'theme=dark']);
  });
});

describe('X-Forwarded-* and Forwarded', () => {
  const forged = { 'x-forwarded-for': '203.0.113.66', 'x-forwarded-host': 'mcp.example.com', 'x-forwarded-proto': 'https', forwarded: 'for=203.0.113.66;proto=https' };

  it('replaces what a client that is not a trusted proxy sends with what the gateway saw', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([server('fx', { endpoint: up.url })], { trustedProxies: TrustedProxies.parse(['10.0.0.0/8']) });
    await ping(gw.url, '/mcp/fx', forged);
    const got = up.seen[0]!;
    const host = new URL(gw.url).host;
    expect(got['x-forwarded-for']).toBe('127.0.0.1');
    expect(got['x-forwarded-host']).toBe(host);
    expect(got['x-forwarded-proto']).toBe('http');
    expect(got.forwarded).toBe(`for=127.0.0.1;host="${host}";proto=http`);
  });

  it('keeps and appends to what a trusted proxy sends, and believes its X-Forwarded-Proto', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([server('fx', { endpoint: up.url })], { trustedProxies: TrustedProxies.parse(['127.0.0.0/8']) });
    await ping(gw.url, '/mcp/fx', forged);
    const got = up.seen[0]!;
    const host = new URL(gw.url).host;
    expect(got['x-forwarded-for']).toBe('203.0.113.66, 127.0.0.1');
    expect(got['x-forwarded-host']).toBe('mcp.example.com');
    expect(got['x-forwarded-proto']).toBe('https');
    expect(got.forwarded).toBe(`for=203.0.113.66;proto=https, for=127.0.0.1;host="${host}";proto=http`);
  });

  it('sets them from the socket when the client sends none', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([server('fx', { endpoint: up.url })], { trustedProxies: TrustedProxies.parse(['127.0.0.1']) });
    await ping(gw.url, '/mcp/fx');
    expect(up.seen[0]!['x-forwarded-for']).toBe('127.0.0.1');
    expect(up.seen[0]!['x-forwarded-proto']).toBe('http');
  });
});

describe('the allow-list and Mcp-Param-*', () => {
  it('forwards every Mcp-Param-* header, in any case, and still nothing outside the allow-list', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([server('fx', { endpoint: up.url })]);
    await ping(gw.url, '/mcp/fx', { 'Mcp-Param-Foo': 'bar', 'mcp-param-Account-Id': '42', 'x-custom': 'nope', cookie: 'session=gateway-only' });
    const got = up.seen[0]!;
    expect(got['mcp-param-foo']).toBe('bar');
    expect(got['mcp-param-account-id']).toBe('42');
    expect(got['x-custom']).toBeUndefined();
    expect(got.cookie).toBeUndefined();
  });
});

describe("the servers' own credentials (spec.remote.headers, spec.runtime.headers)", () => {
  const SECRETS: Record<string, string> = { 'env:BERTH_SECRET_CRM_TOKEN': 'Bearer s3cret-crm-token', 'file:crm/api-key': 'k3y-from-a-file' };
  const resolveSecret = async (ref: string): Promise<string> => {
    const value = SECRETS[ref];
    if (value === undefined) throw new Error(`no such secret ${ref}`);
    return value;
  };
  const crmHeaders = [
    { name: 'Authorization', valueFrom: 'env:BERTH_SECRET_CRM_TOKEN' },
    { name: 'X-Api-Key', valueFrom: 'file:crm/api-key' },
  ];

  it('are added to every request, a client header of the same name cannot override them, and they never come back', async () => {
    // The upstream echoes what it got, as a careless server might.
    const up = await recordingUpstream((req) => ({ 'x-api-key': String(req.headers['x-api-key']), authorization: String(req.headers.authorization), 'x-kept': 'yes' }));
    const { logger, lines } = capturingLogger();
    const crm = withHeaders(server('crm', { endpoint: up.url }), crmHeaders);
    const runtimeServer = server('builtin', { endpoint: up.url });
    runtimeServer.spec = { ...runtimeServer.spec, remote: undefined, runtime: { image: 'ghcr.io/acme/builtin:1.0.0', transport: 'streamable-http', headers: [{ name: 'X-Api-Key', valueFrom: 'file:crm/api-key' }] } } as MCPServer['spec'];
    // forwardHeaders: the open pass-through would forward a client's Authorization; the credential still wins.
    const gw = await gatewayFor([crm, runtimeServer], { logger, resolveSecret, forwardHeaders: ['authorization'] });

    for (let i = 0; i < 2; i++) {
      const res = await ping(gw.url, '/mcp/crm', { authorization: 'Bearer from-the-client', 'x-api-key': 'from-the-client', connection: 'keep-alive' });
      expect(res.status).toBe(200);
      expect(res.headers['x-api-key']).toBeUndefined();
      expect(res.headers.authorization).toBeUndefined();
      expect(res.headers['x-kept']).toBe('yes');
    }
    expect(up.seen).toHaveLength(2);
    for (const got of up.seen) {
      expect(got.authorization).toBe('Bearer s3cret-crm-token');
      expect(got['x-api-key']).toBe('k3y-from-a-file');
    }
    const res = await ping(gw.url, '/mcp/builtin', { 'x-api-key': 'from-the-client' });
    expect(res.status).toBe(200);
    expect(up.seen[2]!['x-api-key']).toBe('k3y-from-a-file');
    expect(up.seen[2]!.authorization).toBeUndefined();

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0); // the gateway did log (its start), so the check below means something
    expect(log).not.toContain('s3cret-crm-token');
    expect(log).not.toContain('k3y-from-a-file');
  });

  it('a reference that cannot be resolved: 503 naming the server, header and reference, nothing sent, one warning', async () => {
    const up = await recordingUpstream();
    const { logger, lines } = capturingLogger();
    const crm = withHeaders(server('crm', { endpoint: up.url }), [
      { name: 'Authorization', valueFrom: 'env:BERTH_SECRET_CRM_TOKEN' },
      { name: 'X-Tenant-Key', valueFrom: 'env:BERTH_SECRET_MISSING' },
    ]);
    const gw = await gatewayFor([crm, server('other', { endpoint: up.url })], { logger, resolveSecret });
    for (let i = 0; i < 3; i++) {
      const res = await ping(gw.url, '/mcp/crm');
      expect(res.status).toBe(503);
      const error = (JSON.parse(res.body) as { error: { code: number; message: string } }).error;
      expect(error.message).toBe(
        'server "crm" is unavailable: its header X-Tenant-Key could not be resolved from env:BERTH_SECRET_MISSING: no such secret env:BERTH_SECRET_MISSING; the gateway never sends a request without the server\'s credentials',
      );
      expect(res.body).not.toContain('s3cret-crm-token');
    }
    expect(up.seen).toHaveLength(0);
    // Other servers are not affected.
    expect((await ping(gw.url, '/mcp/other')).status).toBe(200);
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; reference?: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => [w.reference, w.msg])).toEqual([['env:BERTH_SECRET_MISSING', 'a server credential cannot be resolved; the server is unavailable (503) until it can']]);
    expect(lines.join('\n')).not.toContain('s3cret-crm-token');
  });

  it('without a secret resolver, a server with credentials is unavailable rather than called without them', async () => {
    const up = await recordingUpstream();
    const gw = await gatewayFor([withHeaders(server('crm', { endpoint: up.url }), crmHeaders)]);
    const res = await ping(gw.url, '/mcp/crm');
    expect(res.status).toBe(503);
    expect(res.body).toContain('this gateway has no secret resolver configured');
    expect(up.seen).toHaveLength(0);
  });
});
