/**
 * Which store the registry of `berth up` / `berth registry` opens, from flags and
 * the environment, and what a person is told when it can't be opened.
 *
 * Store, first found wins: `--store URL`, `BERTH_STORE`, then SQLite at
 * `<state-dir>/registry.db` (`berth registry --db PATH` names another SQLite file;
 * it may not be combined with `--store`). `--store-ca FILE` is the CA bundle of a
 * TLS MongoDB / DocumentDB server; it is checked before anything starts.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { openStore } from '../registry/open-store.ts';
import { InvalidStoreUrlError, parseStoreUrl, StoreUnreachableError, type StoreLocation } from '../registry/store-location.ts';
import type { Store } from '../registry/store.ts';
import { CommandFailure, ExitCode, UsageError, type CommandIo } from './command.ts';

/** Flags of the commands that open a store. */
export const STORE_FLAGS = {
  store: { type: 'string' },
  'store-ca': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link STORE_FLAGS}. */
export const STORE_FLAGS_USAGE = `  --store URL       registry store (default: BERTH_STORE, else sqlite:<state-dir>/registry.db):
                    mongodb://… or mongodb+srv://… (MongoDB / Amazon DocumentDB; database from the
                    URI's path, default berth; URI options such as tls=true, replicaSet=rs0,
                    readPreference, retryWrites=false go to the driver), or sqlite:PATH / a file path
  --store-ca FILE   CA bundle for a TLS MongoDB / DocumentDB store (DocumentDB: global-bundle.pem)`;

/** The store a command will open. */
export interface StoreChoice {
  location: StoreLocation;
  /** Absolute path of the CA bundle, checked readable. */
  caFile?: string;
}

/**
 * Resolves the store from `--store`, `BERTH_STORE`, `--db` (SQLite file) and
 * `--store-ca`; `defaultPath` is the SQLite file used when none names one.
 * @throws UsageError for a bad URL, `--db` with `--store`, `--store-ca` for SQLite or an unreadable CA file
 */
export async function resolveStoreChoice(
  flags: { store?: string | undefined; 'store-ca'?: string | undefined; db?: string | undefined },
  io: Pick<CommandIo, 'env' | 'cwd'>,
  defaultPath: string,
): Promise<StoreChoice> {
  if (flags.db !== undefined && flags.store !== undefined) throw new UsageError('--db and --store both name the store; use one (--store sqlite:PATH is --db PATH)');
  const [url, from] =
    flags.store !== undefined ? [flags.store, '--store'] : flags.db !== undefined ? [`sqlite:${flags.db}`, '--db'] : io.env.BERTH_STORE ? [io.env.BERTH_STORE, 'BERTH_STORE'] : [`sqlite:${defaultPath}`, 'default'];
  let location: StoreLocation;
  try {
    location = parseStoreUrl(url, io.cwd);
  } catch (err) {
    if (err instanceof InvalidStoreUrlError) throw new UsageError(`${from}: ${err.message}`);
    throw err;
  }
  const ca = flags['store-ca'];
  if (ca === undefined) return { location };
  if (location.adapter !== 'mongodb') throw new UsageError(`--store-ca applies to a MongoDB / DocumentDB store (mongodb://…), not to ${location.display}`);
  const caFile = resolve(io.cwd, ca);
  try {
    await access(caFile, constants.R_OK);
    if (!(await stat(caFile)).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new UsageError(`--store-ca ${ca}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the CA bundle that signed the server's certificate (Amazon DocumentDB: global-bundle.pem)`);
  }
  return { location, caFile };
}

/** What to check when a store can't be reached, by adapter. */
const FIXES: Record<StoreLocation['adapter'], string> = {
  mongodb:
    'Is the MongoDB / DocumentDB server running and reachable from here (host, port, security groups)? Is the URI right (hosts, user, password, database)? ' +
    'For Amazon DocumentDB the URI needs tls=true&replicaSet=rs0&retryWrites=false and --store-ca with the cluster CA bundle (global-bundle.pem).',
  sqlite: 'Does the folder exist and may this user write it? Is the path a file (not a folder)?',
};

/**
 * Opens the chosen store.
 * @throws CommandFailure (exit 3) naming the store (password redacted) and the fix when it can't be reached
 * @throws UsageError when the driver refuses the URI's options
 */
export async function openChosenStore(choice: StoreChoice, opts: { cwd: string; logger: Logger }): Promise<Store> {
  try {
    return await openStore(choice.location, { cwd: opts.cwd, logger: opts.logger, ...(choice.caFile !== undefined ? { tlsCAFile: choice.caFile } : {}) });
  } catch (err) {
    if (err instanceof StoreUnreachableError) throw new CommandFailure(ExitCode.Unreachable, `${err.message}\n${FIXES[err.adapter]}`, { cause: err });
    if (err instanceof InvalidStoreUrlError) throw new UsageError(err.message);
    throw err;
  }
}
