/**
 * The SQLite adapter's change log: reading it (changesSince, currentVersion,
 * waitForChange, which polls the counter to notice other processes' writes),
 * trimming it (compact) and checking it against the objects (checkIntegrity).
 */
import type { Resource } from '../../manifest/resource.ts';
import { waitForStoreChange } from '../change-waiter.ts';
import { changesLimit, goneMessage } from '../store-semantics.ts';
import { GoneError } from '../../client/errors.ts';
import type { WatchEvent } from '../../client/wire.ts';
import type { Store } from '../store.ts';
import type { SqliteContext } from './connection.ts';

/** The Store methods over the `changes` table. */
export function changeLogMethods(
  ctx: SqliteContext,
  pollIntervalMs: number,
): Pick<Store, 'changesSince' | 'currentVersion' | 'waitForChange' | 'compact' | 'checkIntegrity'> {
  const { db, stmt, counter, log } = ctx;
  return {
    async changesSince(since, o = {}) {
      const limit = changesLimit(o.limit);
      return ctx.readTx(() => {
        const compacted = ctx.compactedRv();
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
      ctx.assertOpen();
      return counter();
    },

    waitForChange(since, timeoutMs, signal) {
      return waitForStoreChange({
        timeoutMs,
        signal,
        pollIntervalMs,
        wakeups: ctx.wakeups,
        // A write made in this process is committed, hence readable, when it wakes us.
        wakeupEnds: true,
        ready: () => ctx.isClosed() || counter() > since,
        onError: (err) => log?.warn({ err }, 'polling the registry database for changes failed; retrying'),
      });
    },

    async compact(keep) {
      const dropped = ctx.writeTx(() => {
        const rv = counter();
        const threshold = Math.max(0, rv - Math.max(0, keep));
        const compacted = ctx.compactedRv();
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
      ctx.assertOpen();
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
  };
}
