/**
 * The one contract suite every Store adapter runs (see the rules in store.ts).
 * An adapter's test file is a few lines:
 *
 * @example
 * runStoreContract({ name: 'sqlite', newStore: () => openSqliteStore({ path: tempFile() }) });
 *
 * Each test gets a fresh, empty store from `newStore` and closes it afterwards;
 * `cleanup` runs once after the whole suite (drop databases, remove files).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_VERSION, type Kind, type Resource } from '../manifest/resource.ts';
import { AlreadyExistsError, ConflictError, GoneError, InvalidRequestError, NotFoundError } from '../client/errors.ts';
import type { WatchEvent } from '../client/wire.ts';
import type { Store } from './store.ts';
import { runApprovalAndCallRecordContract } from './store-contract-approvals.ts';
import { encodeAuditCursor } from './store-semantics.ts';
import { runStageApprovalContract } from './store-contract-stage-approvals.ts';
import { runAuditedWriteContract } from './store-contract-audit.ts';

/** How to run the contract against one adapter. */
export interface StoreContractOptions {
  /** Shown in the suite title, e.g. "sqlite". */
  name: string;
  /** A fresh, empty store for one test. */
  newStore: () => Promise<Store>;
  /** Runs once after all tests (drop test databases, delete files). */
  cleanup?: () => Promise<void>;
}

interface TestSpec {
  owner: { team: string };
  lifecycle: string;
  environment: string;
  counter?: number;
  description?: string;
}

/** A minimal MCPServer-shaped object; the store does not validate schemas. */
function server(name: string, opts: { team?: string; lifecycle?: string; labels?: Record<string, string>; finalizers?: string[]; counter?: number } = {}): Resource<TestSpec> {
  const metadata: Resource['metadata'] = { name };
  if (opts.labels) metadata.labels = opts.labels;
  if (opts.finalizers) metadata.finalizers = opts.finalizers;
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata,
    spec: { owner: { team: opts.team ?? 'payments' }, lifecycle: opts.lifecycle ?? 'draft', environment: 'dev', counter: opts.counter ?? 0 },
  };
}

function policy(name: string): Resource {
  return { apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name }, spec: { subjects: [{ agent: 'a' }], allow: ['x.read'] } };
}

const clone = <T>(v: T): T => structuredClone(v);

async function expectRejects<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
  return err as E;
}

/** Registers the contract suite for one adapter with vitest. */
export function runStoreContract(opts: StoreContractOptions): void {
  describe(`Store contract: ${opts.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await opts.newStore();
    });
    afterEach(async () => {
      await store.close();
    });
    if (opts.cleanup) afterAll(opts.cleanup);

    /** Everything observable about the store's objects and history, to prove a failed call changed nothing. */
    async function snapshot(): Promise<unknown> {
      const lists = await Promise.all((['MCPServer', 'AccessPolicy'] as Kind[]).map((k) => store.list(k)));
      return { version: await store.currentVersion(), items: lists.map((l) => l.items), changes: await store.changesSince(0) };
    }
    const allEvents = (): Promise<WatchEvent[]> => store.changesSince(0, { limit: 10_000 });

    describe('create and get', () => {
      it('stores generation 1, a uid, creation time and the next global version, and records ADDED', async () => {
        expect(await store.currentVersion()).toBe(0);
        const created = await store.create(server('weather', { labels: { tier: 'gold' } }));
        expect(created.metadata.generation).toBe(1);
        expect(created.metadata.uid).toMatch(/.+/);
        expect(Number.isNaN(Date.parse(created.metadata.creationTimestamp ?? ''))).toBe(false);
        expect(created.metadata.resourceVersion).toBe('1');
        expect(await store.get('MCPServer', 'weather')).toEqual(created);
        expect(await store.currentVersion()).toBe(1);
        const events = await allEvents();
        expect(events).toEqual([{ type: 'ADDED', object: created, resourceVersion: 1 }]);
      });

      it('gives every write across kinds the next value of one counter', async () => {
        const a = await store.create(server('a'));
        const p = await store.create(policy('p'));
        const b = await store.create(server('b'));
        expect([a, p, b].map((o) => Number(o.metadata.resourceVersion))).toEqual([1, 2, 3]);
        expect(await store.currentVersion()).toBe(3);
      });

      it('ignores server-owned metadata and status sent by the caller', async () => {
        const input = server('weather');
        input.metadata = {
          ...input.metadata,
          uid: 'forged',
          generation: 42,
          resourceVersion: '999',
          creationTimestamp: '2000-01-01T00:00:00Z',
          deletionTimestamp: '2000-01-01T00:00:00Z',
        };
        input.status = { phase: 'Ready' };
        const created = await store.create(input);
        expect(created.metadata.uid).not.toBe('forged');
        expect(created.metadata.generation).toBe(1);
        expect(created.metadata.resourceVersion).toBe('1');
        expect(created.metadata.creationTimestamp).not.toBe('2000-01-01T00:00:00Z');
        expect(created.metadata.deletionTimestamp).toBeUndefined();
        expect(created.status).toBeUndefined();
      });

      it('refuses a duplicate with AlreadyExistsError and changes nothing', async () => {
        await store.create(server('weather'));
        const before = await snapshot();
        await expectRejects(store.create(server('weather', { team: 'other' })), AlreadyExistsError);
        expect(await snapshot()).toEqual(before);
      });

      it('keeps kinds apart: the same name may exist once per kind', async () => {
        await store.create(server('shared'));
        await store.create(policy('shared'));
        expect((await store.get('MCPServer', 'shared'))?.kind).toBe('MCPServer');
        expect((await store.get('AccessPolicy', 'shared'))?.kind).toBe('AccessPolicy');
        expect((await store.list('MCPServer')).items.map((o) => o.kind)).toEqual(['MCPServer']);
      });

      it('returns undefined for an absent object', async () => {
        expect(await store.get('MCPServer', 'nope')).toBeUndefined();
      });

      it('rejects an object without a name with InvalidRequestError and changes nothing', async () => {
        const bad = server('x');
        bad.metadata.name = '';
        await expectRejects(store.create(bad), InvalidRequestError);
        expect(await store.currentVersion()).toBe(0);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        await store.create(server('delta', { team: 'payments', lifecycle: 'draft', labels: { env: 'dev', tier: 'gold' } }));
        await store.create(server('alpha', { team: 'payments', lifecycle: 'approved-dev', labels: { env: 'prod', 'berth.dev/source': 'repo-a' } }));
        await store.create(server('charlie', { team: 'search', lifecycle: 'draft', labels: { env: 'dev' } }));
        await store.create(server('bravo', { team: 'search', lifecycle: 'approved-dev' }));
        await store.create(policy('policy-1'));
      });
      const names = (r: { items: Resource[] }): string[] => r.items.map((o) => o.metadata.name);

      it('orders by name and returns only the asked kind', async () => {
        expect(names(await store.list('MCPServer'))).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
        expect(names(await store.list('AccessPolicy'))).toEqual(['policy-1']);
      });

      it('filters by owner team and lifecycle', async () => {
        expect(names(await store.list('MCPServer', { ownerTeam: 'search' }))).toEqual(['bravo', 'charlie']);
        expect(names(await store.list('MCPServer', { lifecycle: 'draft' }))).toEqual(['charlie', 'delta']);
        expect(names(await store.list('MCPServer', { ownerTeam: 'payments', lifecycle: 'draft' }))).toEqual(['delta']);
        expect(names(await store.list('MCPServer', { ownerTeam: 'nobody' }))).toEqual([]);
      });

      it('filters by label selectors: =, ==, !=, existence, absence, in, notin, combined', async () => {
        const sel = async (labelSelector: string): Promise<string[]> => names(await store.list('MCPServer', { labelSelector }));
        expect(await sel('env=dev')).toEqual(['charlie', 'delta']);
        expect(await sel('env==prod')).toEqual(['alpha']);
        expect(await sel('env!=dev')).toEqual(['alpha', 'bravo']); // objects without the key match !=
        expect(await sel('tier')).toEqual(['delta']);
        expect(await sel('!env')).toEqual(['bravo']);
        expect(await sel('berth.dev/source=repo-a')).toEqual(['alpha']);
        expect(await sel('env in (prod, dev)')).toEqual(['alpha', 'charlie', 'delta']);
        expect(await sel('env notin (dev)')).toEqual(['alpha', 'bravo']);
        expect(await sel('env=dev,tier=gold')).toEqual(['delta']);
        expect(await sel('env=dev,!tier')).toEqual(['charlie']);
        expect(names(await store.list('MCPServer', { labelSelector: 'env=dev', ownerTeam: 'search' }))).toEqual(['charlie']);
        expect(await sel('')).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
      });

      it('rejects a malformed selector, continue token or limit with InvalidRequestError', async () => {
        await expectRejects(store.list('MCPServer', { labelSelector: 'env=dev,,x' }), InvalidRequestError);
        await expectRejects(store.list('MCPServer', { labelSelector: 'bad key=1' }), InvalidRequestError);
        await expectRejects(store.list('MCPServer', { continue: 'not-a-token' }), InvalidRequestError);
        await expectRejects(store.list('MCPServer', { limit: 0 }), InvalidRequestError);
      });

      it('pages with continue tokens: every object once, in order, each page at the first page version', async () => {
        for (const n of ['echo', 'foxtrot', 'golf']) await store.create(server(n));
        const first = await store.list('MCPServer', { limit: 3 });
        expect(names(first)).toEqual(['alpha', 'bravo', 'charlie']);
        expect(first.continue).toBeTypeOf('string');
        // A write between pages: later pages still report the first page's version, so a watch
        // from it sees this change.
        await store.create(server('hotel'));
        const second = await store.list('MCPServer', { limit: 3, continue: first.continue! });
        expect(names(second)).toEqual(['delta', 'echo', 'foxtrot']);
        expect(second.resourceVersion).toBe(first.resourceVersion);
        const third = await store.list('MCPServer', { limit: 3, continue: second.continue! });
        expect(names(third)).toEqual(['golf', 'hotel']);
        expect(third.continue).toBeUndefined();
        const missed = await store.changesSince(first.resourceVersion);
        expect(missed.map((e) => e.object.metadata.name)).toEqual(['hotel']);
      });

      it('pages filtered lists and omits continue when the page is exact', async () => {
        const p1 = await store.list('MCPServer', { ownerTeam: 'payments', limit: 1 });
        expect(names(p1)).toEqual(['alpha']);
        const p2 = await store.list('MCPServer', { ownerTeam: 'payments', limit: 1, continue: p1.continue! });
        expect(names(p2)).toEqual(['delta']);
        expect(p2.continue).toBeUndefined();
        expect((await store.list('MCPServer', { limit: 4 })).continue).toBeUndefined();
      });

      it('is consistent: the list version is the current one and no item is newer', async () => {
        const list = await store.list('MCPServer');
        expect(list.resourceVersion).toBe(await store.currentVersion());
        for (const o of list.items) expect(Number(o.metadata.resourceVersion)).toBeLessThanOrEqual(list.resourceVersion);
        const changed = await store.update({ ...clone(list.items[0]!), spec: { ...(list.items[0]!.spec as TestSpec), counter: 9 } });
        const after = await store.changesSince(list.resourceVersion);
        expect(after).toEqual([{ type: 'MODIFIED', object: changed, resourceVersion: list.resourceVersion + 1 }]);
      });
    });

    describe('update', () => {
      it('bumps generation and version on a spec change, with or without an expected version', async () => {
        const v1 = await store.create(server('weather'));
        const v2 = await store.update({ ...clone(v1), spec: { ...(v1.spec as TestSpec), counter: 1 } });
        expect(v2.metadata.generation).toBe(2);
        expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
        expect(v2.metadata.uid).toBe(v1.metadata.uid);
        expect(v2.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
        const v3 = await store.update(
          { ...clone(v2), spec: { ...(v2.spec as TestSpec), counter: 2 } },
          { expectedResourceVersion: v2.metadata.resourceVersion! },
        );
        expect(v3.metadata.generation).toBe(3);
        expect(await store.get('MCPServer', 'weather')).toEqual(v3);
        expect((await allEvents()).map((e) => [e.type, e.resourceVersion])).toEqual([
          ['ADDED', 1],
          ['MODIFIED', 2],
          ['MODIFIED', 3],
        ]);
      });

      it('does not bump generation for label, annotation or finalizer changes', async () => {
        const v1 = await store.create(server('weather'));
        const next = clone(v1);
        next.metadata.labels = { team: 'x' };
        next.metadata.annotations = { note: 'hello' };
        next.metadata.finalizers = ['berth.dev/runtime'];
        const v2 = await store.update(next);
        expect(v2.metadata.generation).toBe(1);
        expect(v2.metadata.labels).toEqual({ team: 'x' });
        expect(v2.metadata.annotations).toEqual({ note: 'hello' });
        expect(v2.metadata.finalizers).toEqual(['berth.dev/runtime']);
        expect(v2.metadata.resourceVersion).toBe('2');
        expect((await allEvents()).at(-1)).toEqual({ type: 'MODIFIED', object: v2, resourceVersion: 2 });
      });

      it('records nothing for an update that changes nothing', async () => {
        const v1 = await store.create(server('weather', { labels: { a: 'b' } }));
        const same = await store.update(server('weather', { labels: { a: 'b' } }));
        expect(same).toEqual(v1);
        expect(await store.currentVersion()).toBe(1);
        expect(await allEvents()).toHaveLength(1);
      });

      it('refuses a stale expected version with ConflictError and changes nothing', async () => {
        const v1 = await store.create(server('weather'));
        await store.update({ ...clone(v1), spec: { ...(v1.spec as TestSpec), counter: 1 } });
        const before = await snapshot();
        await expectRejects(
          store.update({ ...clone(v1), spec: { ...(v1.spec as TestSpec), counter: 5 } }, { expectedResourceVersion: v1.metadata.resourceVersion! }),
          ConflictError,
        );
        expect(await snapshot()).toEqual(before);
      });

      it('ignores server-owned metadata and status sent in an update', async () => {
        const v1 = await store.create(server('weather'));
        await store.updateStatus('MCPServer', 'weather', { phase: 'Ready' });
        const forged = clone(v1);
        forged.metadata = { ...forged.metadata, uid: 'forged', generation: 99, creationTimestamp: '2000-01-01T00:00:00Z', resourceVersion: '77', deletionTimestamp: '2000-01-01T00:00:00Z' };
        forged.status = { phase: 'Forged' };
        (forged.spec as TestSpec).counter = 1;
        const v2 = await store.update(forged);
        expect(v2.metadata.uid).toBe(v1.metadata.uid);
        expect(v2.metadata.generation).toBe(2);
        expect(v2.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
        expect(v2.metadata.deletionTimestamp).toBeUndefined();
        expect(v2.metadata.resourceVersion).toBe('3');
        expect(v2.status).toEqual({ phase: 'Ready' });
      });

      it('throws NotFoundError for an absent object', async () => {
        await expectRejects(store.update(server('ghost')), NotFoundError);
        expect(await store.currentVersion()).toBe(0);
      });
    });

    describe('updateStatus', () => {
      it('replaces status only, never bumping generation, and records MODIFIED', async () => {
        const v1 = await store.create(server('weather', { labels: { a: 'b' } }));
        const v2 = await store.updateStatus('MCPServer', 'weather', { phase: 'Ready', observedGeneration: 1 });
        expect(v2.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
        expect(v2.metadata.generation).toBe(1);
        expect(v2.spec).toEqual(v1.spec);
        expect(v2.metadata.labels).toEqual({ a: 'b' });
        expect(v2.metadata.resourceVersion).toBe('2');
        expect((await allEvents()).at(-1)).toEqual({ type: 'MODIFIED', object: v2, resourceVersion: 2 });
        // A later spec update keeps the status.
        const v3 = await store.update({ ...clone(v2), spec: { ...(v2.spec as TestSpec), counter: 3 } });
        expect(v3.status).toEqual(v2.status);
      });

      it('records nothing when the status is unchanged', async () => {
        await store.create(server('weather'));
        const v2 = await store.updateStatus('MCPServer', 'weather', { phase: 'Ready' });
        const again = await store.updateStatus('MCPServer', 'weather', { phase: 'Ready' });
        expect(again).toEqual(v2);
        expect(await store.currentVersion()).toBe(2);
      });

      it('refuses a stale version and an absent object, changing nothing', async () => {
        const v1 = await store.create(server('weather'));
        await store.updateStatus('MCPServer', 'weather', { phase: 'Pending' });
        const before = await snapshot();
        await expectRejects(store.updateStatus('MCPServer', 'weather', { phase: 'Ready' }, { expectedResourceVersion: v1.metadata.resourceVersion! }), ConflictError);
        await expectRejects(store.updateStatus('MCPServer', 'ghost', { phase: 'Ready' }), NotFoundError);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe('delete', () => {
      it('removes an object without finalizers and records DELETED with a new version', async () => {
        await store.create(server('weather'));
        const res = await store.delete('MCPServer', 'weather');
        expect(res.removed).toBe(true);
        expect(res.object.metadata.resourceVersion).toBe('2');
        expect(await store.get('MCPServer', 'weather')).toBeUndefined();
        expect((await allEvents()).at(-1)).toEqual({ type: 'DELETED', object: res.object, resourceVersion: 2 });
        expect((await store.list('MCPServer')).items).toEqual([]);
        // The name is free again; a re-created object is a new one.
        const again = await store.create(server('weather'));
        expect(again.metadata.generation).toBe(1);
      });

      it('with finalizers: marks deletionTimestamp once, then removes when the last finalizer goes', async () => {
        await store.create(server('weather', { finalizers: ['berth.dev/runtime', 'berth.dev/dns'] }));
        const first = await store.delete('MCPServer', 'weather');
        expect(first.removed).toBe(false);
        expect(first.object.metadata.deletionTimestamp).toBeTypeOf('string');
        expect((await allEvents()).at(-1)?.type).toBe('MODIFIED');
        const second = await store.delete('MCPServer', 'weather');
        expect(second.removed).toBe(false);
        expect(second.object).toEqual(first.object);
        expect(await store.currentVersion()).toBe(2);

        const oneLeft = clone(first.object);
        oneLeft.metadata.finalizers = ['berth.dev/dns'];
        const kept = await store.update(oneLeft);
        expect(kept.metadata.deletionTimestamp).toBe(first.object.metadata.deletionTimestamp);
        expect(await store.get('MCPServer', 'weather')).toEqual(kept);

        const none = clone(kept);
        none.metadata.finalizers = [];
        const gone = await store.update(none, { expectedResourceVersion: kept.metadata.resourceVersion! });
        expect(await store.get('MCPServer', 'weather')).toBeUndefined();
        const last = (await allEvents()).at(-1)!;
        expect(last.type).toBe('DELETED');
        expect(last.object).toEqual(gone);
        expect(last.resourceVersion).toBe(Number(gone.metadata.resourceVersion));
      });

      it('refuses a stale version and an absent object, changing nothing', async () => {
        const v1 = await store.create(server('weather'));
        await store.updateStatus('MCPServer', 'weather', { phase: 'Ready' });
        const before = await snapshot();
        await expectRejects(store.delete('MCPServer', 'weather', { expectedResourceVersion: v1.metadata.resourceVersion! }), ConflictError);
        await expectRejects(store.delete('MCPServer', 'ghost'), NotFoundError);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe('dry run', () => {
      it('create and update with dryRun return the result but write nothing', async () => {
        const planned = await store.create(server('weather'), { dryRun: true });
        expect(planned.metadata.name).toBe('weather');
        expect(planned.metadata.generation).toBe(1);
        expect(await store.get('MCPServer', 'weather')).toBeUndefined();
        expect(await store.currentVersion()).toBe(0);

        const v1 = await store.create(server('weather'));
        await expectRejects(store.create(server('weather'), { dryRun: true }), AlreadyExistsError);
        const before = await snapshot();
        const would = await store.update({ ...clone(v1), spec: { ...(v1.spec as TestSpec), counter: 7 } }, { dryRun: true });
        expect(would.metadata.generation).toBe(2);
        expect((would.spec as TestSpec).counter).toBe(7);
        await expectRejects(store.update(clone(v1), { dryRun: true, expectedResourceVersion: '999' }), ConflictError);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe('changesSince and compaction', () => {
      it('returns events after a version, oldest first, filtered by kind, bounded by limit', async () => {
        await store.create(server('a'));
        await store.create(policy('p'));
        await store.create(server('b'));
        await store.delete('MCPServer', 'a');
        const all = await store.changesSince(0);
        expect(all.map((e) => [e.resourceVersion, e.type, e.object.kind, e.object.metadata.name])).toEqual([
          [1, 'ADDED', 'MCPServer', 'a'],
          [2, 'ADDED', 'AccessPolicy', 'p'],
          [3, 'ADDED', 'MCPServer', 'b'],
          [4, 'DELETED', 'MCPServer', 'a'],
        ]);
        for (const e of all) expect(e.object.metadata.resourceVersion).toBe(String(e.resourceVersion));
        expect((await store.changesSince(2)).map((e) => e.resourceVersion)).toEqual([3, 4]);
        expect((await store.changesSince(0, { kind: 'AccessPolicy' })).map((e) => e.resourceVersion)).toEqual([2]);
        expect((await store.changesSince(0, { limit: 2 })).map((e) => e.resourceVersion)).toEqual([1, 2]);
        expect(await store.changesSince(4)).toEqual([]);
      });

      it('throws GoneError for a version older than retained history after compact', async () => {
        for (let i = 0; i < 6; i++) await store.create(server(`s${i}`));
        await store.compact(2);
        expect((await store.changesSince(4)).map((e) => e.resourceVersion)).toEqual([5, 6]);
        await expectRejects(store.changesSince(3), GoneError);
        await expectRejects(store.changesSince(0), GoneError);
        // Compaction does not touch objects.
        expect((await store.list('MCPServer')).items).toHaveLength(6);
        await store.create(server('s6'));
        expect((await store.changesSince(4)).map((e) => e.resourceVersion)).toEqual([5, 6, 7]);
      });
    });

    describe('waitForChange', () => {
      it('wakes promptly when a write happens', async () => {
        const since = await store.currentVersion();
        const started = Date.now();
        const waiting = store.waitForChange(since, 5_000);
        setTimeout(() => void store.create(server('weather')), 30);
        await waiting;
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(await store.currentVersion()).toBeGreaterThan(since);
      });

      it('resolves at once when a newer change already exists', async () => {
        await store.create(server('weather'));
        const started = Date.now();
        await store.waitForChange(0, 5_000);
        expect(Date.now() - started).toBeLessThan(1_000);
      });

      it('times out when nothing changes, and ends early when the signal aborts', async () => {
        const since = await store.currentVersion();
        let started = Date.now();
        await store.waitForChange(since, 150);
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        expect(await store.currentVersion()).toBe(since);
        const ctl = new AbortController();
        started = Date.now();
        setTimeout(() => ctl.abort(), 30);
        await store.waitForChange(since, 5_000, ctl.signal);
        expect(Date.now() - started).toBeLessThan(2_000);
      });
    });

    describe('audit', () => {
      it('appends records with increasing ids and times, and queries newest first with filters', async () => {
        const a = await store.appendAudit({ actor: 'alice', action: 'create', kind: 'MCPServer', name: 'weather', generationAfter: 1, specHash: 'h1' });
        const b = await store.appendAudit({ actor: 'bob', action: 'update', kind: 'MCPServer', name: 'weather', generationBefore: 1, generationAfter: 2, details: { note: 'x' } });
        const c = await store.appendAudit({ actor: 'alice', action: 'delete', kind: 'AccessPolicy', name: 'p', time: '2030-01-01T00:00:00Z' });
        expect(a.id).toBeTypeOf('number');
        expect(b.id!).toBeGreaterThan(a.id!);
        expect(c.id!).toBeGreaterThan(b.id!);
        expect(Number.isNaN(Date.parse(a.time!))).toBe(false);
        expect(c.time).toBe('2030-01-01T00:00:00.000Z');
        const ids = (es: { id?: number }[]): (number | undefined)[] => es.map((e) => e.id);
        expect(ids(await store.queryAudit())).toEqual([c.id, b.id, a.id]);
        expect(ids(await store.queryAudit({ actor: 'alice' }))).toEqual([c.id, a.id]);
        expect(ids(await store.queryAudit({ kind: 'MCPServer', name: 'weather' }))).toEqual([b.id, a.id]);
        expect(ids(await store.queryAudit({ action: 'update' }))).toEqual([b.id]);
        expect(ids(await store.queryAudit({ since: '2029-12-31T00:00:00Z' }))).toEqual([c.id]);
        expect(ids(await store.queryAudit({ limit: 1 }))).toEqual([c.id]);
        expect(ids(await store.queryAudit({ until: '2029-12-31T00:00:00Z' }))).toEqual([b.id, a.id]);
        expect(ids(await store.queryAudit({ since: a.time!, until: '2031-01-01T00:00:00Z', limit: 2 }))).toEqual([c.id, b.id]);
        expect(ids(await store.queryAudit({ limit: 2, continue: encodeAuditCursor(b.id!) }))).toEqual([a.id]);
        expect(ids(await store.queryAudit({ actor: 'alice', continue: encodeAuditCursor(c.id!) }))).toEqual([a.id]);
        await expect(store.queryAudit({ continue: 'x' })).rejects.toBeInstanceOf(InvalidRequestError);
        const [got] = await store.queryAudit({ action: 'update' });
        expect(got).toEqual(b);
        expect(got?.details).toEqual({ note: 'x' });
      });
    });

    describe('leases', () => {
      it('acquires, refuses a second holder, renews, is taken over after expiry, and releases', async () => {
        const t0 = 1_000_000;
        expect(await store.acquireLease('reconciler', 'node-a', 10_000, t0)).toBe(true);
        expect(await store.getLease('reconciler')).toEqual({ name: 'reconciler', holder: 'node-a', expiresAt: t0 + 10_000 });
        expect(await store.acquireLease('reconciler', 'node-b', 10_000, t0 + 5_000)).toBe(false);
        expect(await store.acquireLease('reconciler', 'node-a', 10_000, t0 + 5_000)).toBe(true);
        expect((await store.getLease('reconciler'))?.expiresAt).toBe(t0 + 15_000);
        expect(await store.acquireLease('reconciler', 'node-b', 10_000, t0 + 14_999)).toBe(false);
        expect(await store.acquireLease('reconciler', 'node-b', 10_000, t0 + 15_001)).toBe(true);
        expect((await store.getLease('reconciler'))?.holder).toBe('node-b');
        await store.releaseLease('reconciler', 'node-a'); // not ours: no effect
        expect((await store.getLease('reconciler'))?.holder).toBe('node-b');
        await store.releaseLease('reconciler', 'node-b');
        expect(await store.getLease('reconciler')).toBeUndefined();
        expect(await store.acquireLease('reconciler', 'node-a', 10_000, t0 + 15_002)).toBe(true);
      });

      it('lets exactly one of several concurrent contenders win a free lease', async () => {
        const now = 5_000_000;
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.acquireLease('leader', `n${i}`, 60_000, now)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.getLease('leader'))?.holder).toBe(`n${winner}`);
      });
    });

    describe('tokens', () => {
      it('stores, finds by hash, lists and revokes', async () => {
        const t1 = { id: 'tok_a', hash: 'a'.repeat(64), role: 'admin' as const, createdAt: '2026-01-01T00:00:00.000Z' };
        const t2 = { id: 'tok_b', hash: 'b'.repeat(64), role: 'publisher' as const, team: 'payments', createdAt: '2026-01-02T00:00:00.000Z', expiresAt: '2026-02-01T00:00:00.000Z' };
        await store.putToken(t1);
        await store.putToken(t2);
        expect(await store.findTokenByHash('b'.repeat(64))).toEqual(t2);
        expect(await store.findTokenByHash('c'.repeat(64))).toBeUndefined();
        expect((await store.listTokens()).map((t) => t.id).sort()).toEqual(['tok_a', 'tok_b']);
        expect(await store.revokeToken('tok_a', '2026-01-03T00:00:00.000Z')).toBe(true);
        expect((await store.findTokenByHash('a'.repeat(64)))?.revokedAt).toBe('2026-01-03T00:00:00.000Z');
        expect(await store.revokeToken('tok_missing', '2026-01-03T00:00:00.000Z')).toBe(false);
      });

      it("keeps an agent key's agent and groups through find, list and revoke", async () => {
        const key = { id: 'tok_agent', hash: 'd'.repeat(64), role: 'agent' as const, agent: 'sales-copilot', groups: ['sales', 'emea'], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-03-01T00:00:00.000Z' };
        const plain = { id: 'tok_plain', hash: 'e'.repeat(64), role: 'agent' as const, createdAt: '2026-01-01T00:00:00.000Z' };
        await store.putToken(key);
        await store.putToken(plain);
        expect(await store.findTokenByHash('d'.repeat(64))).toEqual(key);
        // A record written before agent keys had names reads back without them.
        expect(await store.findTokenByHash('e'.repeat(64))).toEqual(plain);
        expect((await store.listTokens()).find((t) => t.id === 'tok_agent')).toEqual(key);
        expect(await store.revokeToken('tok_agent', '2026-01-02T00:00:00.000Z')).toBe(true);
        expect(await store.findTokenByHash('d'.repeat(64))).toEqual({ ...key, revokedAt: '2026-01-02T00:00:00.000Z' });
      });

      it('finds a token by id, and keeps a dashboard session\'s parent through find, get and revoke', async () => {
        const parent = { id: 'tok_parent', hash: 'f'.repeat(64), role: 'approver' as const, createdAt: '2026-01-01T00:00:00.000Z' };
        const session = { id: 'tok_sess', hash: '1'.repeat(64), role: 'approver' as const, session: true, parentTokenId: 'tok_parent', description: 'dashboard session', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T08:00:00.000Z' };
        await store.putToken(parent);
        await store.putToken(session);
        expect(await store.getToken('tok_parent')).toEqual(parent);
        expect(await store.getToken('tok_sess')).toEqual(session);
        expect(await store.findTokenByHash('1'.repeat(64))).toEqual(session);
        expect(await store.getToken('tok_nope')).toBeUndefined();
        expect(await store.revokeToken('tok_sess', '2026-01-01T01:00:00.000Z')).toBe(true);
        expect(await store.getToken('tok_sess')).toEqual({ ...session, revokedAt: '2026-01-01T01:00:00.000Z' });
      });

      it('deletes the token records it is given, counts them, ignores unknown ids, and audits only a removal', async () => {
        const token = (id: string, hash: string) => ({ id, hash: hash.repeat(64), role: 'reader' as const, session: true, createdAt: '2026-01-01T00:00:00.000Z' });
        for (const [id, hash] of [['tok_del_a', '2'], ['tok_del_b', '3'], ['tok_del_c', '4']] as const) await store.putToken(token(id, hash));
        const auditBefore = (await store.queryAudit({ action: 'session.sweep' })).length;
        const audit = { actor: 'system:registry', action: 'session.sweep', details: { removed: 2 } };
        expect(await store.deleteTokens(['tok_del_a', 'tok_del_c', 'tok_del_missing'], { audit })).toBe(2);
        expect(await store.getToken('tok_del_a')).toBeUndefined();
        expect(await store.findTokenByHash('4'.repeat(64))).toBeUndefined();
        expect((await store.listTokens()).map((t) => t.id).filter((id) => id.startsWith('tok_del_'))).toEqual(['tok_del_b']);
        expect(await store.deleteTokens(['tok_del_missing'], { audit })).toBe(0);
        expect(await store.deleteTokens([])).toBe(0);
        expect((await store.queryAudit({ action: 'session.sweep' })).length).toBe(auditBefore + 1);
      });
    });

    runApprovalAndCallRecordContract(() => store);
    runStageApprovalContract(() => store);
    runAuditedWriteContract(() => store);

    describe('integrity', () => {
      it('reports no problems for a healthy store', async () => {
        await store.create(server('weather'));
        expect(await store.checkIntegrity()).toEqual([]);
      });
    });

    describe('concurrency', () => {
      it('20 read-modify-write writers on one object lose no update; losers get ConflictError', async () => {
        await store.create(server('counter', { counter: 0 }));
        let successes = 0;
        let conflicts = 0;
        const writer = async (): Promise<void> => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const cur = (await store.get('MCPServer', 'counter'))!;
            const next = clone(cur) as Resource<TestSpec>;
            next.spec.counter = (next.spec.counter ?? 0) + 1;
            try {
              await store.update(next, { expectedResourceVersion: cur.metadata.resourceVersion! });
              successes++;
              return;
            } catch (err) {
              if (!(err instanceof ConflictError)) throw err;
              conflicts++;
            }
          }
          throw new Error('writer gave up after 200 conflicts');
        };
        await Promise.all(Array.from({ length: 20 }, writer));
        const final = (await store.get('MCPServer', 'counter')) as Resource<TestSpec>;
        expect(successes).toBe(20);
        expect(final.spec.counter).toBe(successes);
        expect(final.metadata.generation).toBe(successes + 1);
        expect(conflicts).toBeGreaterThan(0);
        const events = await allEvents();
        expect(events.filter((e) => e.type === 'MODIFIED')).toHaveLength(successes);
        expect(events.map((e) => (e.object.spec as TestSpec).counter)).toEqual(Array.from({ length: successes + 1 }, (_, i) => i));
      });
    });
  });
}
