/**
 * The control plane scaled out, as separate processes on one store: two `berth
 * registry`, two `berth reconciler --provider local` and two `berth gateway`.
 * A watcher on one registry sees a write made through the other, route claims
 * stay exclusive across registries, the reconciler lease moves to the standby
 * when the leader is killed, and a manifest applied through one registry becomes
 * routable through both gateways.
 *
 * Always on the SQLite store (several processes, one file); also on MongoDB /
 * DocumentDB when BERTH_TEST_MONGODB_URI names a server (each run uses a fresh
 * database, dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { serverManifest } from './registry-api-harness.ts';
import {
  alive,
  allAccessAgentKey,
  callEcho,
  cleanupAfterEach,
  getServer,
  isReady,
  logRecords,
  runBerth,
  spawnBerth,
  tempDir,
  waitFor,
  writeFixtureManifest,
  type BerthProcess,
} from './cli-services-harness.ts';

const { track, later, killServersOf } = cleanupAfterEach();

const mongoUri = process.env.BERTH_TEST_MONGODB_URI;
if (!mongoUri) console.log('multi-registry test on MongoDB SKIPPED: set BERTH_TEST_MONGODB_URI=mongodb://host:27017 to run it (the SQLite variant runs)');

/**
 * The store URL of one run: a fresh SQLite file, or a fresh database on the test's
 * MongoDB (dropped when the test ends). The database goes in the URI's path,
 * keeping its hosts (maybe several) and options.
 */
function storeUrl(kind: 'sqlite' | 'mongodb', dir: string): string {
  if (kind === 'sqlite') return `sqlite:${join(dir, 'shared', 'registry.db')}`;
  const database = `berth_scale_${randomBytes(4).toString('hex')}`;
  const [base = '', query] = mongoUri!.split('?', 2);
  const hosts = /^mongodb(\+srv)?:\/\/[^/]+/.exec(base)?.[0];
  if (!hosts) throw new Error('BERTH_TEST_MONGODB_URI must look like mongodb://host:27017[/?options]');
  later(async () => {
    const client = new MongoClient(mongoUri!);
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });
  return `${hosts}/${database}${query === undefined ? '' : `?${query}`}`;
}

/** A registry process on `store`, with its own state folder. */
async function startRegistry(store: string, stateDir: string): Promise<BerthProcess & { url: string }> {
  const p = track(spawnBerth(['registry', '--port', '0', '--state-dir', stateDir, '--store', store, '--log-level', 'warn']));
  const url = /(http:\/\/\S+)/.exec(await p.waitForLine(/^registry listening on http/))![1]!;
  return Object.assign(p, { url });
}

/** A server that claims `routePath` (remote, so no reconciler runs it). */
function routedAt(name: string, routePath: string): MCPServer {
  const m = serverManifest(name, { team: 'scale' });
  (m.spec as { routing?: unknown }).routing = { path: routePath };
  return m;
}

describe.each([
  { store: 'sqlite' as const, run: true },
  { store: 'mongodb' as const, run: Boolean(mongoUri) },
])('the control plane scaled out on one $store store', ({ store, run }) => {
  it.skipIf(!run)('2 registries + 2 reconcilers + 2 gateways: cross-registry watch, exclusive route claims, lease takeover after kill -9, routable through both gateways', async () => {
    const { dir, remove } = tempDir(`scale-${store}`);
    later(remove);
    const url = storeUrl(store, dir);
    // The first registry creates the bootstrap admin token; the second finds tokens in the store and writes none.
    const regA = await startRegistry(url, join(dir, 'reg-a'));
    const token = readFileSync(join(dir, 'reg-a', 'admin-token'), 'utf8').trim();
    const regB = await startRegistry(url, join(dir, 'reg-b'));
    const a = new HttpRegistryClient({ baseUrl: regA.url, token });
    const b = new HttpRegistryClient({ baseUrl: regB.url, token });

    // Watch on B, write through A: the event crosses processes through the store. The
    // second write goes to an established watch, so its delay is the cross-process wake-up alone.
    const start = await b.list('MCPServer');
    const stop = new AbortController();
    const arrivals = new Map<string, number>();
    const watching = (async () => {
      for await (const item of b.watch('MCPServer', Number(start.resourceVersion), stop.signal)) {
        if (item.type === 'ADDED') arrivals.set(item.object.metadata.name, Date.now());
      }
    })().catch(() => undefined);
    await a.apply(routedAt('watched', '/mcp/watched'));
    await waitFor('registry B\'s watcher to see the server applied through registry A', () => arrivals.has('watched'), 10_000, 10);
    const wroteAt = Date.now();
    await a.apply(routedAt('watched-2', '/mcp/watched-2'));
    const arrivedAt = await waitFor('the second write on the watch', () => arrivals.get('watched-2'), 10_000, 5);
    stop.abort();
    await watching;
    console.log(`[${store}] a write through registry A reached an established watch on registry B in ${arrivedAt - wroteAt} ms (write round trip included)`);

    // Route claims: writers through both registries race for one free route; exactly one wins.
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => [a, b][i % 2]!.apply(routedAt(`twin-${i}`, '/mcp/twin'))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(String(o.reason), 'a losing writer is told the route is taken').toMatch(/route/i);
    const holders = (await b.list('MCPServer')).items.filter((s) => (s.spec as { routing?: { path?: string } }).routing?.path === '/mcp/twin');
    expect(holders).toHaveLength(1);
    for (const s of [holders[0]!.metadata.name, 'watched', 'watched-2']) await a.delete('MCPServer', s);

    // Two reconcilers, each through its own registry; one runtime state folder (one machine), so the standby adopts.
    const stateDir = join(dir, 'runtime');
    const recArgs = (reg: string) => ['reconciler', '--provider', 'local', '--server', reg, '--token', token, '--state-dir', stateDir, '--lease-ttl', '2s', '--resync', '5s'];
    killServersOf(stateDir);
    const recA = track(spawnBerth(recArgs(regA.url)));
    await recA.waitForLine(/"msg":"became leader"/);
    const recB = track(spawnBerth(recArgs(regB.url)));
    await recB.waitForLine(/"msg":"standby: another reconciler holds the lease/);

    // Two gateways, each following its own registry.
    const gateways = await Promise.all(
      [regA, regB].map(async (reg) => {
        const gw = track(spawnBerth(['gateway', '--port', '0', '--server', reg.url, '--token', token]));
        return /(http:\/\/\S+)/.exec(await gw.waitForLine(/^gateway listening on http/))![1]!;
      }),
    );

    const applied = await runBerth(['apply', '-f', writeFixtureManifest(dir, 'scale-svc'), '--server', regA.url, '--token', token]);
    expect(applied.code, applied.stderr).toBe(0);
    const approved = await runBerth(['approve', 'server', 'scale-svc', '--stage', 'approved-dev', '--server', regB.url, '--token', token]);
    expect(approved.code, approved.stderr).toBe(0);
    await waitFor('scale-svc Ready (read through registry B)', async () => isReady(await getServer({ url: regB.url, token }, 'scale-svc')), 20_000);
    expect(logRecords(recB).some((r) => r['msg'] === 'became leader'), 'only the leader acted').toBe(false);
    const agentKey = await allAccessAgentKey({ url: regB.url, token });
    for (const [i, gw] of gateways.entries()) {
      const text = `hello through gateway ${i + 1}`;
      const echoed = await waitFor(`a tool call through gateway ${i + 1}`, () => callEcho(gw, 'scale-svc', text, agentKey).catch(() => undefined), 10_000, 100);
      expect(echoed).toContain(text);
    }

    // kill -9 the leading reconciler: the standby, on the other registry, takes the lease within the TTL.
    const killedAt = Date.now();
    await recA.stop('SIGKILL');
    await recB.waitForLine(/"msg":"became leader"/, 8_000);
    const takeoverMs = Date.now() - killedAt;
    console.log(`[${store}] reconciler takeover after kill -9: ${takeoverMs} ms (lease TTL 2000 ms)`);
    // Within the TTL (2 s) plus one acquire interval (TTL/3) and process scheduling.
    expect(takeoverMs).toBeLessThan(2_000 + 700 + 1_000);
    await recB.waitForLine(/"msg":"adopted scale-svc \(pid \d+\) started by an earlier Berth process"/, 8_000);
    expect(isReady(await getServer({ url: regA.url, token }, 'scale-svc'))).toBe(true);

    // Registry A goes away: gateway 2 and the new leader, on registry B, keep working.
    await regA.stop('SIGKILL');
    expect(await callEcho(gateways[1]!, 'scale-svc', 'still here', agentKey)).toContain('still here');
  }, 60_000);
});
