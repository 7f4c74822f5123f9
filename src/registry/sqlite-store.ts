/**
 * The embedded Store adapter: one SQLite file through `node:sqlite`.
 *
 * Every write is one `BEGIN IMMEDIATE` transaction that takes the next value of
 * the counter in `meta`, writes the object row and appends the change row, so a
 * change event exists exactly when its object state does. Several processes may
 * open the same file: SQLite's write lock serialises them (busy_timeout waits),
 * and waiters poll the counter to notice other processes' writes.
 */
import { EventEmitter } from 'node:events';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { API_VERSION, type Kind, type Resource } from '../manifest/resource.ts';
import {
  AlreadyExistsError,
  GoneError,
  NotFoundError,
  type AuditEntry,
  type AuditQuery,
  type Lease,
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

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; created (with its folder's existing permissions) when absent. `:memory:` for throwaway stores. */
  path: string;
  logger?: Logger;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  /** How often waiters poll for writes made by other processes. Default 50 ms. */
  pollIntervalMs?: number;
}

const SCHEMA_VERSION = 1;

// Migrations run in order inside one transaction each; user_version records how far we got.
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO meta (key, value) VALUES ('rv', 0), ('compacted_rv', 0);
  CREATE TABLE objects (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT NOT NULL,
    generation INTEGER NOT NULL,
    resource_version INTEGER NOT NULL,
    owner_team TEXT,
    lifecycle TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    deletion_timestamp TEXT,
    metadata TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT,
    PRIMARY KEY (kind, name)
  ) WITHOUT ROWID;
  CREATE INDEX objects_owner_team ON objects (kind, owner_team, name);
  CREATE INDEX objects_lifecycle ON objects (kind, lifecycle, name);
  CREATE TABLE changes (
    rv INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
    object TEXT NOT NULL
  );
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT,
    name TEXT,
    entry TEXT NOT NULL
  );
  CREATE INDEX audit_actor ON audit (actor, id);
  CREATE INDEX audit_object ON audit (kind, name, id);
  CREATE INDEX audit_time ON audit (time);
  CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, record TEXT NOT NULL);
  `,
];

interface ObjectRow {
  metadata: string;
  spec: string;
  status: string | null;
  kind: string;
}

/** The SQL condition (and its parameters) selecting objects whose labels JSON matches a requirement. */
function labelCondition(r: LabelRequirement): { sql: string; params: string[] } {
  // Keys are restricted by the selector parser to characters that are safe inside a quoted JSON path.
  const path = `$."${r.key}"`;
  switch (r.op) {
    case 'eq':
      return { sql: 'json_extract(labels, ?) = ?', params: [path, r.value] };
    case 'neq':
      return { sql: '(json_type(labels, ?) IS NULL OR json_extract(labels, ?) <> ?)', params: [path, path, r.value] };
    case 'in':
      return { sql: `json_extract(labels, ?) IN (${r.values.map(() => '?').join(',')})`, params: [path, ...r.values] };
    case 'notin':
      return {
        sql: `(json_type(labels, ?) IS NULL OR json_extract(labels, ?) NOT IN (${r.values.map(() => '?').join(',')}))`,
        params: [path, path, ...r.values],
      };
    case 'exists':
      return { sql: 'json_type(labels, ?) IS NOT NULL', params: [path] };
    case 'absent':
      return { sql: 'json_type(labels, ?) IS NULL', params: [path] };
  }
}

/**
 * Opens (creating and migrating when needed) a SQLite store at `path`.
 * @example const store = await openSqliteStore({ path: 'state/registry.db', logger });
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const clock = opts.clock ?? Date.now;
  const log = opts.logger;
  const pollIntervalMs = opts.pollIntervalMs ?? 50;
  const db = new DatabaseSync(opts.path, { timeout: 10_000, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL already survives a killed process (kill -9),
    // but may lose the last acknowledged commits on power loss or an OS crash. The
    // registry promises never to lose an applied manifest, and a write costs one
    // WAL fsync at FULL, which is cheap next to an HTTP round trip.
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA busy_timeout = 10000');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, log);
  } catch (err) {
    db.close();
    throw new Error(`opening the registry database ${opts.path}`, { cause: err });
  }

  const wakeups = new EventEmitter();
  wakeups.setMaxListeners(0);
  let closed = false;
  const statements = new Map<string, StatementSync>();
  const stmt = (sql: string): StatementSync => {
    let s = statements.get(sql);
    if (!s) {
      // List SQL varies with the selector's shape; keep the cache bounded.
      if (statements.size > 256) statements.clear();
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  const nowIso = (): string => new Date(clock()).toISOString();
  const counter = (): number => (stmt(`SELECT value FROM meta WHERE key = 'rv'`).get() as { value: number }).value;

  /** Runs `fn` in one immediate (write-locked) transaction; rolls back on any error. */
  function writeTx<T>(fn: () => T): T {
    if (closed) throw new Error('the registry store is closed');
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Runs `fn` in one read transaction so everything it reads is one snapshot. */
  function readTx<T>(fn: () => T): T {
    if (closed) throw new Error('the registry store is closed');
    db.exec('BEGIN');
    try {
      return fn();
    } finally {
      db.exec('COMMIT');
    }
  }

  const rowToResource = (row: ObjectRow): Resource => {
    const obj: Resource = {
      apiVersion: API_VERSION,
      kind: row.kind as Kind,
      metadata: JSON.parse(row.metadata) as Resource['metadata'],
      spec: JSON.parse(row.spec) as unknown,
    };
    if (row.status !== null) obj.status = JSON.parse(row.status) as unknown;
    return obj;
  };

  const readObject = (kind: Kind, name: string): Resource | undefined => {
    const row = stmt('SELECT kind, metadata, spec, status FROM objects WHERE kind = ? AND name = ?').get(kind, name) as
      | ObjectRow
      | undefined;
    return row ? rowToResource(row) : undefined;
  };

  /** Takes the next version and records the event; the caller writes the object in the same transaction. */
  const nextVersion = (): number => {
    const rv = counter() + 1;
    stmt(`UPDATE meta SET value = ? WHERE key = 'rv'`).run(rv);
    return rv;
  };
  const appendChange = (type: WatchEvent['type'], obj: Resource, rv: number): void => {
    stmt('INSERT INTO changes (rv, kind, name, type, object) VALUES (?, ?, ?, ?, ?)').run(
      rv,
      obj.kind,
      obj.metadata.name,
      type,
      JSON.stringify(obj),
    );
  };
  const upsertObject = (obj: Resource, rv: number): void => {
    const { ownerTeam, lifecycle } = indexedFields(obj);
    stmt(
      `INSERT INTO objects (kind, name, uid, generation, resource_version, owner_team, lifecycle, labels, deletion_timestamp, metadata, spec, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, name) DO UPDATE SET uid = excluded.uid, generation = excluded.generation,
         resource_version = excluded.resource_version, owner_team = excluded.owner_team, lifecycle = excluded.lifecycle,
         labels = excluded.labels, deletion_timestamp = excluded.deletion_timestamp, metadata = excluded.metadata,
         spec = excluded.spec, status = excluded.status`,
    ).run(
      obj.kind,
      obj.metadata.name,
      obj.metadata.uid ?? '',
      obj.metadata.generation ?? 1,
      rv,
      ownerTeam,
      lifecycle,
      JSON.stringify(obj.metadata.labels ?? {}),
      obj.metadata.deletionTimestamp ?? null,
      JSON.stringify(obj.metadata),
      JSON.stringify(obj.spec ?? null),
      obj.status === undefined ? null : JSON.stringify(obj.status),
    );
  };

  /** Carries out a modify/remove plan inside the current transaction; returns the stored (or removed) object. */
  const applyPlan = (plan: UpdatePlan): Resource => {
    if (plan.action === 'unchanged') return plan.object;
    const rv = nextVersion();
    const obj = stampVersion(plan.object, rv);
    if (plan.action === 'remove') {
      stmt('DELETE FROM objects WHERE kind = ? AND name = ?').run(obj.kind, obj.metadata.name);
      appendChange('DELETED', obj, rv);
    } else {
      upsertObject(obj, rv);
      appendChange('MODIFIED', obj, rv);
    }
    return obj;
  };

  const wake = (): void => {
    wakeups.emit('change');
  };

  const mustGet = (kind: Kind, name: string): Resource => {
    const stored = readObject(kind, name);
    if (!stored) throw new NotFoundError(notFoundMessage(kind, name));
    return stored;
  };

  const store: Store = {
    async create(obj, o) {
      if (o?.dryRun) {
        const planned = planCreate(obj, undefined, nowIso());
        if (readObject(planned.kind, planned.metadata.name)) throw new AlreadyExistsError(alreadyExistsMessage(planned.kind, planned.metadata.name));
        return planned;
      }
      const created = writeTx(() => {
        const probe = planCreate(obj, undefined, nowIso());
        if (readObject(probe.kind, probe.metadata.name)) throw new AlreadyExistsError(alreadyExistsMessage(probe.kind, probe.metadata.name));
        const rv = nextVersion();
        const stored = planCreate(obj, rv, nowIso());
        upsertObject(stored, rv);
        appendChange('ADDED', stored, rv);
        return stored;
      });
      wake();
      return jsonClone(created);
    },

    async get(kind, name) {
      if (closed) throw new Error('the registry store is closed');
      return readObject(kind, name);
    },

    async list(kind, o = {}) {
      const limit = pageSize(o.limit);
      const requirements = parseLabelSelector(o.labelSelector);
      const position = o.continue ? decodeContinue(o.continue) : undefined;
      const where: string[] = ['kind = ?'];
      const params: (string | number)[] = [kind];
      if (position) {
        where.push('name > ?');
        params.push(position.lastName);
      }
      if (o.ownerTeam !== undefined) {
        where.push('owner_team = ?');
        params.push(o.ownerTeam);
      }
      if (o.lifecycle !== undefined) {
        where.push('lifecycle = ?');
        params.push(o.lifecycle);
      }
      for (const r of requirements) {
        const c = labelCondition(r);
        where.push(c.sql);
        params.push(...c.params);
      }
      // Without statistics the planner walks the primary key for ORDER BY name and scans every
      // row; the filter indexes already hold (kind, filter, name) in order, so name them.
      const index =
        o.ownerTeam !== undefined ? 'INDEXED BY objects_owner_team' : o.lifecycle !== undefined ? 'INDEXED BY objects_lifecycle' : '';
      const sql = `SELECT kind, metadata, spec, status FROM objects ${index} WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`;
      const { rows, rv } = readTx(() => ({
        rv: counter(),
        rows: stmt(sql).all(...params, limit + 1) as unknown as ObjectRow[],
      }));
      const more = rows.length > limit;
      const items = rows.slice(0, limit).map(rowToResource);
      // Later pages report the first page's version: a watcher starting there misses nothing
      // that happened while it paged (it may see some of those changes as events too).
      const resourceVersion = position ? position.resourceVersion : rv;
      const result: ListResult = { items, resourceVersion };
      const last = items.at(-1);
      if (more && last) result.continue = encodeContinue({ lastName: last.metadata.name, resourceVersion });
      return result;
    },

    async update(obj, o = {}) {
      if (o.dryRun) {
        const stored = mustGet(obj.kind, obj.metadata?.name);
        checkExpectedVersion(stored, o.expectedResourceVersion);
        return planUpdate(stored, obj).object;
      }
      const { result, changed } = writeTx(() => {
        const stored = mustGet(obj.kind, obj.metadata?.name);
        checkExpectedVersion(stored, o.expectedResourceVersion);
        const plan = planUpdate(stored, obj);
        return { result: applyPlan(plan), changed: plan.action !== 'unchanged' };
      });
      if (changed) wake();
      return jsonClone(result);
    },

    async updateStatus(kind, name, status, o = {}) {
      const { result, changed } = writeTx(() => {
        const stored = mustGet(kind, name);
        checkExpectedVersion(stored, o.expectedResourceVersion);
        const plan = planStatus(stored, status);
        return { result: applyPlan(plan), changed: plan.action !== 'unchanged' };
      });
      if (changed) wake();
      return jsonClone(result);
    },

    async delete(kind, name, o = {}) {
      const { result, removed, changed } = writeTx(() => {
        const stored = mustGet(kind, name);
        checkExpectedVersion(stored, o.expectedResourceVersion);
        const plan = planDelete(stored, nowIso());
        return { result: applyPlan(plan), removed: plan.action === 'remove', changed: plan.action !== 'unchanged' };
      });
      if (changed) wake();
      return { removed, object: jsonClone(result) };
    },

    async changesSince(since, o = {}) {
      const limit = changesLimit(o.limit);
      return readTx(() => {
        const compacted = (stmt(`SELECT value FROM meta WHERE key = 'compacted_rv'`).get() as { value: number }).value;
        if (since < compacted) throw new GoneError(goneMessage(since, compacted));
        const rows = (
          o.kind === undefined
            ? stmt('SELECT rv, type, object FROM changes WHERE rv > ? ORDER BY rv LIMIT ?').all(since, limit)
            : stmt('SELECT rv, type, object FROM changes WHERE rv > ? AND kind = ? ORDER BY rv LIMIT ?').all(since, o.kind, limit)
        ) as unknown as { rv: number; type: WatchEvent['type']; object: string }[];
        return rows.map((r) => ({ type: r.type, object: JSON.parse(r.object) as Resource, resourceVersion: r.rv }));
      });
    },

    async currentVersion() {
      if (closed) throw new Error('the registry store is closed');
      return counter();
    },

    waitForChange(since, timeoutMs, signal) {
      return waitForStoreChange({
        timeoutMs,
        signal,
        pollIntervalMs,
        wakeups,
        // A write made in this process is committed, hence readable, when it wakes us.
        wakeupEnds: true,
        ready: () => closed || counter() > since,
        onError: (err) => log?.warn({ err }, 'polling the registry database for changes failed; retrying'),
      });
    },

    async appendAudit(entry) {
      const stored = writeTx(() => {
        const time = normaliseTime(entry.time, nowIso());
        const { id: _ignored, ...rest } = jsonClone(entry);
        const body = { ...rest, time };
        const res = stmt('INSERT INTO audit (time, actor, action, kind, name, entry) VALUES (?, ?, ?, ?, ?, ?)').run(
          time,
          entry.actor,
          entry.action,
          entry.kind ?? null,
          entry.name ?? null,
          JSON.stringify(body),
        );
        return { id: Number(res.lastInsertRowid), ...body };
      });
      return stored;
    },

    async queryAudit(q: AuditQuery = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (q.since !== undefined) {
        where.push('time >= ?');
        params.push(normaliseTime(q.since, ''));
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

    async acquireLease(name, holder, ttlMs, now = clock()) {
      return writeTx(() => {
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
      writeTx(() => stmt('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
    },

    async getLease(name) {
      const row = stmt('SELECT name, holder, expires_at FROM leases WHERE name = ?').get(name) as
        | { name: string; holder: string; expires_at: number }
        | undefined;
      return row ? ({ name: row.name, holder: row.holder, expiresAt: row.expires_at } satisfies Lease) : undefined;
    },

    async putToken(t) {
      writeTx(() =>
        stmt('INSERT INTO tokens (id, hash, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, record = excluded.record').run(
          t.id,
          t.hash,
          JSON.stringify(t),
        ),
      );
    },

    async findTokenByHash(hash) {
      const row = stmt('SELECT record FROM tokens WHERE hash = ?').get(hash) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as TokenRecord) : undefined;
    },

    async listTokens() {
      const rows = stmt('SELECT record FROM tokens ORDER BY id').all() as unknown as { record: string }[];
      return rows.map((r) => JSON.parse(r.record) as TokenRecord);
    },

    async revokeToken(id, at) {
      return writeTx(() => {
        const row = stmt('SELECT record FROM tokens WHERE id = ?').get(id) as { record: string } | undefined;
        if (!row) return false;
        const rec = JSON.parse(row.record) as TokenRecord;
        if (rec.revokedAt === undefined) {
          rec.revokedAt = at;
          stmt('UPDATE tokens SET record = ? WHERE id = ?').run(JSON.stringify(rec), id);
        }
        return true;
      });
    },

    async compact(keep) {
      const dropped = writeTx(() => {
        const rv = counter();
        const threshold = Math.max(0, rv - Math.max(0, keep));
        const compacted = (stmt(`SELECT value FROM meta WHERE key = 'compacted_rv'`).get() as { value: number }).value;
        if (threshold <= compacted) return 0;
        // Gone is decided from the counter range, not row counts: a watcher at version v has
        // missed nothing exactly when v >= the highest version dropped.
        const res = stmt('DELETE FROM changes WHERE rv <= ?').run(threshold);
        stmt(`UPDATE meta SET value = ? WHERE key = 'compacted_rv'`).run(threshold);
        return Number(res.changes);
      });
      log?.debug({ dropped, keep }, 'compacted registry change history');
    },

    async checkIntegrity() {
      if (closed) throw new Error('the registry store is closed');
      const problems: string[] = [];
      const rows = db.prepare('PRAGMA integrity_check').all() as unknown as { integrity_check: string }[];
      for (const r of rows) if (r.integrity_check !== 'ok') problems.push(r.integrity_check);
      const fk = db.prepare('PRAGMA foreign_key_check').all();
      if (fk.length > 0) problems.push(`${fk.length} foreign key violations`);
      // Our own invariant: no object is newer than the counter, and every object's version has its change event.
      const rv = counter();
      const ahead = stmt('SELECT count(*) AS n FROM objects WHERE resource_version > ?').get(rv) as { n: number };
      if (ahead.n > 0) problems.push(`${ahead.n} objects carry a resourceVersion above the global counter ${rv}`);
      const orphan = stmt(
        `SELECT count(*) AS n FROM objects o WHERE o.resource_version > (SELECT value FROM meta WHERE key = 'compacted_rv')
           AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.rv = o.resource_version AND c.kind = o.kind AND c.name = o.name)`,
      ).get() as { n: number };
      if (orphan.n > 0) problems.push(`${orphan.n} objects have no change event for their resourceVersion`);
      return problems;
    },

    async close() {
      if (closed) return;
      closed = true;
      wake();
      db.close();
    },
  };
  return store;
}

function migrate(db: DatabaseSync, log: Logger | undefined): void {
  const current = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the database schema is version ${current} but this build knows up to ${SCHEMA_VERSION}: upgrade Berth, or point it at another state directory.`,
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const now = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (now === v) {
        db.exec(MIGRATIONS[v]!);
        db.exec(`PRAGMA user_version = ${v + 1}`);
        log?.info({ schemaVersion: v + 1 }, 'migrated registry database schema');
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
