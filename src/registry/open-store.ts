/**
 * The one place a store URL becomes a Store adapter: `mongodb://…` and
 * `mongodb+srv://…` open the MongoDB / DocumentDB adapter, `sqlite:PATH` and
 * plain paths the SQLite one (see store-location.ts for the forms).
 *
 * @example
 * const store = await openStore('mongodb://berth:…@docdb.example.com:27017/berth?tls=true&replicaSet=rs0&retryWrites=false', { cwd, logger, tlsCAFile: 'global-bundle.pem' });
 * const local = await openStore('sqlite:.berth/registry.db', { cwd, logger });
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { openMongoStore } from './mongo-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { describeError } from '../kit/errors.ts';
import { InvalidStoreUrlError, parseStoreUrl, StoreUnreachableError, type StoreLocation } from './store-location.ts';
import type { Store } from './store.ts';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Folder relative SQLite paths resolve against. Default: the process's. */
  cwd?: string;
  logger?: Logger;
  /** CA bundle for a MongoDB / DocumentDB server's certificate (turns TLS on). Not for SQLite. */
  tlsCAFile?: string;
  /** How long opening a MongoDB store waits for a server; see `MongoStoreOptions.connectTimeoutMs`. */
  connectTimeoutMs?: number;
}

/**
 * Opens the store `url` (or an already parsed location) names, and makes sure it
 * answers: a MongoDB server is pinged; a SQLite file is created (with its folder,
 * mode 0700) and migrated.
 * @throws InvalidStoreUrlError for a URL that is not an accepted form, or that the driver refuses
 * @throws StoreUnreachableError when the store cannot be reached or opened
 */
export async function openStore(url: string | StoreLocation, opts: OpenStoreOptions = {}): Promise<Store> {
  const location = typeof url === 'string' ? parseStoreUrl(url, opts.cwd ?? process.cwd()) : url;
  if (location.adapter === 'mongodb') {
    return openMongoStore({
      uri: location.uri,
      database: location.database,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.tlsCAFile !== undefined ? { tlsCAFile: opts.tlsCAFile } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    });
  }
  if (opts.tlsCAFile !== undefined) throw new InvalidStoreUrlError(`a CA file applies to a MongoDB / DocumentDB store, not to ${location.display}`);
  if (location.path !== ':memory:') {
    await mkdir(dirname(location.path), { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw new StoreUnreachableError(location, `cannot create the folder of the SQLite store ${location.display}: ${describeError(err)}`, { cause: err });
    });
  }
  return openSqliteStore({ path: location.path, ...(opts.logger ? { logger: opts.logger } : {}) });
}
