/**
 * The SQLite adapter's call records: the gateway's per-call audit in
 * `call_records`, one row per call with the filter columns indexed beside the
 * record as JSON. A batch is one transaction: all of it or none.
 */
import type { CallRecord } from '../../client/wire.ts';
import { recordsToStore } from '../call-record-rules.ts';
import { auditLimit, decodeCallRecordCursor, normaliseTime } from '../store-semantics.ts';
import type { Store } from '../store.ts';
import type { SqliteContext } from './connection.ts';

/** appendCallRecords and queryCallRecords over the `call_records` table. */
export function callRecordMethods(ctx: SqliteContext): Pick<Store, 'appendCallRecords' | 'queryCallRecords'> {
  const { db, stmt } = ctx;
  return {
    async appendCallRecords(records) {
      const rows = recordsToStore(records, new Date(ctx.clock()).toISOString());
      return ctx.writeTx(() => {
        const insert = stmt('INSERT INTO call_records (time, agent, server, tool, decision, record) VALUES (?, ?, ?, ?, ?, ?)');
        return rows.map((r) => {
          const res = insert.run(r.time!, r.agent, r.server, r.tool ?? null, r.decision, JSON.stringify(r));
          return { id: Number(res.lastInsertRowid), ...r };
        });
      });
    },

    async queryCallRecords(q = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      const time = (t: string | undefined): string | undefined => (t === undefined ? undefined : normaliseTime(t, ''));
      const filters = [
        ['time >= ?', time(q.since)],
        ['time < ?', time(q.until)],
        ['agent = ?', q.agent],
        ['server = ?', q.server],
        ['tool = ?', q.tool],
        ['decision = ?', q.decision],
        // No column of its own (a schema change for a rarely used filter); the other filters and time narrow first.
        ["json_extract(record, '$.user') = ?", q.user],
      ] as const;
      for (const [sql, v] of filters) {
        if (v === undefined) continue;
        where.push(sql);
        params.push(v);
      }
      if (q.continue !== undefined) {
        const after = decodeCallRecordCursor(q.continue);
        where.push('(time < ? OR (time = ? AND id < ?))');
        params.push(after.time, after.time, after.id);
      }
      const sql = `SELECT id, record FROM call_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...params, auditLimit(q.limit, 'call record')) as unknown as { id: number; record: string }[];
      return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.record) as CallRecord) }));
    },
  };
}
