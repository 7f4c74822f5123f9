/**
 * The remote-address rule where connections are made (item 4 of issue 14): a
 * host name that resolves to loopback is refused after DNS resolution by the
 * remote runtime's probe and by the gateway's upstream connections, before any
 * byte reaches the address; the operator's allow-list lets a test's loopback
 * server through; a password in a remote URL never reaches status; the registry
 * refuses literal loopback and metadata addresses in any spelling.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway/gateway.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { createRemoteProvider } from '../src/providers/remote/index.ts';
import { desiredRemote, runHttpServer, testLogger } from './fixtures/mcp-servers/harness.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { serverManifest, startHarness } from './registry-api-harness.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An HTTP server on 127.0.0.1 that answers every request with a JSON-RPC result and counts the connections it accepted. */
async function countingUpstream(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const s = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
  });
  s.on('connection', (_socket: Socket) => connections++);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => s.close(() => resolve())));
  s.unref();
  return { port: (s.address() as AddressInfo).port, connections: () => connections };
}

async function post(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
  return { status: res.status, body: await res.text() };
}

describe('remote runtime probe: the address is checked after resolution, at connect time', () => {
  it('refuses a name resolving to loopback (localhost) and a loopback literal, before connecting, naming rule and flag', async () => {
    const upstream = await countingUpstream();
    const remote = createRemoteProvider({ logger: testLogger(), probeTimeoutMs: 2000 });
    cleanups.push(() => remote.close());
    for (const url of [`http://localhost:${upstream.port}/mcp`, `http://127.0.0.1:${upstream.port}/mcp`, `http://0x7f000001:${upstream.port}/mcp`]) {
      const desired = desiredRemote('crm', { url, transport: 'streamable-http' });
      await remote.apply(remote.plan(desired, await remote.observe('crm')));
      const state = await remote.assess(desired, await remote.observe('crm'));
      expect(state.phase, url).toBe('Degraded');
      expect(state.message).toMatch(/a loopback address \(rule loopback\)/);
      expect(state.message).toContain('--allow-remote');
      expect(state.endpoint).toBeUndefined();
    }
    expect(upstream.connections()).toBe(0);
  });

  it('lets the allow-listed loopback server through, and keeps a URL password out of status and logs', async () => {
    const upstream = await runHttpServer({});
    cleanups.push(() => upstream.stop());
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const remote = createRemoteProvider({ logger, probeTimeoutMs: 2000, remoteAddresses: { allow: ['localhost', '127.0.0.1', '::1'] } });
    cleanups.push(() => remote.close());
    const u = new URL(upstream.url);
    const url = `http://localhost:${u.port}${u.pathname}`;
    const desired = desiredRemote('crm', { url, transport: 'streamable-http' });
    await remote.apply(remote.plan(desired, await remote.observe('crm')));
    const ready = await remote.assess(desired, await remote.observe('crm'));
    expect(ready).toMatchObject({ phase: 'Ready', endpoint: url });

    // A password in the URL: whatever the probe says, status and the log carry the URL without it.
    const secretUrl = `http://bob:hunter2-pw@localhost:${u.port}${u.pathname}`;
    const withPassword = desiredRemote('crm', { url: secretUrl, transport: 'streamable-http' }, 2);
    const plan = remote.plan(withPassword, await remote.observe('crm'));
    await remote.apply(plan);
    const state = await remote.assess(withPassword, await remote.observe('crm'));
    const shown = JSON.stringify({ plan: plan.actions.map((a) => a.reason), state });
    expect(shown).toContain(`localhost:${u.port}`);
    expect(shown).not.toContain('hunter2-pw');
    expect(lines.join('\n')).not.toContain('hunter2-pw');
    expect(lines.join('\n')).toContain(`http://localhost:${u.port}`);
  });
});

describe('gateway upstream connections to servers hosted elsewhere', () => {
  it('refuses a remote endpoint whose name resolves to loopback (502, nothing reaches it); the allow-list lets it through', async () => {
    const upstream = await countingUpstream();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: `http://localhost:${upstream.port}/mcp` }), server('lit', { endpoint: `http://127.0.0.1:${upstream.port}/mcp` })]);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const guarded = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger, closeGraceMs: 100 });
    cleanups.push(() => guarded.close());
    for (const name of ['fx', 'lit']) {
      const refused = await post(`${guarded.url}/mcp/${name}`);
      expect(refused.status, name).toBe(502);
      expect(refused.body, name).toContain("the gateway refuses the server's address");
      expect(refused.body, name).not.toContain('127.0.0.1'); // the operator's addresses stay in the log
    }
    expect(upstream.connections()).toBe(0);
    const logged = lines.join('\n');
    expect(logged).toMatch(/rule loopback/);
    expect(logged).toContain('--allow-remote');

    const allowed = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, remoteAddresses: { allow: ['localhost', '127.0.0.1'] } });
    cleanups.push(() => allowed.close());
    expect((await post(`${allowed.url}/mcp/fx`)).status).toBe(200);
    expect((await post(`${allowed.url}/mcp/lit`)).status).toBe(200);
    expect(upstream.connections()).toBeGreaterThan(0);
  });

  it('refuses the control plane own port even when loopback is allowed', async () => {
    const table = new RouteTable();
    const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, remoteAddresses: { allow: ['127.0.0.0/8'], ownPorts: () => [gw.port] } });
    cleanups.push(() => gw.close());
    table.replaceAll([server('loop', { endpoint: `${gw.url}/mcp/loop` })]);
    const refused = await post(`${gw.url}/mcp/loop`);
    expect(refused.status).toBe(502);
  });
});

describe('registry admission', () => {
  it('refuses loopback and metadata in any spelling (422 naming the rule and the flag); the operator allow-list admits loopback only', async () => {
    const create = async (url: string, registryUrl: string, token: string) => {
      const base = serverManifest(`s${Math.random().toString(36).slice(2, 8)}`);
      const res = await fetch(`${registryUrl}/apis/berth.dev/v1alpha1/mcpservers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...base, spec: { ...base.spec, remote: { url, transport: 'streamable-http' } } }),
      });
      return { status: res.status, body: await res.text() };
    };
    const strict = await startHarness();
    cleanups.push(() => strict.close());
    const spellings = ['http://127.0.0.1:4100/mcp', 'http://127.1:4100/mcp', 'http://0x7f000001:4100/mcp', 'http://[::ffff:127.0.0.1]:4100/mcp', 'http://localhost.:4100/mcp', 'http://[::1]:4100/mcp'];
    for (const url of spellings) {
      const r = await create(url, strict.url, strict.adminToken);
      expect(r.status, url).toBe(422);
      expect(r.body, url).toContain('rule loopback');
      expect(r.body, url).toContain('--allow-remote');
    }
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/latest/meta-data/', 'http://0xa9fea9fe/']) {
      const r = await create(url, strict.url, strict.adminToken);
      expect(r.status, url).toBe(422);
      expect(r.body, url).toContain('rule cloud-metadata');
    }
    const allowing = await startHarness({ remoteAddresses: { allow: ['127.0.0.0/8', '::1'] } });
    cleanups.push(() => allowing.close());
    for (const url of ['http://127.0.0.1:4100/mcp', 'http://127.1:4100/mcp', 'http://[::ffff:127.0.0.1]:4100/mcp']) {
      expect((await create(url, allowing.url, allowing.adminToken)).status, url).toBe(201);
    }
    expect((await create('http://169.254.169.254/', allowing.url, allowing.adminToken)).status).toBe(422);
  });
});
