/**
 * Where the registry's store lives, written as one URL, and the two errors of
 * opening it. Pure: parsing and redaction only; `open-store.ts` turns a location
 * into an adapter.
 *
 * Accepted forms:
 * - `mongodb://…` and `mongodb+srv://…`: MongoDB or Amazon DocumentDB. The
 *   database is the URI's path (`mongodb://h:27017/berth-prod`), `berth` when it
 *   has none; every URI option (`tls=true`, `replicaSet=rs0`, `readPreference`,
 *   `retryWrites=false`, …) goes to the driver as written.
 * - `sqlite:PATH` or a plain file path: one SQLite file (relative to the working
 *   folder), `:memory:` for a throwaway store.
 *
 * @example
 * parseStoreUrl('mongodb://berth:s3cret@db:27017/prod?tls=true', '/srv')
 * // { adapter: 'mongodb', uri: '…', database: 'prod', display: 'mongodb://berth:***@db:27017/prod?tls=true' }
 * parseStoreUrl('sqlite:state/registry.db', '/srv') // { adapter: 'sqlite', path: '/srv/state/registry.db', display: 'sqlite:/srv/state/registry.db' }
 */
import { isAbsolute, resolve } from 'node:path';

/** A parsed store URL. `display` is safe to print and log: any password in it is `***`. */
export type StoreLocation =
  | { adapter: 'sqlite'; path: string; display: string }
  | { adapter: 'mongodb'; uri: string; database: string; display: string };

/** The accepted forms, for messages. */
export const STORE_URL_FORMS = 'mongodb://… or mongodb+srv://… (MongoDB / Amazon DocumentDB), sqlite:PATH or a file path (SQLite)';

/** The database a MongoDB URI without a path uses. */
export const DEFAULT_MONGODB_DATABASE = 'berth';

/** A store URL that is not one of the accepted forms, or is malformed. Usage, not a runtime failure. */
export class InvalidStoreUrlError extends Error {
  override readonly name = 'InvalidStoreUrlError';
  readonly code = 'invalid_store_url';
}

/**
 * The store could not be opened: the server did not answer in time, refused the
 * credentials or the TLS handshake, or the SQLite file could not be opened.
 * `store` is the location with its password replaced by `***`; the message never
 * holds a credential.
 */
export class StoreUnreachableError extends Error {
  override readonly name = 'StoreUnreachableError';
  readonly code = 'store_unreachable';
  readonly store: string;
  readonly adapter: StoreLocation['adapter'];
  constructor(location: Pick<StoreLocation, 'adapter' | 'display'>, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.store = location.display;
    this.adapter = location.adapter;
  }
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
/** `scheme://userinfo@` of a URL; userinfo may hold `user:password`. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i;
/** Query options whose values are secrets (MONGODB-AWS session tokens, key-file passwords). */
const SECRET_OPTIONS = /([?&](?:authMechanismProperties|tlsCertificateKeyFilePassword|password)=)[^&#]*/gi;
/** Characters MongoDB does not allow in database names. */
const BAD_DATABASE_CHARS = /[/\\. "$\0]/;

/**
 * The URL with any password (`user:password@`) and secret option values replaced
 * by `***`. Safe on any text: what is not a URL comes back unchanged.
 * @example redactStoreUrl('mongodb://berth:s3cret@db/x') // 'mongodb://berth:***@db/x'
 */
export function redactStoreUrl(url: string): string {
  return url
    .replace(USERINFO, (_all, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
    })
    .replace(SECRET_OPTIONS, '$1***');
}

/**
 * The secrets a URL holds (its password, raw and decoded), so text produced from
 * it — a driver's error message — can be scrubbed with {@link scrubSecrets}.
 */
function secretsOf(url: string): string[] {
  const userinfo = USERINFO.exec(url)?.[2];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo === undefined || colon === -1) return [];
  const raw = userinfo.slice(colon + 1);
  if (raw === '') return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Not valid percent-encoding: the raw form is all there is.
  }
  return [...new Set([raw, decoded])];
}

/**
 * `text` with every secret of `url` replaced by `***` (a driver may quote the URI
 * or a password in its errors).
 * @example scrubSecrets('bad password s3cret', 'mongodb://u:s3cret@h') // 'bad password ***'
 */
export function scrubSecrets(text: string, url: string): string {
  let out = text;
  for (const secret of secretsOf(url)) out = out.split(secret).join('***');
  return redactStoreUrl(out);
}

/**
 * Parses a store URL (see the module comment); relative SQLite paths resolve
 * against `cwd`.
 * @throws InvalidStoreUrlError naming the accepted forms
 */
export function parseStoreUrl(text: string, cwd: string): StoreLocation {
  const url = text.trim();
  if (url === '') throw new InvalidStoreUrlError(`the store URL is empty; use ${STORE_URL_FORMS}`);
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') return parseMongoUrl(url);
  if (scheme === 'sqlite') return sqliteLocation(url.slice('sqlite:'.length).replace(/^\/\//, ''), cwd, url);
  // A one-letter "scheme" is a Windows drive (C:\…), which is a path.
  if (scheme !== undefined && scheme.length > 1) {
    throw new InvalidStoreUrlError(`${redactStoreUrl(url)}: unsupported store scheme "${scheme}:"; use ${STORE_URL_FORMS}`);
  }
  return sqliteLocation(url, cwd, url);
}

function sqliteLocation(path: string, cwd: string, url: string): StoreLocation {
  if (path === '') throw new InvalidStoreUrlError(`${url}: no file after "sqlite:"; use sqlite:PATH, e.g. sqlite:.berth/registry.db`);
  if (path === ':memory:') return { adapter: 'sqlite', path, display: 'sqlite::memory:' };
  const abs = isAbsolute(path) ? path : resolve(cwd, path);
  return { adapter: 'sqlite', path: abs, display: `sqlite:${abs}` };
}

function parseMongoUrl(url: string): StoreLocation {
  const display = redactStoreUrl(url);
  const m = /^mongodb(?:\+srv)?:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?[^#]*)?$/i.exec(url);
  if (!m) throw new InvalidStoreUrlError(`${display} is not a MongoDB connection string (mongodb://[user:password@]host[:port][,host…]/[database][?options])`);
  const hosts = m[1]!.slice(m[1]!.lastIndexOf('@') + 1);
  if (hosts === '') throw new InvalidStoreUrlError(`${display} names no host; e.g. mongodb://db.example.com:27017/berth`);
  let database = DEFAULT_MONGODB_DATABASE;
  if (m[2]) {
    try {
      database = decodeURIComponent(m[2]);
    } catch (cause) {
      throw new InvalidStoreUrlError(`${display}: the database name is not valid percent-encoding`, { cause });
    }
    if (BAD_DATABASE_CHARS.test(database) || database.length > 63) {
      throw new InvalidStoreUrlError(`${display}: "${database}" is not a MongoDB database name (at most 63 characters, none of / \\ . " $ or space)`);
    }
  }
  return { adapter: 'mongodb', uri: url, database, display };
}
