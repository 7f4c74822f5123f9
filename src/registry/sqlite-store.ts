/**
 * The embedded Store adapter: one SQLite file through `node:sqlite`.
 *
 * Every write is one `BEGIN IMMEDIATE` transaction that takes the next value of
 * the counter in `meta`, writes the object row and appends the change row, so a
 * change event exists exactly when its object state does. Several processes may
 * open the same file: SQLite's write lock serialises them (busy_timeout waits),
 * and waiters poll the counter to notice other processes' writes.
 *
 * The pieces live in `sqlite/`: schema and migrations (`schema.ts`), the shared
 * connection with its statement cache and transactions (`connection.ts`),
 * object reads and writes (`objects.ts`), the change log (`change-log.ts`), and
 * audit, leases and tokens (`records.ts`), approvals (`approvals.ts`) and the
 * gateway's call records (`call-records.ts`). This file opens the database and puts
 * them together.
 */
import { EventEmitter } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { describeError } from '../kit/errors.ts';
import { changeLogMethods } from './sqlite/change-log.ts';
import { sqliteContext } from './sqlite/connection.ts';
import { objectMethods } from './sqlite/objects.ts';
import { auditMethods, leaseMethods, tokenMethods } from './sqlite/records.ts';
import { approvalMethods } from './sqlite/approvals.ts';
import { callRecordMethods } from './sqlite/call-records.ts';
import { migrate } from './sqlite/schema.ts';
import { StoreUnreachableError } from './store-location.ts';
import { classifySqliteError, mapStoreErrors } from './store-unavailable.ts';
import type { Store } from './store.ts';

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

/** Opens the file with Berth's settings. */
function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: 10_000, enableForeignKeyConstraints: true });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL already survives a killed process (kill -9),
    // but may lose the last acknowledged commits on power loss or an OS crash. The
    // registry promises never to lose an applied manifest, and a write costs one
    // WAL fsync at FULL, which is cheap next to an HTTP round trip.
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA busy_timeout = 10000');
    db.exec('PRAGMA foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens (creating and migrating when needed) a SQLite store at `path`.
 * @throws StoreUnreachableError when the file cannot be opened (missing folder, no permission)
 * @example const store = await openSqliteStore({ path: 'state/registry.db', logger });
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const log = opts.logger;
  let db: DatabaseSync;
  try {
    db = openDatabase(opts.path);
  } catch (err) {
    const location = { adapter: 'sqlite', display: `sqlite:${opts.path}` } as const;
    throw new StoreUnreachableError(location, `cannot open the SQLite store ${location.display}: ${describeError(err)}`, { cause: err });
  }
  try {
    migrate(db, log);
  } catch (err) {
    db.close();
    throw new Error(`opening the registry database ${opts.path}`, { cause: err });
  }

  const wakeups = new EventEmitter();
  wakeups.setMaxListeners(0);
  let closed = false;
  const ctx = sqliteContext({ db, clock: opts.clock ?? Date.now, log, wakeups, isClosed: () => closed });
  // Database-level failures (disk full, read-only, I/O) become StoreUnavailableError (503).
  return mapStoreErrors({
    ...objectMethods(ctx),
    ...changeLogMethods(ctx, opts.pollIntervalMs ?? 50),
    ...auditMethods(ctx),
    ...leaseMethods(ctx),
    ...tokenMethods(ctx),
    ...approvalMethods(ctx),
    ...callRecordMethods(ctx),
    async probeWrite() {
      ctx.writeTx(() => ctx.stmt(`INSERT INTO meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(ctx.clock()));
    },
    async close() {
      if (closed) return;
      closed = true;
      wakeups.emit('change');
      db.close();
    },
  }, (err) => classifySqliteError(err, opts.path));
}
