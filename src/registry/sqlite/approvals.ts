/**
 * The SQLite adapter's approvals: one row per request in `approvals`, the
 * approval itself as JSON beside the columns the lookups use. Every state change
 * reads and writes inside one `BEGIN IMMEDIATE` transaction, which holds the
 * database's write lock, so the check and the change are one compare-and-set even
 * across processes sharing the file: of two consumers of one grant, one wins.
 */
import { NotFoundError } from '../../client/errors.ts';
import type { Approval } from '../../client/wire.ts';
import { approvalCallKey, approvalNotFoundMessage, consumed, consumeRefusal, decisionRefusal, effectiveApproval, expiresMs, isOpen } from '../approval-rules.ts';
import { auditLimit, jsonClone } from '../store-semantics.ts';
import type { Store } from '../store.ts';
import { insertAudit } from './records.ts';
import type { SqliteContext } from './connection.ts';

type ApprovalMethods = Pick<Store, 'requestApproval' | 'getApproval' | 'listApprovals' | 'decideApproval' | 'consumeApproval'>;

/** The approval methods of the Store port over the `approvals` table. */
export function approvalMethods(ctx: SqliteContext): ApprovalMethods {
  const { db, stmt } = ctx;
  const parse = (row: unknown): Approval => JSON.parse((row as { record: string }).record) as Approval;
  /** The stored approval (not the effective view), or NotFoundError. */
  const stored = (id: string): Approval => {
    const row = stmt('SELECT record FROM approvals WHERE id = ?').get(id);
    if (row === undefined) throw new NotFoundError(approvalNotFoundMessage(id));
    return parse(row);
  };
  const save = (a: Approval): void => {
    stmt('UPDATE approvals SET status = ?, expires_ms = ?, record = ? WHERE id = ?').run(a.status, expiresMs(a) ?? null, JSON.stringify(a), a.id);
  };
  return {
    async requestApproval(approval, now = ctx.clock(), o = {}) {
      const key = approvalCallKey(approval);
      return ctx.writeTx(() => {
        const candidates = stmt(`SELECT record FROM approvals WHERE call_key = ? AND status IN ('pending', 'approved') ORDER BY seq DESC`).all(key).map(parse);
        const open = candidates.find((a) => isOpen(a, now));
        if (open !== undefined) return { approval: effectiveApproval(open, now), created: false };
        const a = jsonClone(approval);
        stmt('INSERT INTO approvals (id, call_key, agent, server, status, requested_at, expires_ms, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          a.id,
          key,
          a.agent,
          a.server,
          a.status,
          a.requestedAt,
          expiresMs(a) ?? null,
          JSON.stringify(a),
        );
        if (o.audit) insertAudit(ctx, o.audit(a));
        return { approval: a, created: true };
      });
    },

    async getApproval(id, now = ctx.clock()) {
      const row = stmt('SELECT record FROM approvals WHERE id = ?').get(id);
      return row === undefined ? undefined : effectiveApproval(parse(row), now);
    },

    async listApprovals(q = {}, now = ctx.clock()) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      const filter = (sql: string, value: string | number): void => {
        where.push(sql);
        params.push(value);
      };
      // `approved` and `expired` are one stored status split by the clock.
      if (q.status === 'approved') filter(`status = 'approved' AND (expires_ms IS NULL OR expires_ms > ?)`, now);
      else if (q.status === 'expired') filter(`status = 'approved' AND expires_ms <= ?`, now);
      else if (q.status !== undefined) filter('status = ?', q.status);
      if (q.agent !== undefined) filter('agent = ?', q.agent);
      if (q.server !== undefined) filter('server = ?', q.server);
      const sql = `SELECT record FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at DESC, seq DESC LIMIT ?`;
      return db.prepare(sql).all(...params, auditLimit(q.limit, 'approval')).map((row) => effectiveApproval(parse(row), now));
    },

    async decideApproval(id, decision, now = ctx.clock(), o = {}) {
      return ctx.writeTx(() => {
        const a = stored(id);
        if (a.status !== 'pending') throw decisionRefusal(a, now);
        const next: Approval = { ...a, ...jsonClone(decision) };
        save(next);
        if (o.audit) insertAudit(ctx, o.audit(next));
        return next;
      });
    },

    async consumeApproval(id, call, now = ctx.clock(), o = {}) {
      return ctx.writeTx(() => {
        const a = stored(id);
        const refused = consumeRefusal(a, call, now);
        if (refused !== undefined) throw refused;
        const next = consumed(a, now);
        save(next);
        if (o.audit) insertAudit(ctx, o.audit(next));
        return next;
      });
    },
  };
}
