/**
 * The production Store adapter: MongoDB through the `mongodb` driver, written to run
 * unchanged on Amazon DocumentDB 5. Hence: no multi-document transactions, no change
 * streams, no partial indexes, no collation, no `$where` or server-side JS, and
 * `retryWrites=false` (DocumentDB does not support retryable writes).
 *
 * Collections: `counters` (`rv`, `audit`), `meta` (`compacted`), `objects`,
 * `changes` (`_id` = resource version), `audit`, `leases`, `tokens`.
 *
 * ## How a write stays atomic without transactions
 * An object write touches two documents (the object and its change record). Each
 * write goes:
 *   1. read the object document D (it may be absent, or a deletion tombstone);
 *   2. reserve version R: `$inc` on the single `counters.rv` document;
 *   3. insert change R with state `pending` (type, kind, name, prevRv = D's version,
 *      the object after the change). A duplicate `_id` means a reader declared R
 *      abandoned (see gaps below): take a new version;
 *   4. compare-and-set the object: update D only if it still has version prevRv and
 *      no reader has fenced R (`fences` does not contain R); insert when there was no
 *      D (the unique {kind,name} index arbitrates). Deletes leave a tombstone
 *      (`deleted: true`) so a later write still has a version to compare against;
 *   5. mark change R `committed` (or `abandoned` if step 4 did not apply).
 * Readers (`changesSince`, `waitForChange`, `currentVersion`, list versions) hand
 * out only committed records, in version order, and stop at the first version that
 * is not settled: a missing record (gap) or a pending one. So an event can never
 * appear behind a reader's position, and a crash between steps can't reorder events.
 *
 * A crash leaves an unsettled version that would stop readers for ever, so a reader
 * that has seen the same unsettled version for `repairAfterMs` settles it:
 * - a gap (crash between 2 and 3): insert an `abandoned` record for R. The unique
 *   `_id` makes this race-free against a slow writer, whose step 3 then fails.
 * - a pending record (crash between 3 and 5): if the object carries R, or a later
 *   change names R as its prevRv (someone read the object at R), the object write
 *   happened: mark committed. Otherwise fence it: add R to the object's `fences`
 *   while it still has version prevRv (or insert a fencing tombstone when there was
 *   no document). Once the fence holds, the writer's step 4 can never succeed and
 *   R is marked abandoned. If the fence does not apply, the object moved on without
 *   R, so R can't succeed either: abandoned. (The decision is `decidePending`.)
 */
import { EventEmitter } from 'node:events';
import { MongoClient, MongoServerError, type Collection, type Db, type Filter, type WithId } from 'mongodb';
import type { Logger } from 'pino';
import type { Kind, Resource } from '../manifest/resource.ts';
import {
  AlreadyExistsError,
  ConflictError,
  GoneError,
  NotFoundError,
  type AuditEntry,
  type ListResult,
  type Store,
  type TokenRecord,
  type WatchEvent,
} from './store.ts';
import { decodeContinue, encodeContinue, pageSize, parseLabelSelector, type LabelRequirement } from './label-selector.ts';
import {
  alreadyExistsMessage,
  auditLimit,
  changesLimit,
  checkExpectedVersion,
  goneMessage,
  indexedFields,
  jsonClone,
  normaliseTime,
  notFoundMessage,
  planCreate,
  planDelete,
  planStatus,
  planUpdate,
  stampVersion,
  type UpdatePlan,
} from './store-semantics.ts';
import { waitForStoreChange } from './change-waiter.ts';
import { decidePending, planScan, type ChangeRecord } from './store-change-log.ts';

/** Options of {@link openMongoStore}. */
export interface MongoStoreOptions {
  /** Connection string; `retryWrites` is forced off whatever it says. */
  uri: string;
  database: string;
  logger?: Logger;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  /** How often waiters poll the change log. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long a reader waits on an unsettled version before repairing it. Default 5,000 ms. */
  repairAfterMs?: number;
}

/** An object document. The resource is kept as JSON text: label and annotation keys contain dots. */
interface ObjectDoc {
  kind: string;
  name: string;
  deleted: boolean;
  rv: number;
  ownerTeam: string | null;
  lifecycle: string | null;
  /** `key=value` per label, for equality / set selectors. */
  labelPairs: string[];
  /** Label keys, for existence selectors. */
  labelKeys: string[];
  /** Versions of abandoned writes that must never land on this document. */
  fences: number[];
  body: string;
}

interface CounterDoc {
  _id: string;
  value: number;
}
interface MetaDoc {
  _id: string;
  rv: number;
}
interface AuditDoc {
  _id: number;
  time: string;
  actor: string;
  action: string;
  kind: string | null;
  name: string | null;
  entry: string;
}
interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: number;
}
interface TokenDoc {
  _id: string;
  hash: string;
  record: string;
}

/**
 * The MongoDB filter for label requirements, over the `labelPairs` / `labelKeys`
 * arrays (plain multikey indexes; no dotted field paths, which label keys would break).
 * @example labelFilter(parseLabelSelector('env=dev,!legacy')) // {$and:[{labelPairs:'env=dev'},{labelKeys:{$ne:'legacy'}}]}
 */
export function labelFilter(requirements: readonly LabelRequirement[]): Filter<ObjectDoc> {
  if (requirements.length === 0) return {};
  const pair = (k: string, v: string): string => `${k}=${v}`;
  const parts: Filter<ObjectDoc>[] = requirements.map((r) => {
    switch (r.op) {
      case 'eq': return { labelPairs: pair(r.key, r.value) };
      case 'neq': return { labelPairs: { $ne: pair(r.key, r.value) } };
      case 'in': return { labelPairs: { $in: r.values.map((v) => pair(r.key, v)) } };
      case 'notin': return { labelPairs: { $nin: r.values.map((v) => pair(r.key, v)) } };
      case 'exists': return { labelKeys: r.key };
      case 'absent': return { labelKeys: { $ne: r.key } };
    }
  });
  return { $and: parts };
}

/** Client options that keep the driver within what DocumentDB 5 supports. */
export const DOCUMENTDB_SAFE_CLIENT_OPTIONS = { retryWrites: false } as const;

const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;

/**
 * Connects, creates indexes, and returns a Store on `database`.
 * @example const store = await openMongoStore({ uri: 'mongodb://db:27017', database: 'berth', logger });
 */
export async function openMongoStore(opts: MongoStoreOptions): Promise<Store> {
  const clock = opts.clock ?? Date.now;
  const log = opts.logger;
  const pollIntervalMs = opts.pollIntervalMs ?? 50;
  const repairAfterMs = opts.repairAfterMs ?? 5_000;
  const client = new MongoClient(opts.uri, { ...DOCUMENTDB_SAFE_CLIENT_OPTIONS });
  let db: Db;
  try {
    await client.connect();
    db = client.db(opts.database);
    await ensureIndexes(db);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new Error(`connecting to MongoDB database ${opts.database} (check the URI, credentials and network)`, { cause: err });
  }
  const objects = db.collection<ObjectDoc>('objects');
  const changes = db.collection<ChangeRecord>('changes');
  const counters = db.collection<CounterDoc>('counters');
  const meta = db.collection<MetaDoc>('meta');
  const audit = db.collection<AuditDoc>('audit');
  const leases = db.collection<LeaseDoc>('leases');
  const tokens = db.collection<TokenDoc>('tokens');

  const wakeups = new EventEmitter();
  wakeups.setMaxListeners(0);
  let closed = false;
  /** When this process first saw each unsettled version, for the repair timeout (reader-side clock only). */
  const unsettledSince = new Map<number, number>();
  /** Highest version known settled; only grows. */
  let settledHorizon = 0;
  const nowIso = (): string => new Date(clock()).toISOString();
  const parse = (body: string): Resource => JSON.parse(body) as Resource;

  const nextCounter = async (id: string): Promise<number> => {
    const doc = await counters.findOneAndUpdate({ _id: id }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`the ${id} counter did not return a value`);
    return doc.value;
  };
  const compactedRv = async (): Promise<number> => (await meta.findOne({ _id: 'compacted' }))?.rv ?? 0;

  const readDoc = (kind: Kind, name: string) => objects.findOne({ kind, name });

  /** Settles a pending change whose writer has gone quiet; see the module comment. */
  async function repairPending(rec: ChangeRecord): Promise<void> {
    const kind = rec.kind ?? '';
    const name = rec.name ?? '';
    const facts = async (fenceFailed: boolean): Promise<'commit' | 'fence' | 'abandon'> => {
      const doc = await objects.findOne({ kind, name });
      const successor = await changes.findOne({ kind, name, prevRv: rec._id });
      return decidePending({ change: rec, objectRv: doc?.rv, successorExists: successor !== null, fenceFailed });
    };
    let decision = await facts(false);
    if (decision === 'fence') {
      let fenced: boolean;
      if (rec.prevRv === null || rec.prevRv === undefined) {
        try {
          await objects.insertOne({ kind, name, deleted: true, rv: 0, ownerTeam: null, lifecycle: null, labelPairs: [], labelKeys: [], fences: [rec._id], body: 'null' });
          fenced = true;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          fenced = false;
        }
      } else {
        const res = await objects.updateOne({ kind, name, rv: rec.prevRv }, { $addToSet: { fences: rec._id } });
        fenced = res.matchedCount === 1;
      }
      decision = fenced ? 'abandon' : await facts(true);
    }
    const state = decision === 'commit' ? 'committed' : 'abandoned';
    await changes.updateOne({ _id: rec._id, state: 'pending' }, { $set: { state } });
    log?.warn({ resourceVersion: rec._id, kind, name, settledAs: state }, 'repaired a change left pending by a writer that stopped');
  }

  /** Settles a version that was reserved but never logged; see the module comment. */
  async function repairGap(rv: number): Promise<void> {
    try {
      await changes.insertOne({ _id: rv, state: 'abandoned' });
      log?.warn({ resourceVersion: rv }, 'abandoned a resource version reserved by a writer that stopped');
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // the writer logged it meanwhile
    }
  }

  /**
   * Committed records after `since`, in order, stopping at the first unsettled
   * version; repairs that version when it has been unsettled for `repairAfterMs`.
   */
  async function readCommitted(since: number, limit: number, kind?: Kind): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    let from = since;
    for (let rounds = 0; rounds < 3 && out.length < limit; ) {
      const batch = await changes.find({ _id: { $gt: from } }).sort({ _id: 1 }).limit(Math.max(limit, 100)).toArray();
      const plan = planScan(batch, from);
      for (const r of plan.visible) if (kind === undefined || r.kind === kind) out.push(r);
      from = plan.settledThrough;
      if (from > settledHorizon) settledHorizon = from;
      if (!plan.blocker) {
        if (batch.length < Math.max(limit, 100)) break;
        continue;
      }
      const rv = plan.blocker.reason === 'gap' ? plan.blocker.rv : plan.blocker.record._id;
      const seen = unsettledSince.get(rv);
      if (seen === undefined) {
        unsettledSince.set(rv, clock());
        break;
      }
      if (clock() - seen < repairAfterMs) break;
      if (plan.blocker.reason === 'gap') {
        // Only a version that was reserved can be a gap; beyond the counter there is nothing yet.
        const counter = (await counters.findOne({ _id: 'rv' }))?.value ?? 0;
        if (rv > counter) break;
        await repairGap(rv);
      } else {
        await repairPending(plan.blocker.record);
      }
      unsettledSince.delete(rv);
      rounds++;
    }
    return out.slice(0, limit);
  }

  /** The highest version up to which every change is settled: what lists and currentVersion report. */
  async function horizon(): Promise<number> {
    const floor = Math.max(settledHorizon, await compactedRv());
    for (;;) {
      const before = settledHorizon;
      await readCommitted(Math.max(floor, settledHorizon), 1_000);
      if (settledHorizon === before) break;
    }
    return Math.max(floor, settledHorizon);
  }

  const wake = (): void => {
    wakeups.emit('change');
  };

  /**
   * Carries out one planned object write with the protocol in the module comment.
   * Returns undefined when the compare-and-set lost to another writer.
   */
  async function commitWrite(type: WatchEvent['type'], planned: Resource, prev: WithId<ObjectDoc> | null): Promise<Resource | undefined> {
    let rv: number;
    let obj: Resource;
    for (;;) {
      rv = await nextCounter('rv');
      obj = stampVersion(planned, rv);
      try {
        await changes.insertOne({ _id: rv, state: 'pending', kind: obj.kind, name: obj.metadata.name, type, prevRv: prev ? prev.rv : null, body: JSON.stringify(obj) });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // a reader abandoned this version while we were slow: take another
      }
    }
    const { ownerTeam, lifecycle } = indexedFields(obj);
    const labels = obj.metadata.labels ?? {};
    const fields = {
      kind: obj.kind,
      name: obj.metadata.name,
      deleted: type === 'DELETED',
      rv,
      ownerTeam,
      lifecycle,
      labelPairs: Object.entries(labels).map(([k, v]) => `${k}=${v}`),
      labelKeys: Object.keys(labels),
      fences: [],
      body: JSON.stringify(obj),
    } satisfies ObjectDoc;
    let applied: boolean;
    try {
      if (prev) {
        const res = await objects.updateOne({ _id: prev._id, rv: prev.rv, fences: { $ne: rv } }, { $set: fields });
        applied = res.matchedCount === 1;
      } else {
        await objects.insertOne(fields);
        applied = true;
      }
    } catch (err) {
      if (!isDuplicateKey(err)) {
        // Unknown outcome (e.g. network): leave the record pending; readers settle it by the object's version.
        throw err;
      }
      applied = false;
    }
    await changes.updateOne({ _id: rv, state: 'pending' }, { $set: { state: applied ? 'committed' : 'abandoned' } });
    if (!applied) return undefined;
    wake();
    return obj;
  }

  /**
   * Runs read → plan → compare-and-set until it applies. A lost race is a
   * ConflictError when the caller pinned a version, else the plan is recomputed.
   */
  async function writeLoop(
    kind: Kind,
    name: string,
    expected: string | undefined,
    plan: (stored: Resource | undefined) => { type: WatchEvent['type']; object: Resource } | { unchanged: Resource },
  ): Promise<Resource> {
    if (closed) throw new Error('the registry store is closed');
    for (let attempt = 0; ; attempt++) {
      const doc = await readDoc(kind, name);
      const stored = doc && !doc.deleted ? parse(doc.body) : undefined;
      if (stored) checkExpectedVersion(stored, expected);
      const p = plan(stored);
      if ('unchanged' in p) return p.unchanged;
      const done = await commitWrite(p.type, p.object, doc);
      if (done) return done;
      if (expected !== undefined) {
        throw new ConflictError(`${kind}/${name} was changed by someone else while this write was in flight: read it again and reapply your change.`);
      }
      if (attempt > 50) throw new Error(`writing ${kind}/${name}: gave up after 50 lost races with other writers`);
    }
  }

  const requireStored = (kind: Kind, name: string, stored: Resource | undefined): Resource => {
    if (!stored) throw new NotFoundError(notFoundMessage(kind, name));
    return stored;
  };
  const fromPlan = (p: UpdatePlan): { type: WatchEvent['type']; object: Resource } | { unchanged: Resource } =>
    p.action === 'unchanged' ? { unchanged: p.object } : { type: p.action === 'remove' ? 'DELETED' : 'MODIFIED', object: p.object };

  const store: Store = {
    async create(obj, o) {
      const probe = planCreate(obj, undefined, nowIso());
      const { kind, metadata: { name } } = probe;
      if (o?.dryRun) {
        const doc = await readDoc(kind, name);
        if (doc && !doc.deleted) throw new AlreadyExistsError(alreadyExistsMessage(kind, name));
        return probe;
      }
      for (;;) {
        const doc = await readDoc(kind, name);
        if (doc && !doc.deleted) throw new AlreadyExistsError(alreadyExistsMessage(kind, name));
        const planned = planCreate(obj, 0, nowIso()); // the version is stamped by commitWrite
        const done = await commitWrite('ADDED', planned, doc);
        if (done) return jsonClone(done);
      }
    },

    async get(kind, name) {
      const doc = await objects.findOne({ kind, name, deleted: false });
      return doc ? parse(doc.body) : undefined;
    },

    async list(kind, o = {}): Promise<ListResult> {
      const limit = pageSize(o.limit);
      const requirements = parseLabelSelector(o.labelSelector);
      const position = o.continue ? decodeContinue(o.continue) : undefined;
      // The version first, then the objects: every change up to it is already in the objects.
      const rv = position ? position.resourceVersion : await horizon();
      const filter: Filter<ObjectDoc> = { kind, deleted: false, ...labelFilter(requirements) };
      if (position) filter.name = { $gt: position.lastName };
      if (o.ownerTeam !== undefined) filter.ownerTeam = o.ownerTeam;
      if (o.lifecycle !== undefined) filter.lifecycle = o.lifecycle;
      const docs = await objects.find(filter).sort({ name: 1 }).limit(limit + 1).toArray();
      const items = docs.slice(0, limit).map((d) => parse(d.body));
      const result: ListResult = { items, resourceVersion: rv };
      const last = items.at(-1);
      if (docs.length > limit && last) result.continue = encodeContinue({ lastName: last.metadata.name, resourceVersion: rv });
      return result;
    },

    async update(obj, o = {}) {
      const name = obj.metadata?.name;
      if (o.dryRun) {
        const stored = requireStored(obj.kind, name, await store.get(obj.kind, name));
        checkExpectedVersion(stored, o.expectedResourceVersion);
        return planUpdate(stored, obj).object;
      }
      return writeLoop(obj.kind, name, o.expectedResourceVersion, (stored) => fromPlan(planUpdate(requireStored(obj.kind, name, stored), obj)));
    },

    async updateStatus(kind, name, status, o = {}) {
      return writeLoop(kind, name, o.expectedResourceVersion, (stored) => fromPlan(planStatus(requireStored(kind, name, stored), status)));
    },

    async delete(kind, name, o = {}) {
      let removed = false;
      const object = await writeLoop(kind, name, o.expectedResourceVersion, (stored) => {
        const p = planDelete(requireStored(kind, name, stored), nowIso());
        removed = p.action === 'remove';
        return fromPlan(p);
      });
      return { removed, object };
    },

    async changesSince(since, o = {}) {
      const limit = changesLimit(o.limit);
      const compacted = await compactedRv();
      if (since < compacted) throw new GoneError(goneMessage(since, compacted));
      const recs = await readCommitted(since, limit, o.kind);
      return recs.map((r) => ({ type: r.type!, object: parse(r.body!), resourceVersion: r._id }));
    },

    currentVersion: () => horizon(),

    waitForChange(since, timeoutMs, signal) {
      // Wake only when changesSince would return something, so callers never spin on an unsettled version.
      return waitForStoreChange({
        timeoutMs,
        signal,
        pollIntervalMs,
        wakeups,
        wakeupEnds: false,
        ready: () => closed || readCommitted(since, 1).then((r) => r.length > 0),
        onError: (err) => log?.warn({ err }, 'polling the registry change log failed; retrying'),
      });
    },

    async appendAudit(entry) {
      const time = normaliseTime(entry.time, nowIso());
      const { id: _ignored, ...rest } = jsonClone(entry);
      const body = { ...rest, time };
      const id = await nextCounter('audit');
      await audit.insertOne({ _id: id, time, actor: entry.actor, action: entry.action, kind: entry.kind ?? null, name: entry.name ?? null, entry: JSON.stringify(body) });
      return { id, ...body };
    },

    async queryAudit(q = {}) {
      const filter: Filter<AuditDoc> = {};
      if (q.since !== undefined) filter.time = { $gte: normaliseTime(q.since, '') };
      if (q.actor !== undefined) filter.actor = q.actor;
      if (q.kind !== undefined) filter.kind = q.kind;
      if (q.name !== undefined) filter.name = q.name;
      if (q.action !== undefined) filter.action = q.action;
      const docs = await audit.find(filter).sort({ _id: -1 }).limit(auditLimit(q.limit)).toArray();
      return docs.map((d) => ({ id: d._id, ...(JSON.parse(d.entry) as AuditEntry) }));
    },

    async acquireLease(name, holder, ttlMs, now = clock()) {
      try {
        const doc = await leases.findOneAndUpdate(
          { _id: name, $or: [{ holder }, { expiresAt: { $lte: now } }] },
          { $set: { holder, expiresAt: now + ttlMs } },
          { upsert: true, returnDocument: 'after' },
        );
        return doc?.holder === holder;
      } catch (err) {
        if (isDuplicateKey(err)) return false; // held by someone else: the upsert hit the _id index
        throw err;
      }
    },

    async releaseLease(name, holder) {
      await leases.deleteOne({ _id: name, holder });
    },

    async getLease(name) {
      const d = await leases.findOne({ _id: name });
      return d ? { name: d._id, holder: d.holder, expiresAt: d.expiresAt } : undefined;
    },

    async putToken(t) {
      await tokens.replaceOne({ _id: t.id }, { hash: t.hash, record: JSON.stringify(t) }, { upsert: true });
    },

    async findTokenByHash(hash) {
      const d = await tokens.findOne({ hash });
      return d ? (JSON.parse(d.record) as TokenRecord) : undefined;
    },

    async listTokens() {
      const docs = await tokens.find({}).sort({ _id: 1 }).toArray();
      return docs.map((d) => JSON.parse(d.record) as TokenRecord);
    },

    async revokeToken(id, at) {
      const d = await tokens.findOne({ _id: id });
      if (!d) return false;
      const rec = JSON.parse(d.record) as TokenRecord;
      if (rec.revokedAt === undefined) {
        rec.revokedAt = at;
        await tokens.updateOne({ _id: id }, { $set: { record: JSON.stringify(rec) } });
      }
      return true;
    },

    async compact(keep) {
      // Only settled history may go: the horizon bounds what readers have been able to see.
      const threshold = (await horizon()) - Math.max(0, keep);
      if (threshold <= (await compactedRv())) return;
      // Raise the boundary before deleting, so a reader sees Gone rather than a hole.
      await meta.updateOne({ _id: 'compacted' }, { $max: { rv: threshold } }, { upsert: true });
      await changes.deleteMany({ _id: { $lte: threshold } });
      await objects.deleteMany({ deleted: true, rv: { $lte: threshold }, fences: { $not: { $gt: threshold } } });
      log?.debug({ keep, threshold }, 'compacted registry change history');
    },

    async checkIntegrity() {
      const problems: string[] = [];
      const counter = (await counters.findOne({ _id: 'rv' }))?.value ?? 0;
      const newest = await changes.find({}).sort({ _id: -1 }).limit(1).next();
      if (newest && newest._id > counter) problems.push(`change ${newest._id} is above the global counter ${counter}`);
      const ahead = await objects.countDocuments({ rv: { $gt: counter } });
      if (ahead > 0) problems.push(`${ahead} objects carry a resourceVersion above the global counter ${counter}`);
      const settled = await horizon();
      const compacted = await compactedRv();
      for await (const d of objects.find({ deleted: false, rv: { $gt: compacted, $lte: settled } }, { projection: { kind: 1, name: 1, rv: 1 } })) {
        const c = await changes.findOne({ _id: d.rv });
        if (!c || c.state !== 'committed' || c.kind !== d.kind || c.name !== d.name) {
          problems.push(`${d.kind}/${d.name} has no committed change for its resourceVersion ${d.rv}`);
        }
      }
      return problems;
    },

    async close() {
      if (closed) return;
      closed = true;
      wake();
      await client.close();
    },
  };
  return store;
}

/** Plain (non-partial, non-collated) indexes only: DocumentDB 5 supports these. */
async function ensureIndexes(db: Db): Promise<void> {
  const objects: Collection<ObjectDoc> = db.collection('objects');
  await objects.createIndex({ kind: 1, name: 1 }, { unique: true, name: 'kind_name_unique' });
  await objects.createIndex({ kind: 1, deleted: 1, name: 1 }, { name: 'list_by_name' });
  await objects.createIndex({ kind: 1, ownerTeam: 1, name: 1 }, { name: 'list_by_team' });
  await objects.createIndex({ kind: 1, lifecycle: 1, name: 1 }, { name: 'list_by_lifecycle' });
  await objects.createIndex({ labelPairs: 1 }, { name: 'label_pairs' });
  await objects.createIndex({ labelKeys: 1 }, { name: 'label_keys' });
  await objects.createIndex({ rv: 1 }, { name: 'by_version' });
  const changes: Collection<ChangeRecord> = db.collection('changes');
  await changes.createIndex({ kind: 1, name: 1, prevRv: 1 }, { name: 'successor' });
  const audit: Collection<AuditDoc> = db.collection('audit');
  await audit.createIndex({ actor: 1, _id: -1 }, { name: 'by_actor' });
  await audit.createIndex({ kind: 1, name: 1, _id: -1 }, { name: 'by_object' });
  await audit.createIndex({ time: 1 }, { name: 'by_time' });
  const tokens: Collection<TokenDoc> = db.collection('tokens');
  await tokens.createIndex({ hash: 1 }, { unique: true, name: 'hash_unique' });
}
