/**
 * Issue 13's "servers behind their own credentials", end to end: `berth up` as a
 * real process, a real MCP server that answers 401 to any request without its
 * credentials, and `spec.remote.headers` filled from an `env:BERTH_SECRET_*`
 * variable and a `file:` under the state folder's `secrets/`. The remote runtime's
 * health checks and the governed gateway both send them; the agent's key and a
 * client's header of the same name never reach the server; the values appear in
 * no response and nowhere in berth.log.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { allAccessKey, callThroughGateway, getServer, rawPost, startBerthUp, tempDir, waitFor, waitReady, type BerthUp } from './e2e-harness.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { mcpServer } from './support/manifests.ts';

const ENV_SECRET = 'Bearer e2e-s3cret-from-the-environment';
const FILE_SECRET = 'e2e-k3y-from-a-file';

let up: BerthUp;
let upstream: FixtureServer;
const state = tempDir('credentials');

beforeAll(async () => {
  mkdirSync(join(state.dir, 'secrets', 'crm'), { recursive: true, mode: 0o700 });
  writeFileSync(join(state.dir, 'secrets', 'crm', 'api-key'), `${FILE_SECRET}\n`, { mode: 0o600 });
  // berth up inherits this process's environment (tests run in their own forks).
  process.env['BERTH_SECRET_E2E_CRM'] = ENV_SECRET;
  upstream = await startFixtureServer({ authorize: (h) => h.authorization === ENV_SECRET && h['x-api-key'] === FILE_SECRET });
  up = await startBerthUp({ stateDir: state.dir, examples: false, extraArgs: ['--allow-remote', '127.0.0.1'] });
  const admin = new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token });
  const headers = [
    { name: 'Authorization', valueFrom: 'env:BERTH_SECRET_E2E_CRM' },
    { name: 'X-Api-Key', valueFrom: 'file:crm/api-key' },
  ];
  const tools = [{ name: 'echo', scopes: ['crm.read'] }];
  await admin.apply(mcpServer('crm', { remote: { url: upstream.url, transport: 'streamable-http', headers }, tools }));
  await admin.apply(mcpServer('locked', { remote: { url: upstream.url, transport: 'streamable-http', headers: [{ name: 'Authorization', valueFrom: 'env:BERTH_SECRET_E2E_MISSING' }] }, tools }));
  for (const name of ['crm', 'locked']) await admin.decideStage(name, { stage: 'approved-dev', decision: 'approved' });
}, 60_000);

afterAll(async () => {
  await up?.stop();
  await upstream?.close();
  state.remove();
});

describe('spec.remote.headers from env: and file: through berth up', () => {
  it('the health check and every forwarded request carry them; the agent key and a client header of the same name never do', async () => {
    await waitReady(up, 'crm'); // the fixture answers 401 without both headers, so Ready proves the health check sends them
    const key = await allAccessKey(up);
    const before = upstream.log.requests.length;
    const result = await callThroughGateway(up.gatewayUrl, '/mcp/crm', 'echo', { text: 'through the gateway' }, key);
    expect(result).toEqual({ text: 'through the gateway', isError: false });
    const forwarded = upstream.log.requests.slice(before);
    expect(forwarded.length).toBeGreaterThanOrEqual(3); // initialize, initialized, tools/call (and the session's DELETE)
    for (const r of forwarded) {
      expect(r.headers.authorization).toBe(ENV_SECRET);
      expect(r.headers['x-api-key']).toBe(FILE_SECRET);
    }

    const res = await fetch(`${up.gatewayUrl}/mcp/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}`, 'x-api-key': 'from-the-client' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(upstream.log.requests.at(-1)!.headers['x-api-key']).toBe(FILE_SECRET);
    expect(upstream.log.requests.at(-1)!.headers.authorization).toBe(ENV_SECRET);
    const answer = `${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`;
    expect(answer).not.toContain(ENV_SECRET);
    expect(answer).not.toContain(FILE_SECRET);
  });

  it('a server whose secret cannot be resolved is not routed (503), and the reason names the reference', async () => {
    const key = await allAccessKey(up);
    const seen = upstream.log.requests.length;
    // The reconciler's health check cannot resolve it either, so the status says why and the gateway repeats it.
    const res = await waitFor('the gateway to name the missing secret', async () => {
      const r = await rawPost(up.gatewayUrl, '/mcp/locked', key);
      return r.body.error?.message.includes('env:BERTH_SECRET_E2E_MISSING') ? r : false;
    });
    expect(res.status).toBe(503);
    expect(res.body.error?.message).toMatch(/^server "locked" is not Ready: Degraded\/ProviderError — could not resolve header Authorization \(env:BERTH_SECRET_E2E_MISSING\)/);
    expect(res.body.error?.message).toContain('environment variable BERTH_SECRET_E2E_MISSING is not set');
    expect(upstream.log.requests.length).toBe(seen);
    expect(await getServer(up, 'locked').then((s) => s?.status?.phase)).not.toBe('Ready');
  });

  it('berth.log holds neither value', async () => {
    await up.stop();
    const log = await readFile(join(state.dir, 'berth.log'), 'utf8');
    expect(log).toContain('locked'); // the log is there and speaks of these servers
    expect(log).not.toContain('e2e-s3cret-from-the-environment');
    expect(log).not.toContain(FILE_SECRET);
  });
});
