/**
 * The MongoDB adapter's object reads and writes: every write goes read → plan →
 * reserve a version → log it pending → compare-and-set the object → settle the
 * log record (the protocol is in mongo-store.ts's module comment).
 */
import type { WithId, Filter } from 'mongodb';
import type { Kind, Resource } from '../../manifest/resource.ts';
import { decodeContinue, encodeContinue, pageSize, parseLabelSelector } from '../label-selector.ts';
import {
  alreadyExistsMessage,
  checkExpectedVersion,
  indexedFields,
  jsonClone,
  notFoundMessage,
  planCreate,
  planDelete,
  planStageApproval,
  planStatus,
  planUpdate,
  stampVersion,
  type UpdatePlan,
} from '../store-semantics.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../client/errors.ts';
import type { ListResult, WatchEvent } from '../../client/wire.ts';
import type { AuditOf, Store } from '../store.ts';
import { writePendingAudit, type PendingAudit } from './audited.ts';
import type { MongoChangeLog } from './change-log.ts';
import { isDuplicateKey, labelFilter, nextCounter, type MongoContext, type ObjectDoc } from './schema.ts';

/** What a planned write does: record an event with the object, or nothing. */
type WritePlan = { type: WatchEvent['type']; object: Resource } | { unchanged: Resource };

const parse = (body: string): Resource => JSON.parse(body) as Resource;

/** The object document for `obj` at version `rv`. */
function objectDoc(type: WatchEvent['type'], obj: Resource, rv: number): ObjectDoc {
  const { ownerTeam, lifecycle } = indexedFields(obj);
  const labels = obj.metadata.labels ?? {};
  return {
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
  };
}

const fromPlan = (p: UpdatePlan): WritePlan =>
  p.action === 'unchanged' ? { unchanged: p.object } : { type: p.action === 'remove' ? 'DELETED' : 'MODIFIED', object: p.object };

const requireStored = (kind: Kind, name: string, stored: Resource | undefined): Resource => {
  if (!stored) throw new NotFoundError(notFoundMessage(kind, name));
  return stored;
};

/** The Store's object methods over `ctx`'s collections. */
export function objectMethods(ctx: MongoContext, changeLog: MongoChangeLog): Pick<Store, 'create' | 'get' | 'list' | 'update' | 'updateStatus' | 'recordStageApproval' | 'delete'> {
  const { c, clock } = ctx;
  const nowIso = (): string => new Date(clock()).toISOString();
  const readDoc = (kind: Kind, name: string) => c.objects.findOne({ kind, name });
  const get = async (kind: Kind, name: string): Promise<Resource | undefined> => {
    const doc = await c.objects.findOne({ kind, name, deleted: false });
    return doc ? parse(doc.body) : undefined;
  };

  /**
   * Carries out one planned object write with the protocol in mongo-store.ts.
   * Returns undefined when the compare-and-set lost to another writer.
   */
  async function commitWrite(type: WatchEvent['type'], planned: Resource, prev: WithId<ObjectDoc> | null, audit?: AuditOf): Promise<Resource | undefined> {
    let rv: number;
    let obj: Resource;
    for (;;) {
      rv = await nextCounter(c.counters, 'rv');
      obj = stampVersion(planned, rv);
      try {
        await c.changes.insertOne({ _id: rv, state: 'pending', kind: obj.kind, name: obj.metadata.name, type, prevRv: prev ? prev.rv : null, body: JSON.stringify(obj) });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // a reader abandoned this version while we were slow: take another
      }
    }
    // The audit record goes first, pending (mongo/audited.ts): if it can't be written, neither is the object.
    let pendingAudit: PendingAudit | undefined;
    if (audit) {
      const before = prev && !prev.deleted ? parse(prev.body) : undefined;
      try {
        pendingAudit = await writePendingAudit(ctx, audit({ before, after: type === 'DELETED' ? undefined : obj }));
      } catch (err) {
        await c.changes.updateOne({ _id: rv, state: 'pending' }, { $set: { state: 'abandoned' } }).catch(() => undefined); // else readers repair it
        throw err;
      }
    }
    const fields = objectDoc(type, obj, rv);
    let applied: boolean;
    try {
      if (prev) {
        const res = await c.objects.updateOne({ _id: prev._id, rv: prev.rv, fences: { $ne: rv } }, { $set: fields });
        applied = res.matchedCount === 1;
      } else {
        await c.objects.insertOne(fields);
        applied = true;
      }
    } catch (err) {
      if (!isDuplicateKey(err)) {
        // Unknown outcome (e.g. network): leave the record pending; readers settle it by the object's version.
        throw err;
      }
      applied = false;
    }
    await c.changes.updateOne({ _id: rv, state: 'pending' }, { $set: { state: applied ? 'committed' : 'abandoned' } });
    if (!applied) {
      await pendingAudit?.drop();
      return undefined;
    }
    await pendingAudit?.confirm();
    ctx.wakeups.emit('change');
    return obj;
  }

  /**
   * Runs read → plan → compare-and-set until it applies. A lost race is a
   * ConflictError when the caller pinned a version, else the plan is recomputed.
   */
  async function writeLoop(kind: Kind, name: string, expected: string | undefined, audit: AuditOf | undefined, plan: (stored: Resource | undefined) => WritePlan): Promise<Resource> {
    if (ctx.isClosed()) throw new Error('the registry store is closed');
    for (let attempt = 0; ; attempt++) {
      const doc = await readDoc(kind, name);
      const stored = doc && !doc.deleted ? parse(doc.body) : undefined;
      if (stored) checkExpectedVersion(stored, expected);
      const p = plan(stored);
      if ('unchanged' in p) return p.unchanged;
      const done = await commitWrite(p.type, p.object, doc, audit);
      if (done) return done;
      if (expected !== undefined) {
        throw new ConflictError(`${kind}/${name} was changed by someone else while this write was in flight: read it again and reapply your change.`);
      }
      if (attempt > 50) throw new Error(`writing ${kind}/${name}: gave up after 50 lost races with other writers`);
    }
  }

  return {
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
        const done = await commitWrite('ADDED', planned, doc, o?.audit);
        if (done) return jsonClone(done);
      }
    },

    get,

    async list(kind, o = {}): Promise<ListResult> {
      const limit = pageSize(o.limit);
      const requirements = parseLabelSelector(o.labelSelector);
      const position = o.continue ? decodeContinue(o.continue) : undefined;
      // The version first, then the objects: every change up to it is already in the objects.
      const rv = position ? position.resourceVersion : await changeLog.horizon();
      const filter: Filter<ObjectDoc> = { kind, deleted: false, ...labelFilter(requirements) };
      if (position) filter.name = { $gt: position.lastName };
      if (o.ownerTeam !== undefined) filter.ownerTeam = o.ownerTeam;
      if (o.lifecycle !== undefined) filter.lifecycle = o.lifecycle;
      const docs = await c.objects.find(filter).sort({ name: 1 }).limit(limit + 1).toArray();
      const items = docs.slice(0, limit).map((d) => parse(d.body));
      const result: ListResult = { items, resourceVersion: rv };
      const last = items.at(-1);
      if (docs.length > limit && last) result.continue = encodeContinue({ lastName: last.metadata.name, resourceVersion: rv });
      return result;
    },

    async update(obj, o = {}) {
      const name = obj.metadata?.name;
      if (o.dryRun) {
        const stored = requireStored(obj.kind, name, await get(obj.kind, name));
        checkExpectedVersion(stored, o.expectedResourceVersion);
        return planUpdate(stored, obj).object;
      }
      return writeLoop(obj.kind, name, o.expectedResourceVersion, o.audit, (stored) => fromPlan(planUpdate(requireStored(obj.kind, name, stored), obj)));
    },

    async updateStatus(kind, name, status, o = {}) {
      return writeLoop(kind, name, o.expectedResourceVersion, o.audit, (stored) => fromPlan(planStatus(requireStored(kind, name, stored), status)));
    },

    async recordStageApproval(kind, name, approval, o = {}) {
      return writeLoop(kind, name, o.expectedResourceVersion, o.audit, (stored) => fromPlan(planStageApproval(requireStored(kind, name, stored), approval)));
    },

    async delete(kind, name, o = {}) {
      let removed = false;
      const object = await writeLoop(kind, name, o.expectedResourceVersion, o.audit, (stored) => {
        const p = planDelete(requireStored(kind, name, stored), nowIso());
        removed = p.action === 'remove';
        return fromPlan(p);
      });
      return { removed, object };
    },
  };
}
