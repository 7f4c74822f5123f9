/**
 * The production Store adapter: MongoDB through the `mongodb` driver, written to run
 * unchanged on Amazon DocumentDB 5. Hence: no multi-document transactions (audit
 * records commit with their writes by the pending-first scheme in `mongo/audited.ts`), no change
 * streams, no partial indexes, no collation, no `$where` or server-side JS, and
 * `retryWrites=false` (DocumentDB does not support retryable writes).
 *
 * The pieces live in `mongo/`: documents, collections and indexes (`schema.ts`),
 * object reads and writes (`objects.ts`), the change log as readers see it and
 * its repair (`change-log.ts`), audit, leases and tokens (`records.ts`), approvals
 * (`approvals.ts`) and call records (`call-records.ts`). This file connects and
 * puts them together.
 *
 * ## How a write stays atomic without transactions
 * An object write touches two documents (the object and its change record). Each
 * write goes:
 *   1. read the object document D (it may be absent, or a deletion tombstone);
 *   2. reserve version R: `$inc` on the single `counters.rv` document;
 *   3. insert change R with state `pending` (type, kind, name, prevRv = D's version,
 *      the object after the change). A duplicate `_id` means a reader declared R
 *      abandoned (see gaps below): take a new version;
 *   4. compare-and-set the object: update D only if it still has version prevRv and
 *      no reader has fenced R (`fences` does not contain R); insert when there was no
 *      D (the unique {kind,name} index arbitrates). Deletes leave a tombstone
 *      (`deleted: true`) so a later write still has a version to compare against;
 *   5. mark change R `committed` (or `abandoned` if step 4 did not apply).
 * Readers (`changesSince`, `waitForChange`, `currentVersion`, list versions) hand
 * out only committed records, in version order, and stop at the first version that
 * is not settled: a missing record (gap) or a pending one. So an event can never
 * appear behind a reader's position, and a crash between steps can't reorder events.
 *
 * A crash leaves an unsettled version that would stop readers for ever, so a reader
 * that has seen the same unsettled version for `repairAfterMs` settles it:
 * - a gap (crash between 2 and 3): insert an `abandoned` record for R. The unique
 *   `_id` makes this race-free against a slow writer, whose step 3 then fails.
 * - a pending record (crash between 3 and 5): if the object carries R, or a later
 *   change names R as its prevRv (someone read the object at R), the object write
 *   happened: mark committed. Otherwise fence it: add R to the object's `fences`
 *   while it still has version prevRv (or insert a fencing tombstone when there was
 *   no document). Once the fence holds, the writer's step 4 can never succeed and
 *   R is marked abandoned. If the fence does not apply, the object moved on without
 *   R, so R can't succeed either: abandoned. (The decision is `decidePending`.)
 */
import { EventEmitter } from 'node:events';
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';
import { describeError } from '../kit/errors.ts';
import { changeLogMethods, createChangeLog } from './mongo/change-log.ts';
import { objectMethods } from './mongo/objects.ts';
import { auditMethods, leaseMethods, tokenMethods } from './mongo/records.ts';
import { approvalMethods } from './mongo/approvals.ts';
import { callRecordMethods } from './mongo/call-records.ts';
import { collectionsOf, ensureIndexes, type MongoContext } from './mongo/schema.ts';
import type { Store } from './store.ts';
import { InvalidStoreUrlError, redactStoreUrl, scrubSecrets, StoreUnreachableError } from './store-location.ts';
import { classifyMongoError, mapStoreErrors } from './store-unavailable.ts';

export { labelFilter } from './mongo/schema.ts';

/** Options of {@link openMongoStore}. */
export interface MongoStoreOptions {
  /** Connection string; its options go to the driver, except `retryWrites`, which is forced off. */
  uri: string;
  database: string;
  logger?: Logger;
  /** CA bundle for the server's certificate (Amazon DocumentDB's `global-bundle.pem`); turns TLS on. */
  tlsCAFile?: string;
  /**
   * How long opening waits for the first answer (connect and `ping`) before it
   * reports the store unreachable. Later operations keep the driver's own
   * timeouts (or the URI's), so a DocumentDB failover is waited out instead of
   * failing requests. Default {@link DEFAULT_CONNECT_TIMEOUT_MS}.
   */
  connectTimeoutMs?: number;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  /** How often waiters poll the change log. Default 50 ms. */
  pollIntervalMs?: number;
  /** How long a reader waits on an unsettled version before repairing it. Default 5,000 ms. */
  repairAfterMs?: number;
}

/** Client options that keep the driver within what DocumentDB 5 supports. */
export const DOCUMENTDB_SAFE_CLIENT_OPTIONS = { retryWrites: false } as const;

/** How long opening waits for a server before it reports the store unreachable. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/** The driver options: the CA file, and the DocumentDB-safe options, which always win. */
function clientOptions(opts: MongoStoreOptions): MongoClientOptions {
  return {
    ...(opts.tlsCAFile !== undefined ? { tls: true, tlsCAFile: opts.tlsCAFile } : {}),
    ...DOCUMENTDB_SAFE_CLIENT_OPTIONS,
  };
}

/** Connects and pings within `timeoutMs`; rejects with the driver's error or a timeout naming the wait. */
async function firstAnswer(client: MongoClient, db: Db, timeoutMs: number): Promise<void> {
  // The driver keeps retrying until its own (long) selection timeout; remember why it fails meanwhile.
  let lastFailure: unknown;
  const onFailure = (event: { failure: unknown }): void => void (lastFailure = event.failure);
  client.on('serverHeartbeatFailed', onFailure);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`, lastFailure === undefined ? undefined : { cause: lastFailure })), timeoutMs);
  });
  const answered = (async () => {
    await client.connect();
    await db.command({ ping: 1 });
  })();
  try {
    await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
    client.off('serverHeartbeatFailed', onFailure);
    answered.catch(() => undefined); // when the deadline won, it settles after the caller closes the client
  }
}

/**
 * Connects, checks the server answers (a `ping`), creates indexes, and returns a
 * Store on `database`.
 * @throws InvalidStoreUrlError when the driver refuses the URI or its options
 * @throws StoreUnreachableError when no server answered within the timeout, or it
 *   refused the credentials or the TLS handshake (messages never hold the password)
 * @example const store = await openMongoStore({ uri: 'mongodb://db:27017', database: 'berth', logger });
 */
export async function openMongoStore(opts: MongoStoreOptions): Promise<Store> {
  const location = { adapter: 'mongodb', display: redactStoreUrl(opts.uri) } as const;
  const explain = (err: unknown): string => scrubSecrets(describeError(err), opts.uri);
  let client: MongoClient;
  try {
    client = new MongoClient(opts.uri, clientOptions(opts));
  } catch (err) {
    // No cause: the driver's error would carry the URI it refused.
    throw new InvalidStoreUrlError(`${location.display}: ${explain(err)}`);
  }
  const db = client.db(opts.database);
  try {
    await firstAnswer(client, db, opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new StoreUnreachableError(location, `cannot reach the MongoDB store ${location.display}: ${explain(err)}`, { cause: err });
  }
  const c = collectionsOf(db);
  try {
    await ensureIndexes(c);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new Error(`preparing MongoDB database ${opts.database} at ${location.display}: creating indexes failed: ${explain(err)}`, { cause: err });
  }

  const wakeups = new EventEmitter();
  wakeups.setMaxListeners(0);
  let closed = false;
  const ctx: MongoContext = { c, clock: opts.clock ?? Date.now, log: opts.logger, wakeups, isClosed: () => closed };
  const changeLog = createChangeLog(ctx, opts.repairAfterMs ?? 5_000);
  // Database-level failures (no writable primary, out of disk, network) become StoreUnavailableError (503).
  return mapStoreErrors({
    ...objectMethods(ctx, changeLog),
    ...changeLogMethods(ctx, changeLog, opts.pollIntervalMs ?? 50),
    ...auditMethods(ctx),
    ...leaseMethods(ctx),
    ...tokenMethods(ctx),
    ...approvalMethods(ctx),
    ...callRecordMethods(ctx),
    async probeWrite() {
      await c.counters.updateOne({ _id: 'write_probe' }, { $set: { value: ctx.clock() } }, { upsert: true });
    },
    async close() {
      if (closed) return;
      closed = true;
      wakeups.emit('change');
      await client.close();
    },
  }, (err) => classifyMongoError(err, location.display));
}
