/**
 * The reconciler end to end on one machine: real SQLite store, real in-process
 * registry client, real local provider, real server processes, real MCP clients.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RECONCILER_FINALIZER } from '../src/manifest/conditions.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { createLocalProvider, type LocalProvider } from '../src/providers/local/index.ts';
import type { Plan, RuntimeProvider } from '../src/providers/provider.ts';
import { startReconciler, type RunningReconciler } from '../src/reconciler/controller.ts';
import { findCondition } from '../src/reconciler/status.ts';
import { alive, openRegistry, serverManifest, tempDir, testLogger, waitFor } from './fixtures/reconciler/helpers.ts';
import { approveInStore } from './support/approvals.ts';
import { reconcileCounts } from './support/metrics.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const tmp = tempDir('reconciler');
  const { store, registry, close } = await openRegistry(tmp.dir);
  cleanups.push(tmp.remove, close);
  return { dir: tmp.dir, store, registry };
}

function localProvider(stateDir: string, onChange?: (name: string) => void): LocalProvider {
  const p = createLocalProvider({
    logger: testLogger(),
    stateDir,
    nodePath: process.execPath,
    parentEnv: process.env,
    stopGraceMs: 2_000,
    // whoami must report the host pid: under bwrap a server sees only its own PID namespace (sandbox.test.ts covers that).
    sandbox: 'off',
    ...(onChange ? { onChange } : {}),
  });
  cleanups.push(() => p.close());
  return p;
}

/** Counts apply calls on a real provider (everything else passes straight through). */
function counting<O>(p: RuntimeProvider<O>): RuntimeProvider<O> & { applies: number } {
  const wrapped = {
    applies: 0,
    name: p.name,
    handles: (spec: Parameters<RuntimeProvider<O>['handles']>[0]) => p.handles(spec),
    observe: (name: string, signal?: AbortSignal) => p.observe(name, signal),
    plan: (d: Parameters<RuntimeProvider<O>['plan']>[0], o: O) => p.plan(d, o),
    apply: (plan: Plan, signal?: AbortSignal) => {
      wrapped.applies += 1;
      return p.apply(plan, signal);
    },
    assess: (d: Parameters<RuntimeProvider<O>['assess']>[0], o: O) => p.assess(d, o),
    listManaged: (signal?: AbortSignal) => p.listManaged(signal),
    close: () => p.close(),
  };
  return wrapped;
}

function start(opts: Parameters<typeof startReconciler>[0]): RunningReconciler {
  const r = startReconciler(opts);
  cleanups.push(() => r.stop());
  return r;
}

async function callTool(endpoint: string, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const client = new Client({ name: 'reconciler-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
  try {
    const res = (await client.callTool({ name, arguments: args })) as { content: Array<{ type: string; text?: string }> };
    return res.content[0]?.text ?? '';
  } finally {
    await client.close();
  }
}

const get = async (store: { get: (k: 'MCPServer', n: string) => Promise<unknown> }, name: string) => (await store.get('MCPServer', name)) as MCPServer | undefined;

describe('reconciler with the local runtime', () => {
  it('apply → Ready; env change → restart and observedGeneration follows; delete → finalizer path, process gone, object removed', async () => {
    const { dir, store, registry } = await setup();
    let reconciler: RunningReconciler | undefined;
    const local = localProvider(dir, (name) => reconciler?.enqueue(name));
    const metrics = new Registry();
    reconciler = start({ registry, providers: [local], logger: testLogger(), holderId: 'r1', leaseTtlMs: 1_000, resyncMs: 60_000, metrics });

    const created = await store.create(serverManifest('alpha', {}, { GREETING: 'hello' }));
    await approveInStore(store, 'alpha');
    const ready = await waitFor('alpha Ready', async () => {
      const s = await get(store, 'alpha');
      return s?.status?.phase === 'Ready' && s.status.tools?.length ? s : undefined;
    });
    expect(ready.metadata.finalizers).toContain(RECONCILER_FINALIZER);
    expect(ready.status?.observedGeneration).toBe(created.metadata.generation);
    expect(ready.status?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(ready.status?.tools?.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
    expect(findCondition(ready.status, 'Ready')?.status).toBe('True');
    expect(findCondition(ready.status, 'Approved')).toMatchObject({ status: 'True', reason: 'LifecycleAllows' });
    const endpoint = ready.status!.endpoint!;
    expect(await callTool(endpoint, 'getEnv', { name: 'GREETING' })).toBe('hello');
    const pid1 = Number(await callTool(endpoint, 'whoami'));
    expect(alive(pid1)).toBe(true);

    // A second pass right after changes nothing: no status write.
    await reconciler.idle();
    const rvBefore = (await get(store, 'alpha'))!.metadata.resourceVersion;
    reconciler.enqueue('alpha');
    await reconciler.idle();
    expect((await get(store, 'alpha'))!.metadata.resourceVersion).toBe(rvBefore);

    // Change the env: a new generation, a new process with the new env.
    const cur = (await get(store, 'alpha'))!;
    const changed = structuredClone(cur);
    changed.spec.runtime!.local!.env = { ...changed.spec.runtime!.local!.env, GREETING: 'bonjour' };
    const updated = await store.update(changed, { expectedResourceVersion: cur.metadata.resourceVersion });
    expect(updated.metadata.generation).toBe(2);
    // The env is part of what runs: the change needs a new approval.
    await approveInStore(store, 'alpha');
    const rolled = await waitFor('alpha Ready at generation 2', async () => {
      const s = await get(store, 'alpha');
      return s?.status?.observedGeneration === 2 && s.status.phase === 'Ready' ? s : undefined;
    });
    expect(await callTool(rolled.status!.endpoint!, 'getEnv', { name: 'GREETING' })).toBe('bonjour');
    const pid2 = Number(await callTool(rolled.status!.endpoint!, 'whoami'));
    expect(pid2).not.toBe(pid1);
    await waitFor('old process gone', () => !alive(pid1));

    // Delete: the object stays until the runtime is retired, then it is removed.
    const del = await store.delete('MCPServer', 'alpha');
    expect(del.removed).toBe(false);
    await waitFor('alpha removed', async () => (await get(store, 'alpha')) === undefined);
    expect(alive(pid2)).toBe(false);
    expect(await local.listManaged()).toEqual([]);
    // Deploys and the retirement were handled by the local runtime, and counted under it.
    expect(reconcileCounts(await metrics.metrics())['local/success']).toBeGreaterThanOrEqual(3);
  });

  it('draft is not deployed and says why; approving deploys it; retiring removes the runtime and keeps the object', async () => {
    const { dir, store, registry } = await setup();
    const local = counting(localProvider(dir));
    const reconciler = start({ registry, providers: [local], logger: testLogger(), holderId: 'r1', leaseTtlMs: 1_000, resyncMs: 60_000 });
    await store.create(serverManifest('beta', { lifecycle: 'draft' }));
    const draft = await waitFor('beta NotDeployed', async () => {
      const s = await get(store, 'beta');
      return s?.status?.phase === 'NotDeployed' ? s : undefined;
    });
    expect(findCondition(draft.status, 'Approved')).toMatchObject({
      status: 'False',
      reason: 'LifecycleDraft',
      message: "lifecycle stage 'draft' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it",
    });
    expect(draft.metadata.finalizers ?? []).not.toContain(RECONCILER_FINALIZER);
    await reconciler.idle();
    expect(local.applies).toBe(0);
    expect(await local.listManaged()).toEqual([]);

    const approved = await store.update({ ...draft, spec: { ...draft.spec, lifecycle: 'approved-dev' } });
    await approveInStore(store, 'beta');
    const running = await waitFor('beta Ready', async () => {
      const s = await get(store, 'beta');
      return s?.status?.phase === 'Ready' && s.status.observedGeneration === approved.metadata.generation ? s : undefined;
    });
    const pid = Number(await callTool(running.status!.endpoint!, 'whoami'));

    const retired = await store.update({ ...running, spec: { ...running.spec, lifecycle: 'retired' } });
    const gone = await waitFor('beta Retired', async () => {
      const s = await get(store, 'beta');
      return s?.status?.phase === 'Retired' && s.status.observedGeneration === retired.metadata.generation ? s : undefined;
    });
    expect(alive(pid)).toBe(false);
    expect(gone.status?.endpoint).toBeUndefined();
    expect(gone.metadata.finalizers ?? []).not.toContain(RECONCILER_FINALIZER);
    expect(findCondition(gone.status, 'Approved')).toMatchObject({ status: 'False', reason: 'LifecycleRetired' });
    expect(await local.listManaged()).toEqual([]);
  });

  it('a server of another environment is left entirely alone', async () => {
    const { dir, store, registry } = await setup();
    const local = counting(localProvider(dir));
    const metrics = new Registry();
    const reconciler = start({ registry, providers: [local], environment: 'production', logger: testLogger(), holderId: 'r1', leaseTtlMs: 1_000, resyncMs: 60_000, metrics });
    const created = await store.create(serverManifest('gamma', { environment: 'dev' }));
    await waitFor('leader', () => reconciler.isLeader());
    await reconciler.idle();
    await waitFor('gamma reconciled', async () => (reconcileCounts(await metrics.metrics())['none/success'] ?? 0) >= 1);
    // No provider was involved: every pass is counted under none.
    expect(Object.keys(reconcileCounts(await metrics.metrics())).every((k) => k.startsWith('none/'))).toBe(true);
    const after = (await get(store, 'gamma'))!;
    expect(after.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(after.status).toBeUndefined();
    expect(local.applies).toBe(0);
  });

  it('a runtime left behind for a server the registry no longer has is retired at resync', async () => {
    const { dir, store, registry } = await setup();
    // A first Berth starts the server, then "crashes" leaving the process running and recorded.
    const first = localProvider(dir);
    const r1 = startReconciler({ registry, providers: [first], logger: testLogger(), holderId: 'r1', leaseTtlMs: 1_000, resyncMs: 60_000 });
    await store.create(serverManifest('delta'));
    await approveInStore(store, 'delta');
    const ready = await waitFor('delta Ready', async () => {
      const s = await get(store, 'delta');
      return s?.status?.phase === 'Ready' ? s : undefined;
    });
    const pid = Number(await callTool(ready.status!.endpoint!, 'whoami'));
    await r1.stop();
    await first.release();
    // Meanwhile the object disappears without the finalizer path (e.g. a restored backup).
    await store.update({ ...ready, metadata: { ...ready.metadata, finalizers: [] } });
    await store.delete('MCPServer', 'delta');
    expect(await get(store, 'delta')).toBeUndefined();
    expect(alive(pid)).toBe(true);

    const second = localProvider(dir);
    const metrics = new Registry();
    const r2 = start({ registry, providers: [second], logger: testLogger(), holderId: 'r2', leaseTtlMs: 1_000, resyncMs: 60_000, metrics });
    await waitFor('orphan stopped', () => !alive(pid));
    await r2.idle();
    expect(await second.listManaged()).toEqual([]);
    // This reconciler deployed nothing: its local count is the orphan's retirement.
    expect(reconcileCounts(await metrics.metrics())['local/success']).toBeGreaterThanOrEqual(1);
  });

  it('a reconciler that dies without cleaning up is replaced by one that adopts its processes: no duplicates', async () => {
    const { dir, store, registry } = await setup();
    const first = localProvider(dir);
    const r1 = startReconciler({ registry, providers: [first], logger: testLogger(), holderId: 'r1', leaseTtlMs: 1_000, resyncMs: 60_000 });
    await store.create(serverManifest('eta'));
    await approveInStore(store, 'eta');
    const ready = await waitFor('eta Ready', async () => {
      const s = await get(store, 'eta');
      return s?.status?.phase === 'Ready' ? s : undefined;
    });
    const pid = Number(await callTool(ready.status!.endpoint!, 'whoami'));
    // Like kill -9: stop acting and leave every process running and recorded.
    await r1.stop();
    await first.release();

    const second = counting(localProvider(dir));
    const r2 = start({ registry, providers: [second], logger: testLogger(), holderId: 'r2', leaseTtlMs: 1_000, resyncMs: 60_000 });
    await waitFor('r2 leads', () => r2.isLeader());
    const after = await waitFor('eta Ready under r2', async () => {
      const s = await get(store, 'eta');
      return s?.status?.phase === 'Ready' && s.metadata.resourceVersion !== ready.metadata.resourceVersion ? s : undefined;
    });
    await r2.idle();
    expect(after.status?.endpoint).toBe(ready.status?.endpoint);
    expect(Number(await callTool(after.status!.endpoint!, 'whoami'))).toBe(pid);
    expect(await second.listManaged()).toEqual(['eta']);
    expect(second.applies).toBe(1); // the adoption, nothing started
  });

  it('two reconcilers on one store: only the leader acts; stopping it hands over within the lease TTL', async () => {
    const { dir, store, registry } = await setup();
    const ttl = 1_000;
    const localA = counting(localProvider(`${dir}/a`));
    const localB = counting(localProvider(`${dir}/b`));
    const a = startReconciler({ registry, providers: [localA], logger: testLogger(), holderId: 'A', leaseTtlMs: ttl, resyncMs: 60_000 });
    await waitFor('A leads', () => a.isLeader());
    const b = start({ registry, providers: [localB], logger: testLogger(), holderId: 'B', leaseTtlMs: ttl, resyncMs: 60_000 });
    await store.create(serverManifest('eps'));
    await approveInStore(store, 'eps');
    await store.create(serverManifest('zeta'));
    await approveInStore(store, 'zeta');
    await waitFor('both Ready', async () => {
      const all = await Promise.all(['eps', 'zeta'].map((n) => get(store, n)));
      return all.every((s) => s?.status?.phase === 'Ready');
    });
    await b.idle();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(localA.applies).toBeGreaterThanOrEqual(2);
    expect(localB.applies).toBe(0);

    const stoppedAt = Date.now();
    await a.stop(); // aborts and awaits A's in-flight work, then releases the lease
    const releasedAt = Date.now();
    await localA.close(); // A's machine goes away with its processes
    const appliesA = localA.applies;
    await waitFor('B leads', () => b.isLeader(), ttl * 3, 10);
    const takeoverMs = Date.now() - releasedAt;
    expect(takeoverMs).toBeLessThanOrEqual(ttl);
    // B restores what A's departure took away. A's last statuses still say Ready, so
    // wait for B's own processes (counted applies start before a process is recorded).
    await waitFor('Ready again under B', async () => {
      const all = await Promise.all(['eps', 'zeta'].map((n) => get(store, n)));
      const managed = await localB.listManaged();
      return all.every((s) => s?.status?.phase === 'Ready') && managed.length === 2;
    });
    await b.idle();
    expect(localA.applies).toBe(appliesA);
    expect(localB.applies).toBeGreaterThanOrEqual(2);
    expect(await localB.listManaged()).toEqual(['eps', 'zeta']);
    console.log(`lease takeover: ${takeoverMs} ms after release, ${releasedAt - stoppedAt} ms for A to stop (TTL ${ttl} ms)`);
  });
});
