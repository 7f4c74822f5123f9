/**
 * Interchangeable gateway replicas: three `berth gateway` processes following one
 * registry, sharing one `--session-key-file`, behind a round-robin "load balancer"
 * (the SDK client's `fetch` sends every request to the next replica, and skips one
 * that refuses connections, as a load balancer's health check would). One SDK
 * client session initializes, lists, calls tools, holds a GET stream and DELETEs
 * with every request on another replica; a replica killed with SIGKILL mid-session
 * (the one holding the GET stream) loses nothing, and a replica started again
 * serves the session at once. Also: another agent presenting the session id to
 * another replica is refused (403), and key rotation (a replica holding the new
 * and the old key opens ids of both; one holding only the old refuses the new).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBerth, type BerthProcess } from './cli-services-harness.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { conditions } from './gateway-helpers.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';
import { tempDir } from './support/temp-dir.ts';
import { waitFor } from './support/wait.ts';
import { approveInStore } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

let registry: Harness;
let upstream: FixtureServer;
let gatewayToken: string;
const agentKeys: Record<string, string> = {};
let dir: string;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  const made = tempDir('replicas');
  dir = made.dir;
  cleanups.push(made.remove);
  registry = await startHarness({ remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => registry.close());
  upstream = await startFixtureServer();
  cleanups.push(() => upstream.close());
  const base = serverManifest('fx');
  await registry.admin.apply({
    ...base,
    spec: { ...base.spec, remote: { url: upstream.url, transport: 'streamable-http' }, tools: [{ name: 'echo', scopes: ['fx.echo'] }, { name: 'slow', scopes: ['fx.echo'] }] },
  });
  await approveInStore(registry.store, 'fx');
  await registry.store.updateStatus('MCPServer', 'fx', { observedGeneration: 1, conditions: conditions(true), endpoint: upstream.url });
  for (const agent of ['replica-agent', 'other-agent']) {
    await registry.admin.apply({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: agent }, spec: { subjects: [{ agent }], allow: ['*'] } });
    agentKeys[agent] = (await registry.admin.createToken({ role: 'agent', agent })).token;
  }
  gatewayToken = (await registry.admin.createToken({ role: 'gateway' })).token;
}, 30_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A file of session keys, one per line (base64). */
function keyFile(name: string, keys: Buffer[]): string {
  const file = join(dir, name);
  writeFileSync(file, keys.map((k) => k.toString('base64')).join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** A `berth gateway` process following the registry with `keyFile`, and its URL. */
async function startReplica(file: string): Promise<{ url: string; process: BerthProcess }> {
  const p = spawnBerth(['gateway', '--port', '0', '--server', registry.url, '--token', gatewayToken, '--session-key-file', file, '--allow-remote', '127.0.0.1', '--log-level', 'warn']);
  cleanups.push(() => p.stop('SIGKILL', 2_000));
  const url = /(http:\/\/\S+)/.exec(await p.waitForLine(/^gateway listening on http/))![1]!;
  return { url, process: p };
}

/** One request the load balancer sent on. */
interface Sent {
  replica: number;
  method: string;
  status: number;
}

/**
 * A round-robin load balancer as a `fetch`: each request goes to the next replica
 * in `pool`; a replica that refuses the connection is marked down and the request
 * goes to the next one (nothing was sent, so retrying is safe).
 */
function roundRobin(pool: Array<{ url: string; down?: boolean }>, sent: Sent[]): typeof fetch {
  let next = 0;
  return async (input, init) => {
    const path = new URL(input instanceof Request ? input.url : String(input));
    for (let tries = 0; tries < pool.length * 2; tries++) {
      const replica = next++ % pool.length;
      const target = pool[replica]!;
      if (target.down) continue;
      try {
        const res = await fetch(new URL(path.pathname + path.search, target.url), init);
        sent.push({ replica, method: init?.method ?? 'GET', status: res.status });
        return res;
      } catch (err) {
        if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw err;
        target.down = true;
      }
    }
    throw new Error('no replica is up');
  };
}

/** A raw JSON-RPC POST to `server` on the gateway at `url`. */
async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/mcp/fx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers },
    body: JSON.stringify(body),
  });
}

const initialize = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const echo = (text: string) => ({ jsonrpc: '2.0', id: text, method: 'tools/call', params: { name: 'echo', arguments: { text } } });

describe('gateway replicas sharing a session key', () => {
  it('serve one SDK session round-robin (initialize, tools, GET stream, DELETE); a replica killed mid-session loses nothing, and one started again serves it', async () => {
    const file = keyFile('keys', [randomBytes(32)]);
    const pool: Array<{ url: string; down?: boolean }> = [];
    const processes: BerthProcess[] = [];
    for (const started of await Promise.all([0, 1, 2].map(() => startReplica(file)))) {
      pool.push({ url: started.url });
      processes.push(started.process);
    }
    const sent: Sent[] = [];
    const client = new Client({ name: 'replica-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${pool[0]!.url}/mcp/fx`), {
      fetch: roundRobin(pool, sent),
      requestInit: { headers: { authorization: `Bearer ${agentKeys['replica-agent']}` } },
      reconnectionOptions: { initialReconnectionDelay: 100, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.5, maxRetries: 10 },
    });
    cleanups.push(() => client.close());
    let notified = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void notified++);
    await client.connect(transport);

    const sessionId = transport.sessionId!;
    expect(upstream.log.sessionsCreated).toHaveLength(1);
    const upstreamSession = upstream.log.sessionsCreated[0]!;
    expect(sessionId).not.toContain(upstreamSession);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'slow']);
    for (const text of ['one', 'two', 'three', 'four']) expect((await client.callTool({ name: 'echo', arguments: { text } })).content).toEqual([{ type: 'text', text }]);

    // The GET stream is open on one replica, and a server-initiated message comes through it.
    const stream = await waitFor('the GET stream open', () => sent.find((s) => s.method === 'GET' && s.status === 200));
    await waitFor('the upstream holding the GET stream', () => upstream.log.requests.some((r) => r.method === 'GET'));
    upstream.sessions.get(upstreamSession)!.sendToolListChanged();
    await waitFor('the notification on the GET stream', () => notified === 1);
    // Every replica served the session, and none answered anything but success.
    expect(new Set(sent.map((s) => s.replica))).toEqual(new Set([0, 1, 2]));
    expect(sent.filter((s) => s.status >= 300)).toEqual([]);

    // Another agent holding the id gets nowhere on any replica: the opener is sealed in the id, not kept in one replica's memory.
    for (const { url } of pool) {
      const stolen = await post(url, echo('stolen'), { authorization: `Bearer ${agentKeys['other-agent']}`, 'mcp-session-id': sessionId });
      expect(stolen.status).toBe(403);
      await stolen.body?.cancel();
    }

    // Kill the replica holding the GET stream: calls go on through the others, and the stream comes back on one of them.
    const killed = stream.replica;
    await processes[killed]!.stop('SIGKILL');
    for (const text of ['five', 'six', 'seven']) expect((await client.callTool({ name: 'echo', arguments: { text } })).content).toEqual([{ type: 'text', text }]);
    expect(pool[killed]!.down).toBe(true);
    await waitFor('the GET stream open again on a live replica', () => sent.some((s, i) => i > sent.indexOf(stream) && s.method === 'GET' && s.status === 200 && s.replica !== killed), 10_000);
    await new Promise((r) => setTimeout(r, 100)); // the upstream takes the new stream
    upstream.sessions.get(upstreamSession)!.sendToolListChanged();
    await waitFor('the notification on the new GET stream', () => notified === 2);

    // A replica started again (a restart, on a new address) serves the session it never saw.
    const restarted = await startReplica(file);
    pool[killed] = { url: restarted.url };
    const before = sent.length;
    for (const text of ['eight', 'nine', 'ten']) expect((await client.callTool({ name: 'echo', arguments: { text } })).content).toEqual([{ type: 'text', text }]);
    expect(sent.slice(before).map((s) => [s.replica, s.status])).toContainEqual([killed, 200]);

    // One upstream session throughout; DELETE (through whichever replica is next) ends it.
    expect(upstream.log.sessionsCreated).toEqual([upstreamSession]);
    await transport.terminateSession();
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE', status: 200 });
    expect(upstream.log.sessionsClosed).toEqual([upstreamSession]);
    // The id still opens on every replica, and the upstream's 404 for the ended session comes through.
    for (const { url } of pool.filter((p) => !p.down)) {
      const gone = await post(url, echo('gone'), { authorization: `Bearer ${agentKeys['replica-agent']}`, 'mcp-session-id': sessionId });
      expect(gone.status).toBe(404);
      await gone.body?.cancel();
    }
  }, 60_000);

  it('rotate keys: a replica holding the new and the old key serves sessions of both; one holding only the old answers 404 to the new', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const [before, after] = await Promise.all([startReplica(keyFile('old', [oldKey])), startReplica(keyFile('rotated', [newKey, oldKey]))]);
    const auth = { authorization: `Bearer ${agentKeys['replica-agent']}` };
    const open = async (url: string): Promise<string> => {
      const res = await post(url, initialize, auth);
      await res.body?.cancel();
      expect(res.status).toBe(200);
      const id = res.headers.get('mcp-session-id')!;
      const done = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...auth, 'mcp-session-id': id });
      expect(done.status).toBe(202);
      return id;
    };
    const call = async (url: string, id: string): Promise<number> => {
      const res = await post(url, echo('rotation'), { ...auth, 'mcp-session-id': id });
      await res.body?.cancel();
      return res.status;
    };
    const sealedWithOld = await open(before.url);
    const sealedWithNew = await open(after.url);
    expect([await call(before.url, sealedWithOld), await call(after.url, sealedWithOld)]).toEqual([200, 200]);
    expect([await call(after.url, sealedWithNew), await call(before.url, sealedWithNew)]).toEqual([200, 404]);
    // The key id at the front of each id says which key sealed it.
    expect(Buffer.from(sealedWithOld, 'base64url').subarray(1, 5).equals(Buffer.from(sealedWithNew, 'base64url').subarray(1, 5))).toBe(false);
  }, 30_000);
});
