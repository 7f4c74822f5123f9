/**
 * The SQLite adapter's schema and its migrations. Migrations run in order, one
 * transaction each; `PRAGMA user_version` records how far a database got, so
 * several processes opening one file migrate it once.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from 'pino';

/** The schema version this build writes. */
export const SCHEMA_VERSION = 2;

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
  // 2: approvals (one row per request; `call_key` finds the open one for a call) and call records.
  `
  CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    call_key TEXT NOT NULL,
    agent TEXT NOT NULL,
    server TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    expires_ms INTEGER,
    record TEXT NOT NULL
  );
  CREATE INDEX approvals_call ON approvals (call_key, status);
  CREATE UNIQUE INDEX approvals_one_pending ON approvals (call_key) WHERE status = 'pending';
  CREATE INDEX approvals_by_status ON approvals (status, requested_at);
  CREATE INDEX approvals_by_agent ON approvals (agent, requested_at);
  CREATE INDEX approvals_by_server ON approvals (server, requested_at);
  CREATE INDEX approvals_by_time ON approvals (requested_at);
  CREATE TABLE call_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    agent TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT,
    decision TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX call_records_by_time ON call_records (time);
  CREATE INDEX call_records_by_agent ON call_records (agent, time);
  CREATE INDEX call_records_by_server ON call_records (server, tool, time);
  CREATE INDEX call_records_by_tool ON call_records (tool, time);
  CREATE INDEX call_records_by_decision ON call_records (decision, time);
  `,
];

/** Brings the database up to {@link SCHEMA_VERSION}; refuses a newer one. */
export function migrate(db: DatabaseSync, log: Logger | undefined): void {
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
