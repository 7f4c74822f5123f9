/**
 * Database-level failures are classified from real driver errors: SQLite made
 * full (`PRAGMA max_page_count`), read-only (a read-only open, `PRAGMA
 * query_only`), and the MongoDB driver's own error classes. Anything else
 * (constraints, bugs) stays what it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyMongoError, classifySqliteError, mapStoreErrors, StoreUnavailableError } from './store-unavailable.ts';
import { openSqliteStore } from './sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-store-unavailable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('classifySqliteError, on real SQLite errors', () => {
  it('a full database (PRAGMA max_page_count) is disk-full, naming the file and what to do', () => {
    const path = join(dir, 'full.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE t (x TEXT)');
    const pages = (db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages + 1}`);
    const err = thrown(() => {
      for (let i = 0; i < 100; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(4000));
    });
    db.close();
    const mapped = classifySqliteError(err, path);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped).toMatchObject({ status: 503, reason: 'disk-full', type: 'store-disk-full' });
    expect(mapped!.message).toContain(`free space on the filesystem holding ${path}`);
    expect(mapped!.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('a read-only open and PRAGMA query_only are read-only', () => {
    const path = join(dir, 'ro.db');
    const rw = new DatabaseSync(path);
    rw.exec('CREATE TABLE t (x)');
    rw.close();
    const ro = new DatabaseSync(path, { readOnly: true });
    expect(classifySqliteError(thrown(() => ro.exec('INSERT INTO t VALUES (1)')), path)).toMatchObject({ reason: 'read-only', type: 'store-read-only' });
    ro.close();
    const q = new DatabaseSync(path);
    q.exec('PRAGMA query_only = 1');
    const mapped = classifySqliteError(thrown(() => q.exec('INSERT INTO t VALUES (1)')), path);
    q.close();
    expect(mapped).toMatchObject({ reason: 'read-only' });
    expect(mapped!.message).toContain(`${path} is read-only`);
  });

  it('leaves constraint and syntax errors alone (they are the caller\'s or a bug, not the database\'s state)', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('CREATE TABLE t (x PRIMARY KEY)');
    db.exec('INSERT INTO t VALUES (1)');
    expect(classifySqliteError(thrown(() => db.exec('INSERT INTO t VALUES (1)')), ':memory:')).toBeUndefined();
    expect(classifySqliteError(thrown(() => db.exec('SELEC 1')), ':memory:')).toBeUndefined();
    expect(classifySqliteError(new Error('plain'), ':memory:')).toBeUndefined();
    db.close();
  });
});

describe('classifyMongoError, on the driver\'s error classes', () => {
  it('maps not-writable-primary, out-of-disk and network failures; leaves the rest alone', () => {
    expect(classifyMongoError(new MongoServerError({ code: 10107, errmsg: 'not primary' }), 'mongodb://db:27017')).toMatchObject({ reason: 'not-writable-primary' });
    expect(classifyMongoError(new MongoServerError({ code: 14031, errmsg: 'out of disk space' }), 'mongodb://db:27017')).toMatchObject({ reason: 'disk-full' });
    expect(classifyMongoError(new MongoNetworkError('connection reset'), 'mongodb://db:27017')).toMatchObject({ reason: 'unreachable' });
    const selection = new MongoServerSelectionError('no server', { type: 'Unknown', servers: new Map(), stale: false, compatible: true, heartbeatFrequencyMS: 1, localThresholdMS: 1, setName: null, maxElectionId: null, maxSetVersion: null, commonWireVersion: 0, logicalSessionTimeoutMinutes: null } as never);
    expect(classifyMongoError(selection, 'mongodb://db:27017')?.message).toContain('cannot reach its database mongodb://db:27017');
    expect(classifyMongoError(new MongoServerError({ code: 11000, errmsg: 'duplicate key' }), 'x')).toBeUndefined();
  });
});

describe('mapStoreErrors over a real SQLite store', () => {
  it('a read-only open store answers writes with StoreUnavailableError and keeps reads working', async () => {
    const path = join(dir, 'store.db');
    const store = await openSqliteStore({ path });
    await store.close();
    // Reopen the same file through a read-only connection behind the same classification.
    const db = new DatabaseSync(path, { readOnly: true });
    const readOnlyStore = mapStoreErrors(
      { write: async () => db.exec(`UPDATE meta SET value = value + 1 WHERE key = 'rv'`), read: async () => db.prepare(`SELECT value FROM meta WHERE key = 'rv'`).get() } as never,
      (err) => classifySqliteError(err, path),
    ) as unknown as { write(): Promise<void>; read(): Promise<unknown> };
    await expect(readOnlyStore.write()).rejects.toMatchObject({ status: 503, reason: 'read-only' });
    await expect(readOnlyStore.read()).resolves.toEqual({ value: 0 });
    db.close();
  });
});
