/**
 * Database-level failures as one typed error: the disk is full, the database is
 * read-only, an I/O error, the file can't be opened, no writable primary, the
 * network to the database is down. Each adapter classifies its driver's errors
 * here (`classifySqliteError`, `classifyMongoError`) and every Store method is
 * wrapped by {@link mapStoreErrors}, so the API answers 503 with a cause and a
 * remedy instead of a generic 500, and readiness can follow it (`store-health.ts`).
 */
import { RegistryError } from '../client/errors.ts';
import type { Store } from './store.ts';

/** Why the database refused. */
export type StoreFailureReason = 'disk-full' | 'read-only' | 'io-error' | 'cannot-open' | 'not-writable-primary' | 'unreachable';

/** Seconds a client should wait before retrying a request that hit an unavailable store. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * The database refused a request for a reason outside the request (503 on the
 * wire, with `Retry-After`). Nothing was written by the failed call. `detail`
 * names the cause and what the operator should do; it never holds a credential.
 */
export class StoreUnavailableError extends RegistryError {
  readonly reason: StoreFailureReason;
  constructor(reason: StoreFailureReason, detail: string, opts: { cause?: unknown } = {}) {
    super(503, {
      type: `store-${reason}`,
      title: 'Registry database unavailable',
      detail,
      headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.reason = reason;
  }
}

// SQLite primary result codes (https://sqlite.org/rescode.html); extended codes carry them in the low byte.
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

/**
 * The StoreUnavailableError a `node:sqlite` error stands for, or undefined when it
 * is not a database-level failure (constraint, syntax: the caller's or a bug).
 * @example classifySqliteError(err, '/var/lib/berth/registry.db')?.reason // 'disk-full'
 */
export function classifySqliteError(err: unknown, path: string): StoreUnavailableError | undefined {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'ERR_SQLITE_ERROR') return undefined;
  const errcode = (err as { errcode?: unknown }).errcode;
  if (typeof errcode !== 'number') return undefined;
  switch (errcode & 0xff) {
    case SQLITE_FULL:
      return new StoreUnavailableError('disk-full', `the registry's database is full: free space on the filesystem holding ${path} (or raise its quota); writes resume by themselves once space is free, nothing stored was lost`, { cause: err });
    case SQLITE_READONLY:
      // SQLite keeps a connection opened read-only so: writes come back only with a new connection.
      return new StoreUnavailableError('read-only', `the registry's database ${path} is read-only: make the file, its folder and its -wal/-shm files writable by the registry's user (or remount the filesystem read-write), then restart the registry`, { cause: err });
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
      return new StoreUnavailableError('io-error', `the registry's database ${path} hit an I/O error: check the disk and the filesystem (dmesg), then restart the registry if it does not recover`, { cause: err });
    case SQLITE_CANTOPEN:
      return new StoreUnavailableError('cannot-open', `the registry cannot open its database ${path} (or its journal): check the folder exists, is writable, and the process has file descriptors left`, { cause: err });
    default:
      return undefined;
  }
}

// MongoDB server error codes meaning "not writable here, now".
const MONGO_NOT_PRIMARY = new Set([10107, 13435, 13436, 189, 91, 11600, 11602]);
// OutOfDiskSpace, and the WiredTiger / DocumentDB storage-full answers.
const MONGO_DISK = new Set([14031]);

/**
 * The StoreUnavailableError a `mongodb` driver error stands for, or undefined.
 * `display` is the store location with its password already redacted.
 */
export function classifyMongoError(err: unknown, display: string): StoreUnavailableError | undefined {
  if (!(err instanceof Error)) return undefined;
  const name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number' && MONGO_DISK.has(code)) {
    return new StoreUnavailableError('disk-full', `the registry's database ${display} is out of disk space: free or add storage on the database server; writes resume by themselves afterwards`, { cause: err });
  }
  if ((typeof code === 'number' && MONGO_NOT_PRIMARY.has(code)) || name === 'MongoNotWritablePrimaryError') {
    return new StoreUnavailableError('not-writable-primary', `the registry's database ${display} has no writable primary (failover or maintenance): wait for an election, or check the replica set / cluster status`, { cause: err });
  }
  if (name === 'MongoNetworkError' || name === 'MongoNetworkTimeoutError' || name === 'MongoServerSelectionError' || name === 'MongoNotConnectedError' || name === 'MongoTopologyClosedError') {
    return new StoreUnavailableError('unreachable', `the registry cannot reach its database ${display}: check the database server and the network between them`, { cause: err });
  }
  return undefined;
}

/**
 * `store` with every method's database-level failures turned into
 * StoreUnavailableError by `classify`; other errors pass through unchanged.
 */
export function mapStoreErrors(store: Store, classify: (err: unknown) => StoreUnavailableError | undefined): Store {
  const mapped = {} as Record<string, unknown>;
  for (const [key, value] of Object.entries(store)) {
    if (typeof value !== 'function') {
      mapped[key] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => Promise<unknown>;
    mapped[key] = async (...args: unknown[]): Promise<unknown> => {
      try {
        return await fn.apply(store, args);
      } catch (err) {
        throw err instanceof StoreUnavailableError ? err : (classify(err) ?? err);
      }
    };
  }
  return mapped as unknown as Store;
}
