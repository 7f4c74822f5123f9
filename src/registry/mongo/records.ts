/**
 * The MongoDB adapter's side records, each one document per record and none in
 * the change log: the audit log (ids from the `audit` counter), leader leases
 * (one conditional upsert), and API tokens (stored by hash).
 */
import type { Filter } from 'mongodb';
import { auditLimit, decodeAuditCursor, normaliseTime } from '../store-semantics.ts';
import { auditDoc, auditFromDoc, writePendingAudit } from './audited.ts';
import type { Store, TokenRecord } from '../store.ts';
import { isDuplicateKey, nextCounter, type AuditDoc, type MongoContext } from './schema.ts';

/** appendAudit and queryAudit over the `audit` collection. */
export function auditMethods(ctx: MongoContext): Pick<Store, 'appendAudit' | 'queryAudit'> {
  const { c, clock } = ctx;
  return {
    async appendAudit(entry) {
      const id = await nextCounter(c.counters, 'audit');
      const { doc, saved } = auditDoc(ctx, id, entry, false);
      await c.audit.insertOne(doc);
      return saved;
    },

    async queryAudit(q = {}) {
      const filter: Filter<AuditDoc> = {};
      const time: { $gte?: string; $lt?: string } = {};
      if (q.since !== undefined) time.$gte = normaliseTime(q.since, '');
      if (q.until !== undefined) time.$lt = normaliseTime(q.until, '');
      if (Object.keys(time).length > 0) filter.time = time;
      if (q.continue !== undefined) filter._id = { $lt: decodeAuditCursor(q.continue) };
      if (q.actor !== undefined) filter.actor = q.actor;
      if (q.kind !== undefined) filter.kind = q.kind;
      if (q.name !== undefined) filter.name = q.name;
      if (q.action !== undefined) filter.action = q.action;
      const docs = await c.audit.find(filter).sort({ _id: -1 }).limit(auditLimit(q.limit)).toArray();
      return docs.map(auditFromDoc);
    },
  };
}

/** Leader leases over the `leases` collection. */
export function leaseMethods(ctx: MongoContext): Pick<Store, 'acquireLease' | 'releaseLease' | 'getLease'> {
  const { c, clock } = ctx;
  return {
    async acquireLease(name, holder, ttlMs, now = clock()) {
      try {
        const doc = await c.leases.findOneAndUpdate(
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
      await c.leases.deleteOne({ _id: name, holder });
    },

    async getLease(name) {
      const d = await c.leases.findOne({ _id: name });
      return d ? { name: d._id, holder: d.holder, expiresAt: d.expiresAt } : undefined;
    },
  };
}

/**
 * API token records over the `tokens` collection, the whole record as `record`
 * JSON (as in SQLite), so later fields such as `agent` and `groups` need no
 * migration.
 */
export function tokenMethods(ctx: MongoContext): Pick<Store, 'putToken' | 'findTokenByHash' | 'getToken' | 'listTokens' | 'revokeToken' | 'deleteTokens'> {
  const { c } = ctx;
  return {
    async putToken(t, o = {}) {
      const pending = o.audit ? await writePendingAudit(ctx, o.audit) : undefined;
      // When this throws, the outcome may be unknown (network): the record stays pending, read as unconfirmed.
      await c.tokens.replaceOne({ _id: t.id }, { hash: t.hash, record: JSON.stringify(t) }, { upsert: true });
      await pending?.confirm();
    },

    async findTokenByHash(hash) {
      const d = await c.tokens.findOne({ hash });
      return d ? (JSON.parse(d.record) as TokenRecord) : undefined;
    },

    async getToken(id) {
      const d = await c.tokens.findOne({ _id: id });
      return d ? (JSON.parse(d.record) as TokenRecord) : undefined;
    },

    async listTokens() {
      const docs = await c.tokens.find({}).sort({ _id: 1 }).toArray();
      return docs.map((d) => JSON.parse(d.record) as TokenRecord);
    },

    async revokeToken(id, at, o = {}) {
      const d = await c.tokens.findOne({ _id: id });
      if (!d) return false;
      const pending = o.audit ? await writePendingAudit(ctx, o.audit) : undefined;
      const rec = JSON.parse(d.record) as TokenRecord;
      if (rec.revokedAt === undefined) {
        rec.revokedAt = at;
        await c.tokens.updateOne({ _id: id }, { $set: { record: JSON.stringify(rec) } });
      }
      await pending?.confirm();
      return true;
    },

    async deleteTokens(ids, o = {}) {
      if (ids.length === 0) return 0;
      const present = await c.tokens.countDocuments({ _id: { $in: [...ids] } });
      if (present === 0) return 0;
      const pending = o.audit ? await writePendingAudit(ctx, o.audit) : undefined;
      const { deletedCount } = await c.tokens.deleteMany({ _id: { $in: [...ids] } });
      await pending?.confirm();
      return deletedCount;
    },
  };
}
