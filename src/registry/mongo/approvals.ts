/**
 * The MongoDB adapter's approvals, one document each, without transactions:
 * - one open approval per call: `openKey` carries the call key while the approval
 *   is pending or approved, under a plain unique index (DocumentDB has no partial
 *   ones), and the approval's own id once it is closed;
 * - every state change is one `findOneAndUpdate` whose filter is the state it
 *   leaves (`status: 'pending'` to decide; `status: 'approved'` and unexpired to
 *   consume), so of two gateways consuming one grant exactly one matches.
 */
import type { Filter } from 'mongodb';
import { NotFoundError } from '../../client/errors.ts';
import type { Approval } from '../../client/wire.ts';
import { approvalCallKey, approvalNotFoundMessage, consumed, consumeRefusal, decisionRefusal, effectiveApproval, expiresMs, isOpen } from '../approval-rules.ts';
import { auditLimit, jsonClone } from '../store-semantics.ts';
import type { Store } from '../store.ts';
import { writePendingAudit } from './audited.ts';
import { isDuplicateKey, type ApprovalDoc, type MongoContext } from './schema.ts';

type ApprovalMethods = Pick<Store, 'requestApproval' | 'getApproval' | 'listApprovals' | 'decideApproval' | 'consumeApproval'>;

/** How often a request retries when other requests for the same call race it. */
const REQUEST_ATTEMPTS = 5;

const parse = (d: ApprovalDoc): Approval => JSON.parse(d.record) as Approval;

/** The fields of a document that follow from the approval (all but `openKey`). */
function fieldsOf(a: Approval): Omit<ApprovalDoc, '_id' | 'openKey'> {
  return { agent: a.agent, server: a.server, status: a.status, requestedAt: a.requestedAt, expiresMs: expiresMs(a) ?? null, record: JSON.stringify(a) };
}

/** The approval methods of the Store port over the `approvals` collection. */
export function approvalMethods(ctx: MongoContext): ApprovalMethods {
  const { c, clock } = ctx;
  const stored = async (id: string): Promise<Approval> => {
    const d = await c.approvals.findOne({ _id: id });
    if (d === null) throw new NotFoundError(approvalNotFoundMessage(id));
    return parse(d);
  };
  return {
    async requestApproval(approval, now = clock(), o = {}) {
      const key = approvalCallKey(approval);
      for (let attempt = 1; attempt <= REQUEST_ATTEMPTS; attempt++) {
        const holder = await c.approvals.findOne({ openKey: key });
        if (holder !== null) {
          const a = parse(holder);
          if (isOpen(a, now)) return { approval: effectiveApproval(a, now), created: false };
          // An expired grant still holds the call's key: release it (only if it still does), then file anew.
          await c.approvals.updateOne({ _id: holder._id, openKey: key }, { $set: { openKey: holder._id } });
          continue;
        }
        const a = jsonClone(approval);
        // Audit first, pending (mongo/audited.ts): kept when the insert wins, dropped when it loses.
        const pending = o.audit ? await writePendingAudit(ctx, o.audit(a)) : undefined;
        try {
          await c.approvals.insertOne({ _id: a.id, openKey: key, ...fieldsOf(a) });
          await pending?.confirm();
          return { approval: a, created: true };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await pending?.drop();
          // Another request for the same call got in first: the next round returns it.
        }
      }
      throw new Error(`filing an approval for ${approval.agent} → ${approval.server}/${approval.tool} lost ${REQUEST_ATTEMPTS} races with other requests for the same call; retry`);
    },

    async getApproval(id, now = clock()) {
      const d = await c.approvals.findOne({ _id: id });
      return d === null ? undefined : effectiveApproval(parse(d), now);
    },

    async listApprovals(q = {}, now = clock()) {
      const filter: Filter<ApprovalDoc> = {};
      // `approved` and `expired` are one stored status split by the clock.
      if (q.status === 'approved') Object.assign(filter, { status: 'approved', $or: [{ expiresMs: null }, { expiresMs: { $gt: now } }] });
      else if (q.status === 'expired') Object.assign(filter, { status: 'approved', expiresMs: { $lte: now } });
      else if (q.status !== undefined) filter.status = q.status;
      if (q.agent !== undefined) filter.agent = q.agent;
      if (q.server !== undefined) filter.server = q.server;
      const docs = await c.approvals.find(filter).sort({ requestedAt: -1, _id: -1 }).limit(auditLimit(q.limit, 'approval')).toArray();
      return docs.map((d) => effectiveApproval(parse(d), now));
    },

    async decideApproval(id, decision, now = clock(), o = {}) {
      const a = await stored(id);
      if (a.status !== 'pending') throw decisionRefusal(a, now);
      const next: Approval = { ...a, ...jsonClone(decision) };
      // A denial closes the request, so the call's key is free for a new one; a grant keeps it until used.
      const openKey = next.status === 'approved' ? approvalCallKey(a) : id;
      const pending = o.audit ? await writePendingAudit(ctx, o.audit(next)) : undefined;
      const won = await c.approvals.findOneAndUpdate({ _id: id, status: 'pending' }, { $set: { openKey, ...fieldsOf(next) } });
      if (won === null) {
        await pending?.drop();
        throw decisionRefusal(await stored(id), now); // decided by someone else meanwhile
      }
      await pending?.confirm();
      return next;
    },

    async consumeApproval(id, call, now = clock(), o = {}) {
      const a = await stored(id);
      const refused = consumeRefusal(a, call, now);
      if (refused !== undefined) throw refused;
      const next = consumed(a, now);
      const pending = o.audit ? await writePendingAudit(ctx, o.audit(next)) : undefined;
      const won = await c.approvals.findOneAndUpdate(
        { _id: id, status: 'approved', $or: [{ expiresMs: null }, { expiresMs: { $gt: now } }] },
        { $set: { openKey: id, ...fieldsOf(next) } },
      );
      if (won === null) {
        await pending?.drop();
        // Another consumer won the race (or the grant changed): say why as of now.
        const after = await stored(id);
        throw consumeRefusal(after, call, now) ?? new Error(`approval ${id} changed while it was being consumed; retry`);
      }
      await pending?.confirm();
      return next;
    },
  };
}
