import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, type Resource } from '../manifest/resource.ts';
import { InProcessRegistryClient } from './in-process-client.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { ConflictError, GoneError, type Store, type WatchEvent } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-inproc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const server = (name: string, counter = 0): Resource => ({
  apiVersion: API_VERSION,
  kind: 'MCPServer',
  metadata: { name },
  spec: { owner: { team: 't' }, lifecycle: 'draft', counter },
});
const policy = (name: string): Resource => ({ apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name }, spec: { subjects: [], allow: [] } });

/** Collects `count` events from the watch, then aborts it; resolves with the events and whether the loop ended. */
async function take(iter: AsyncIterable<WatchEvent>, count: number, ctl: AbortController): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for await (const e of iter) {
    out.push(e);
    if (out.length === count) ctl.abort();
  }
  return out;
}

describe('InProcessRegistryClient over SQLite', () => {
  let store: Store;
  let client: InProcessRegistryClient;
  beforeEach(async () => {
    store = await openSqliteStore({ path: join(dir, `c${++n}.db`) });
    client = new InProcessRegistryClient(store, { batchSize: 2 });
  });
  afterEach(() => store.close());

  it('watch replays history of its kind in order, then streams live writes, and ends when aborted', async () => {
    await store.create(server('a'));
    await store.create(policy('p'));
    await store.create(server('b'));
    const ctl = new AbortController();
    const got = take(client.watch('MCPServer', 0, ctl.signal), 5, ctl);
    await new Promise((r) => setTimeout(r, 20));
    const a = (await store.get('MCPServer', 'a'))!;
    await store.update({ ...a, spec: { ...(a.spec as object), counter: 1 } });
    await store.create(policy('q'));
    await store.updateStatus('MCPServer', 'b', { phase: 'Ready' });
    await store.delete('MCPServer', 'a');
    const events = await got;
    expect(events.map((e) => [e.type, e.object.metadata.name, e.resourceVersion])).toEqual([
      ['ADDED', 'a', 1],
      ['ADDED', 'b', 3],
      ['MODIFIED', 'a', 4],
      ['MODIFIED', 'b', 6],
      ['DELETED', 'a', 7],
    ]);
  });

  it('a watcher that reconnects from its last version sees every change exactly once', async () => {
    for (let i = 0; i < 5; i++) await store.create(server(`s${i}`));
    const ctl1 = new AbortController();
    const firstHalf = await take(client.watch('MCPServer', 0, ctl1.signal), 3, ctl1);
    for (let i = 5; i < 8; i++) await store.create(server(`s${i}`));
    const ctl2 = new AbortController();
    const rest = await take(client.watch('MCPServer', firstHalf.at(-1)!.resourceVersion, ctl2.signal), 5, ctl2);
    expect([...firstHalf, ...rest].map((e) => e.resourceVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('an idle watch ends promptly when aborted', async () => {
    const ctl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctl.abort(), 50);
    const events = await take(client.watch('MCPServer', 0, ctl.signal), 1, ctl);
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('watch from a compacted version throws GoneError', async () => {
    for (let i = 0; i < 5; i++) await store.create(server(`s${i}`));
    await store.compact(1);
    const ctl = new AbortController();
    await expect(take(client.watch('MCPServer', 1, ctl.signal), 1, ctl)).rejects.toBeInstanceOf(GoneError);
  });

  it('passes reads, writes with expected versions, audit and leases through to the store', async () => {
    const created = await store.create(server('w'));
    expect(await client.get('MCPServer', 'w')).toEqual(created);
    expect((await client.list('MCPServer')).items).toEqual([created]);
    const updated = await client.update({ ...created, spec: { ...(created.spec as object), counter: 2 } }, created.metadata.resourceVersion);
    expect(updated.metadata.generation).toBe(2);
    await expect(client.update(created, created.metadata.resourceVersion)).rejects.toBeInstanceOf(ConflictError);
    const st = await client.updateStatus('MCPServer', 'w', { phase: 'Ready' }, updated.metadata.resourceVersion);
    expect(st.metadata.generation).toBe(2);
    await client.appendAudit({ actor: 'system:reconciler', action: 'drift', kind: 'MCPServer', name: 'w' });
    expect((await client.queryAudit({ actor: 'system:reconciler' }))[0]?.action).toBe('drift');
    expect(await client.acquireLease('leader', 'me', 10_000)).toBe(true);
    expect(await client.acquireLease('leader', 'you', 10_000)).toBe(false);
    await client.releaseLease('leader', 'me');
    expect(await client.acquireLease('leader', 'you', 10_000)).toBe(true);
  });
});
