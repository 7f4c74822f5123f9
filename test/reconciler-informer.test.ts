/**
 * The informer and the leader elector against the real SQLite store through the
 * real in-process registry client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MCPServer } from '../src/manifest/types.ts';
import type { RegistryClient } from '../src/client/registry-client.ts';
import { Informer, type InformerEvent, type ListWatchSource } from '../src/client/informer.ts';
import type { ListOptions } from '../src/client/wire.ts';
import type { Kind } from '../src/manifest/resource.ts';
import { LeaderElector } from '../src/reconciler/leader.ts';
import { openRegistry, serverManifest, tempDir, testLogger, waitFor } from './fixtures/reconciler/helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const tmp = tempDir('informer');
  const { store, registry, close } = await openRegistry(tmp.dir);
  cleanups.push(tmp.remove, close);
  return { store, registry };
}

describe('Informer', () => {
  it('lists, then turns every later change into one event, in order, with the cache current', async () => {
    const { store, registry } = await setup();
    await store.create(serverManifest('alpha'));
    await store.create(serverManifest('beta'));
    const events: string[] = [];
    const inf = new Informer({ source: registry, kind: 'MCPServer', logger: testLogger(), onEvent: (e) => events.push(`${e.type} ${e.object.metadata.name}`) });
    inf.start();
    cleanups.push(() => inf.stop());
    await inf.synced();
    expect(inf.keys()).toEqual(['alpha', 'beta']);
    expect(events).toEqual(['ADDED alpha', 'ADDED beta']);

    await store.create(serverManifest('gamma'));
    const alpha = (await store.get('MCPServer', 'alpha')) as MCPServer;
    await store.update({ ...alpha, spec: { ...alpha.spec, lifecycle: 'deprecated' } }, { expectedResourceVersion: alpha.metadata.resourceVersion });
    await store.delete('MCPServer', 'beta');
    await waitFor('three more events', () => events.length === 5);
    expect(events.slice(2)).toEqual(['ADDED gamma', 'MODIFIED alpha', 'DELETED beta']);
    expect(inf.keys()).toEqual(['alpha', 'gamma']);
    expect(inf.get('alpha')?.spec.lifecycle).toBe('deprecated');
    expect(inf.resourceVersion).toBe(await store.currentVersion());
  });

  it('relists when its version is too old (GoneError) and reports what it missed, deletes included', async () => {
    const { store, registry } = await setup();
    await store.create(serverManifest('alpha'));
    await store.create(serverManifest('beta'));
    const events: Array<InformerEvent<MCPServer>> = [];
    const inf = new Informer({ source: registry, kind: 'MCPServer', logger: testLogger(), onEvent: (e) => events.push(e) });
    inf.start();
    await inf.synced();
    await inf.stop();
    // While it is away: changes, then history compacted past its version.
    await store.delete('MCPServer', 'alpha');
    await store.create(serverManifest('delta'));
    for (let i = 0; i < 3; i++) {
      const b = (await store.get('MCPServer', 'beta')) as MCPServer;
      await store.update({ ...b, metadata: { ...b.metadata, labels: { n: String(i) } } });
    }
    await store.compact(1);
    events.length = 0;
    inf.start();
    cleanups.push(() => inf.stop());
    await waitFor('relist', () => inf.listCount === 2);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`).sort()).toEqual(['ADDED delta', 'DELETED alpha', 'MODIFIED beta']);
    expect(inf.keys()).toEqual(['beta', 'delta']);
    // And it keeps watching after the relist.
    await store.create(serverManifest('epsilon'));
    await waitFor('watch after relist', () => inf.get('epsilon'));
  });

  it('reconnects after watch errors with backoff and misses nothing', async () => {
    const { store, registry } = await setup();
    let failNext = 2;
    // Fault injection at the client boundary: the first watches fail like a dropped connection.
    const flaky: ListWatchSource = {
      list: <K extends Kind>(kind: K, opts?: ListOptions) => registry.list(kind, opts),
      watch<K extends Kind>(kind: K, from: number, signal: AbortSignal) {
        if (failNext > 0) {
          failNext -= 1;
          throw new Error('ECONNRESET');
        }
        return registry.watch(kind, from, signal);
      },
    };
    const inf = new Informer({ source: flaky, kind: 'MCPServer', logger: testLogger(), backoff: { baseMs: 10, capMs: 50 } });
    inf.start();
    cleanups.push(() => inf.stop());
    await inf.synced();
    await store.create(serverManifest('late'));
    await waitFor('event after reconnects', () => inf.get('late'));
    expect(failNext).toBe(0);
  });
});

describe('LeaderElector', () => {
  it('one leader at a time; stop hands over to the standby within the TTL; a partitioned leader steps down before anyone else leads', async () => {
    const { registry } = await setup();
    const ttlMs = 600;
    const timeline: string[] = [];
    let partitioned = false;
    // Holder A reaches the registry through a link the test can cut.
    const linkA: Pick<RegistryClient, 'acquireLease' | 'releaseLease'> = {
      acquireLease: async (n: string, h: string, t: number) => {
        if (partitioned) throw new Error('network unreachable');
        return registry.acquireLease(n, h, t);
      },
      releaseLease: (n: string, h: string) => registry.releaseLease(n, h),
    };
    const make = (id: string, reg: Pick<RegistryClient, 'acquireLease' | 'releaseLease'>) =>
      new LeaderElector({
        registry: reg,
        leaseName: 'test-lease',
        holderId: id,
        ttlMs,
        logger: testLogger(),
        onStartedLeading: () => void timeline.push(`${id}+`),
        onStoppedLeading: () => void timeline.push(`${id}-`),
      });
    const a = make('A', linkA);
    a.start();
    await waitFor('A leads', () => a.isLeader);
    const b = make('B', registry);
    b.start();
    cleanups.push(() => b.stop());
    await new Promise((r) => setTimeout(r, ttlMs * 2));
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);

    // Partition A: it must step down on its own before its lease expires and B takes over.
    partitioned = true;
    const cut = Date.now();
    await waitFor('B leads', () => b.isLeader, ttlMs * 4, 10);
    const takeover = Date.now() - cut;
    expect(timeline).toEqual(['A+', 'A-', 'B+']);
    expect(takeover).toBeLessThan(ttlMs * 2);
    await a.stop();

    // Graceful stop: B releases, A (healed) takes over at its next attempt.
    partitioned = false;
    const a2 = make('A', linkA);
    a2.start();
    cleanups.push(() => a2.stop());
    const stopAt = Date.now();
    await b.stop();
    await waitFor('A leads again', () => a2.isLeader, ttlMs * 2, 10);
    expect(Date.now() - stopAt).toBeLessThanOrEqual(ttlMs);
    expect(timeline).toEqual(['A+', 'A-', 'B+', 'B-', 'A+']);
  });
});
