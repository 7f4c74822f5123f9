/**
 * The SQLite adapter's side records, none of them in the change log: the audit
 * log, leader leases and API tokens (stored by hash).
 */
import { auditLimit, decodeAuditCursor, jsonClone, normaliseTime } from '../store-semantics.ts';
import type { AuditEntry, AuditQuery } from '../../client/wire.ts';
import type { Lease, Store, TokenRecord } from '../store.ts';
import type { SqliteContext } from './connection.ts';

/**
 * Inserts one audit row inside the caller's write transaction (so it commits or
 * rolls back with the write it records); returns the entry with id and time.
 */
export function insertAudit(ctx: SqliteContext, entry: AuditEntry): AuditEntry {
  const time = normaliseTime(entry.time, new Date(ctx.clock()).toISOString());
  const { id: _ignored, ...rest } = jsonClone(entry);
  const body = { ...rest, time };
  const res = ctx.stmt('INSERT INTO audit (time, actor, action, kind, name, entry) VALUES (?, ?, ?, ?, ?, ?)').run(
    time,
    entry.actor,
    entry.action,
    entry.kind ?? null,
    entry.name ?? null,
    JSON.stringify(body),
  );
  return { id: Number(res.lastInsertRowid), ...body };
}

/** appendAudit and queryAudit over the `audit` table. */
export function auditMethods(ctx: SqliteContext): Pick<Store, 'appendAudit' | 'queryAudit'> {
  const { db } = ctx;
  return {
    async appendAudit(entry) {
      return ctx.writeTx(() => insertAudit(ctx, entry));
    },

    async queryAudit(q: AuditQuery = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (q.since !== undefined) {
        where.push('time >= ?');
        params.push(normaliseTime(q.since, ''));
      }
      if (q.until !== undefined) {
        where.push('time < ?');
        params.push(normaliseTime(q.until, ''));
      }
      if (q.continue !== undefined) {
        where.push('id < ?');
        params.push(decodeAuditCursor(q.continue));
      }
      for (const [col, v] of [['actor', q.actor], ['kind', q.kind], ['name', q.name], ['action', q.action]] as const) {
        if (v !== undefined) {
          where.push(`${col} = ?`);
          params.push(v);
        }
      }
      const sql = `SELECT id, entry FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...params, auditLimit(q.limit)) as unknown as { id: number; entry: string }[];
      return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.entry) as AuditEntry) }));
    },
  };
}

/** Leader leases over the `leases` table. */
export function leaseMethods(ctx: SqliteContext): Pick<Store, 'acquireLease' | 'releaseLease' | 'getLease'> {
  const { stmt } = ctx;
  return {
    async acquireLease(name, holder, ttlMs, now = ctx.clock()) {
      return ctx.writeTx(() => {
        const cur = stmt('SELECT holder, expires_at FROM leases WHERE name = ?').get(name) as
          | { holder: string; expires_at: number }
          | undefined;
        if (cur && cur.holder !== holder && cur.expires_at > now) return false;
        stmt(
          'INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at',
        ).run(name, holder, now + ttlMs);
        return true;
      });
    },

    async releaseLease(name, holder) {
      ctx.writeTx(() => stmt('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
    },

    async getLease(name) {
      const row = stmt('SELECT name, holder, expires_at FROM leases WHERE name = ?').get(name) as
        | { name: string; holder: string; expires_at: number }
        | undefined;
      return row ? ({ name: row.name, holder: row.holder, expiresAt: row.expires_at } satisfies Lease) : undefined;
    },
  };
}

/**
 * API token records over the `tokens` table. The whole record is the `record`
 * JSON (only `id` and `hash` are columns, for lookups), so fields added later —
 * an agent key's `agent` and `groups` — need no migration, and rows written
 * before them read back without them.
 */
export function tokenMethods(ctx: SqliteContext): Pick<Store, 'putToken' | 'findTokenByHash' | 'getToken' | 'listTokens' | 'revokeToken' | 'deleteTokens'> {
  const { stmt } = ctx;
  return {
    async putToken(t, o = {}) {
      ctx.writeTx(() => {
        stmt('INSERT INTO tokens (id, hash, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, record = excluded.record').run(
          t.id,
          t.hash,
          JSON.stringify(t),
        );
        if (o.audit) insertAudit(ctx, o.audit);
      });
    },

    async findTokenByHash(hash) {
      const row = stmt('SELECT record FROM tokens WHERE hash = ?').get(hash) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as TokenRecord) : undefined;
    },

    async getToken(id) {
      const row = stmt('SELECT record FROM tokens WHERE id = ?').get(id) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as TokenRecord) : undefined;
    },

    async listTokens() {
      const rows = stmt('SELECT record FROM tokens ORDER BY id').all() as unknown as { record: string }[];
      return rows.map((r) => JSON.parse(r.record) as TokenRecord);
    },

    async revokeToken(id, at, o = {}) {
      return ctx.writeTx(() => {
        const row = stmt('SELECT record FROM tokens WHERE id = ?').get(id) as { record: string } | undefined;
        if (!row) return false;
        const rec = JSON.parse(row.record) as TokenRecord;
        if (rec.revokedAt === undefined) {
          rec.revokedAt = at;
          stmt('UPDATE tokens SET record = ? WHERE id = ?').run(JSON.stringify(rec), id);
        }
        if (o.audit) insertAudit(ctx, o.audit);
        return true;
      });
    },

    async deleteTokens(ids, o = {}) {
      return ctx.writeTx(() => {
        let removed = 0;
        for (const id of ids) removed += Number(stmt('DELETE FROM tokens WHERE id = ?').run(id).changes);
        if (o.audit && removed > 0) insertAudit(ctx, o.audit);
        return removed;
      });
    },
  };
}
