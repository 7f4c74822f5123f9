/**
 * The MongoDB adapter's change log as readers see it (the scheme is in
 * mongo-store.ts): committed records only, in version order, stopping at the
 * first unsettled version and repairing it once it has stayed unsettled for
 * `repairAfterMs`. Also the Store methods that read or trim the log:
 * changesSince, currentVersion, waitForChange, compact, checkIntegrity.
 */
import type { Kind, Resource } from '../../manifest/resource.ts';
import { waitForStoreChange } from '../change-waiter.ts';
import { decidePending, planScan, type ChangeRecord } from '../store-change-log.ts';
import { changesLimit, goneMessage } from '../store-semantics.ts';
import { GoneError } from '../../client/errors.ts';
import type { Store } from '../store.ts';
import { isDuplicateKey, type MongoContext } from './schema.ts';

/** The reader side of the change log. */
export interface MongoChangeLog {
  /**
   * Committed records after `since`, in order, stopping at the first unsettled
   * version; repairs that version when it has been unsettled for `repairAfterMs`.
   */
  readCommitted(since: number, limit: number, kind?: Kind): Promise<ChangeRecord[]>;
  /** The highest version up to which every change is settled: what lists and currentVersion report. */
  horizon(): Promise<number>;
  /** The version up to which history was dropped by compact. */
  compactedRv(): Promise<number>;
}

/** The change log of `ctx`'s database. */
export function createChangeLog(ctx: MongoContext, repairAfterMs: number): MongoChangeLog {
  const { c, clock, log } = ctx;
  /** When this process first saw each unsettled version, for the repair timeout (reader-side clock only). */
  const unsettledSince = new Map<number, number>();
  /** Highest version known settled; only grows. */
  let settledHorizon = 0;

  const compactedRv = async (): Promise<number> => (await c.meta.findOne({ _id: 'compacted' }))?.rv ?? 0;

  /** Settles a pending change whose writer has gone quiet; see the module comment of mongo-store.ts. */
  async function repairPending(rec: ChangeRecord): Promise<void> {
    const kind = rec.kind ?? '';
    const name = rec.name ?? '';
    const facts = async (fenceFailed: boolean): Promise<'commit' | 'fence' | 'abandon'> => {
      const doc = await c.objects.findOne({ kind, name });
      const successor = await c.changes.findOne({ kind, name, prevRv: rec._id });
      return decidePending({ change: rec, objectRv: doc?.rv, successorExists: successor !== null, fenceFailed });
    };
    let decision = await facts(false);
    if (decision === 'fence') {
      let fenced: boolean;
      if (rec.prevRv === null || rec.prevRv === undefined) {
        try {
          await c.objects.insertOne({ kind, name, deleted: true, rv: 0, ownerTeam: null, lifecycle: null, labelPairs: [], labelKeys: [], fences: [rec._id], body: 'null' });
          fenced = true;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          fenced = false;
        }
      } else {
        const res = await c.objects.updateOne({ kind, name, rv: rec.prevRv }, { $addToSet: { fences: rec._id } });
        fenced = res.matchedCount === 1;
      }
      decision = fenced ? 'abandon' : await facts(true);
    }
    const state = decision === 'commit' ? 'committed' : 'abandoned';
    await c.changes.updateOne({ _id: rec._id, state: 'pending' }, { $set: { state } });
    log?.warn({ resourceVersion: rec._id, kind, name, settledAs: state }, 'repaired a change left pending by a writer that stopped');
  }

  /** Settles a version that was reserved but never logged; see the module comment of mongo-store.ts. */
  async function repairGap(rv: number): Promise<void> {
    try {
      await c.changes.insertOne({ _id: rv, state: 'abandoned' });
      log?.warn({ resourceVersion: rv }, 'abandoned a resource version reserved by a writer that stopped');
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // the writer logged it meanwhile
    }
  }

  async function readCommitted(since: number, limit: number, kind?: Kind): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    let from = since;
    for (let rounds = 0; rounds < 3 && out.length < limit; ) {
      const batch = await c.changes.find({ _id: { $gt: from } }).sort({ _id: 1 }).limit(Math.max(limit, 100)).toArray();
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
        const counter = (await c.counters.findOne({ _id: 'rv' }))?.value ?? 0;
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

  async function horizon(): Promise<number> {
    const floor = Math.max(settledHorizon, await compactedRv());
    for (;;) {
      const before = settledHorizon;
      await readCommitted(Math.max(floor, settledHorizon), 1_000);
      if (settledHorizon === before) break;
    }
    return Math.max(floor, settledHorizon);
  }

  return { readCommitted, horizon, compactedRv };
}

/** The Store methods over the change log. */
export function changeLogMethods(
  ctx: MongoContext,
  changeLog: MongoChangeLog,
  pollIntervalMs: number,
): Pick<Store, 'changesSince' | 'currentVersion' | 'waitForChange' | 'compact' | 'checkIntegrity'> {
  const { c, log } = ctx;
  const { readCommitted, horizon, compactedRv } = changeLog;
  return {
    async changesSince(since, o = {}) {
      const limit = changesLimit(o.limit);
      const compacted = await compactedRv();
      if (since < compacted) throw new GoneError(goneMessage(since, compacted));
      const recs = await readCommitted(since, limit, o.kind);
      return recs.map((r) => ({ type: r.type!, object: JSON.parse(r.body!) as Resource, resourceVersion: r._id }));
    },

    currentVersion: () => horizon(),

    waitForChange(since, timeoutMs, signal) {
      // Wake only when changesSince would return something, so callers never spin on an unsettled version.
      return waitForStoreChange({
        timeoutMs,
        signal,
        pollIntervalMs,
        wakeups: ctx.wakeups,
        wakeupEnds: false,
        ready: () => ctx.isClosed() || readCommitted(since, 1).then((r) => r.length > 0),
        onError: (err) => log?.warn({ err }, 'polling the registry change log failed; retrying'),
      });
    },

    async compact(keep) {
      // Only settled history may go: the horizon bounds what readers have been able to see.
      const threshold = (await horizon()) - Math.max(0, keep);
      if (threshold <= (await compactedRv())) return;
      // Raise the boundary before deleting, so a reader sees Gone rather than a hole.
      await c.meta.updateOne({ _id: 'compacted' }, { $max: { rv: threshold } }, { upsert: true });
      await c.changes.deleteMany({ _id: { $lte: threshold } });
      await c.objects.deleteMany({ deleted: true, rv: { $lte: threshold }, fences: { $not: { $gt: threshold } } });
      log?.debug({ keep, threshold }, 'compacted registry change history');
    },

    async checkIntegrity() {
      const problems: string[] = [];
      const counter = (await c.counters.findOne({ _id: 'rv' }))?.value ?? 0;
      const newest = await c.changes.find({}).sort({ _id: -1 }).limit(1).next();
      if (newest && newest._id > counter) problems.push(`change ${newest._id} is above the global counter ${counter}`);
      const ahead = await c.objects.countDocuments({ rv: { $gt: counter } });
      if (ahead > 0) problems.push(`${ahead} objects carry a resourceVersion above the global counter ${counter}`);
      const settled = await horizon();
      const compacted = await compactedRv();
      for await (const d of c.objects.find({ deleted: false, rv: { $gt: compacted, $lte: settled } }, { projection: { kind: 1, name: 1, rv: 1 } })) {
        const ch = await c.changes.findOne({ _id: d.rv });
        if (!ch || ch.state !== 'committed' || ch.kind !== d.kind || ch.name !== d.name) {
          problems.push(`${d.kind}/${d.name} has no committed change for its resourceVersion ${d.rv}`);
        }
      }
      return problems;
    },
  };
}
