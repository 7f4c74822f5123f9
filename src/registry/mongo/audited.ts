/**
 * Audit records that commit with the write they record, on MongoDB without
 * multi-document transactions.
 *
 * Why not a session transaction: this adapter runs unchanged on DocumentDB and on
 * standalone servers, and its object writes already follow a crash-safe protocol
 * without transactions (mongo-store.ts); threading a session through every step
 * and its repair would be a second protocol to prove. Instead the audit record
 * is written FIRST, marked `pending`, then the write happens, then the record is
 * settled: kept (pending mark removed) when the write applied, deleted when it
 * did not. So:
 * - an acknowledged write always has its audit record (it existed before the ack);
 * - if the audit insert fails (disk full, no primary), the write is not attempted;
 * - a crash, or a failed settle, between the write and the settle leaves a record
 *   still pending: readers see it with `details.unconfirmed: true`, meaning "this
 *   write was attempted; check the object's history (its resourceVersion) to see
 *   whether it happened". An extra record is possible, a missing one is not.
 */
import type { AuditEntry } from '../../client/wire.ts';
import { jsonClone, normaliseTime } from '../store-semantics.ts';
import { nextCounter, type AuditDoc, type MongoContext } from './schema.ts';

/** The audit document for `entry` with id `id`. */
export function auditDoc(ctx: MongoContext, id: number, entry: AuditEntry, pending: boolean): { doc: AuditDoc; saved: AuditEntry } {
  const time = normaliseTime(entry.time, new Date(ctx.clock()).toISOString());
  const { id: _ignored, ...rest } = jsonClone(entry);
  const body = { ...rest, time };
  const doc: AuditDoc = { _id: id, time, actor: entry.actor, action: entry.action, kind: entry.kind ?? null, name: entry.name ?? null, entry: JSON.stringify(body) };
  if (pending) doc.state = 'pending';
  return { doc, saved: { id, ...body } };
}

/** A pending audit record, written before the write it records. */
export interface PendingAudit {
  /** Keeps the record (its entry was built with the write's outcome, e.g. the new version). */
  confirm(): Promise<void>;
  /** Deletes the record: the write did not happen. */
  drop(): Promise<void>;
}

/** Inserts `entry` as a pending audit record. Throws (and nothing is written) when the database refuses it. */
export async function writePendingAudit(ctx: MongoContext, entry: AuditEntry): Promise<PendingAudit> {
  const { c } = ctx;
  const id = await nextCounter(c.counters, 'audit');
  const { doc } = auditDoc(ctx, id, entry, true);
  await c.audit.insertOne(doc);
  // Settling failures are logged, not thrown: the write's outcome is already decided,
  // and a record left pending reads as unconfirmed, which is the truth.
  return {
    async confirm() {
      try {
        await c.audit.updateOne({ _id: id }, { $unset: { state: '' } });
      } catch (err) {
        ctx.log?.error({ err, auditId: id }, 'confirming an audit record failed; it stays marked unconfirmed');
      }
    },
    async drop() {
      try {
        await c.audit.deleteOne({ _id: id });
      } catch (err) {
        ctx.log?.error({ err, auditId: id }, 'dropping the audit record of a write that did not happen failed; it stays marked unconfirmed');
      }
    },
  };
}

/** The entry a stored audit document stands for; a pending one is marked unconfirmed. */
export function auditFromDoc(d: AuditDoc): AuditEntry {
  const entry = { id: d._id, ...(JSON.parse(d.entry) as AuditEntry) };
  if (d.state === 'pending') entry.details = { ...(entry.details ?? {}), unconfirmed: true };
  return entry;
}
