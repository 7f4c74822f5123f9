/**
 * What every part of the SQLite adapter shares: the open database with a bounded
 * cache of prepared statements, the two kinds of transaction, the global counter,
 * the clock, and this process's waiters.
 */
import type { EventEmitter } from 'node:events';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';

/** The shared state of one open SQLite store. */
export interface SqliteContext {
  db: DatabaseSync;
  /** Epoch milliseconds. */
  clock: () => number;
  log: Logger | undefined;
  /** Emits `change` after a committed write, to wake this process's waiters at once. */
  wakeups: EventEmitter;
  isClosed(): boolean;
  /** A cached prepared statement for `sql`. */
  stmt(sql: string): StatementSync;
  /** Runs `fn` in one immediate (write-locked) transaction; rolls back on any error. */
  writeTx<T>(fn: () => T): T;
  /** Runs `fn` in one read transaction so everything it reads is one snapshot. */
  readTx<T>(fn: () => T): T;
  /** The global resource version counter. */
  counter(): number;
  /** The version up to which change history was dropped. */
  compactedRv(): number;
  /** Throws when the store was closed. */
  assertOpen(): void;
}

/** Builds the context over an open, migrated database. */
export function sqliteContext(opts: { db: DatabaseSync; clock: () => number; log: Logger | undefined; wakeups: EventEmitter; isClosed: () => boolean }): SqliteContext {
  const { db, isClosed } = opts;
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
  const assertOpen = (): void => {
    if (isClosed()) throw new Error('the registry store is closed');
  };
  return {
    ...opts,
    stmt,
    assertOpen,
    writeTx(fn) {
      assertOpen();
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        db.exec('COMMIT');
        return out;
      } catch (err) {
        // SQLite rolls back by itself on some failures (SQLITE_FULL or an I/O error at
        // COMMIT); a ROLLBACK then fails with "no transaction is active" and would hide
        // the real cause. Roll back only what is still open, and always throw `err`.
        if (db.isTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch (rollbackErr) {
            opts.log?.error({ err: rollbackErr }, 'rollback failed after a failed write');
          }
        }
        throw err;
      }
    },
    readTx(fn) {
      assertOpen();
      db.exec('BEGIN');
      try {
        return fn();
      } finally {
        db.exec('COMMIT');
      }
    },
    counter: () => (stmt(`SELECT value FROM meta WHERE key = 'rv'`).get() as { value: number }).value,
    compactedRv: () => (stmt(`SELECT value FROM meta WHERE key = 'compacted_rv'`).get() as { value: number }).value,
  };
}
