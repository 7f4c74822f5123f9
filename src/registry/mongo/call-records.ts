/**
 * The MongoDB adapter's call records: one document per call, ids reserved for a
 * whole batch with one counter increment, and the batch written with one
 * `insertMany` command after every record was checked. Without transactions
 * (DocumentDB), a batch is all or none except across a failover in the middle of
 * that one command; see the README's design notes.
 */
import type { Filter } from 'mongodb';
import type { CallRecord } from '../../client/wire.ts';
import { recordsToStore } from '../call-record-rules.ts';
import { auditLimit, decodeCallRecordCursor, normaliseTime } from '../store-semantics.ts';
import type { Store } from '../store.ts';
import { nextCounter, type CallRecordDoc, type MongoContext } from './schema.ts';

/** appendCallRecords and queryCallRecords over the `callRecords` collection. */
export function callRecordMethods(ctx: MongoContext): Pick<Store, 'appendCallRecords' | 'queryCallRecords'> {
  const { c, clock } = ctx;
  return {
    async appendCallRecords(records) {
      const rows = recordsToStore(records, new Date(clock()).toISOString());
      if (rows.length === 0) return [];
      const last = await nextCounter(c.counters, 'callRecords', rows.length);
      const saved: CallRecord[] = rows.map((r, i) => ({ id: last - rows.length + 1 + i, ...r }));
      await c.callRecords.insertMany(
        saved.map((r) => {
          const { id, ...body } = r;
          return { _id: id!, time: r.time!, agent: r.agent, server: r.server, tool: r.tool ?? null, decision: r.decision, user: r.user ?? null, record: JSON.stringify(body) };
        }),
        { ordered: true },
      );
      return saved;
    },

    async queryCallRecords(q = {}) {
      const filter: Filter<CallRecordDoc> = {};
      const time: { $gte?: string; $lt?: string } = {};
      if (q.since !== undefined) time.$gte = normaliseTime(q.since, '');
      if (q.until !== undefined) time.$lt = normaliseTime(q.until, '');
      if (Object.keys(time).length > 0) filter.time = time;
      if (q.agent !== undefined) filter.agent = q.agent;
      if (q.server !== undefined) filter.server = q.server;
      if (q.tool !== undefined) filter.tool = q.tool;
      if (q.decision !== undefined) filter.decision = q.decision;
      if (q.user !== undefined) filter.user = q.user;
      if (q.continue !== undefined) {
        const after = decodeCallRecordCursor(q.continue);
        filter.$or = [{ time: { $lt: after.time } }, { time: after.time, _id: { $lt: after.id } }];
      }
      const docs = await c.callRecords.find(filter).sort({ time: -1, _id: -1 }).limit(auditLimit(q.limit, 'call record')).toArray();
      return docs.map((d) => ({ id: d._id, ...(JSON.parse(d.record) as CallRecord) }));
    },
  };
}
