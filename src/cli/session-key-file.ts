/**
 * The gateway's session keys from a file: `berth gateway --session-key-file FILE`,
 * and the one `berth up` keeps in its state folder (`gateway-session-key`,
 * created on first start). Every replica of a gateway reads the same file, so
 * any of them opens the session ids another sealed (src/gateway/session-seal.ts).
 *
 * Format: one key per line, each 32 random bytes written as base64 (standard or
 * URL-safe, padding optional) or as 64 hex digits; blank lines and lines starting
 * with `#` are skipped. The first key seals new session ids; every key opens them.
 * To rotate: add the new key as a second line on every replica (restart them),
 * then move it to the first line (restart), and once the sessions of the old key
 * have ended, remove it. Keys are never logged, and errors name lines, never
 * their content.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SESSION_KEY_BYTES } from '../gateway/index.ts';
import { UsageError } from './command.ts';

/** How to make a key, for messages. */
const MAKE_ONE = '`openssl rand -base64 32` makes one';

/** The name of `berth up`'s key file in its state folder. */
export const UP_SESSION_KEY_FILE = 'gateway-session-key';

/** Keys read from a file, and whether others than its owner may read it. */
export interface SessionKeyFile {
  /** Raw keys, the sealing key first. */
  keys: Buffer[];
  /** True when the file's mode lets its group or others read it (worth a warning: the keys are secrets). */
  readableByOthers: boolean;
}

/**
 * Reads the session keys in `file` (`flag` names where it came from, for messages).
 * @throws UsageError when the file cannot be read, holds no key, or a line is not a key (naming the line)
 * @example const { keys } = await readSessionKeyFile('/run/secrets/gateway-session-key', '--session-key-file');
 */
export async function readSessionKeyFile(file: string, flag: string): Promise<SessionKeyFile> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mode)]);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass a file of session keys, one per line (${MAKE_ONE})`, { cause: err });
  }
  const keys: Buffer[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const key = parseKey(t);
    if (typeof key === 'string') throw new UsageError(`${flag} ${file}: line ${i + 1} ${key}; a session key is ${SESSION_KEY_BYTES} random bytes as base64 or 64 hex digits (${MAKE_ONE})`);
    keys.push(key);
  }
  if (keys.length === 0) throw new UsageError(`${flag} ${file}: holds no session key; write one per line (${MAKE_ONE})`);
  return { keys, readableByOthers: (mode & 0o077) !== 0 };
}

/**
 * `berth up`'s session keys: `<stateDir>/gateway-session-key`, created (mode 0600,
 * one fresh key) when the folder has none yet.
 * @throws UsageError when the file exists but is not a valid key file
 */
export async function ensureUpSessionKeyFile(stateDir: string): Promise<SessionKeyFile & { file: string; created: boolean }> {
  const file = join(stateDir, UP_SESSION_KEY_FILE);
  let created = false;
  try {
    const header = '# Session keys of the Berth gateway, one per line: the first seals session ids, every line opens them.\n# Secret. Give gateway replicas this file: berth gateway --session-key-file FILE\n';
    await writeFile(file, `${header}${randomBytes(SESSION_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the state folder's permissions`, { cause: err });
  }
  return { ...(await readSessionKeyFile(file, 'session key file')), file, created };
}

/** One line's key, or what is wrong with it (never quoting it). */
function parseKey(text: string): Buffer | string {
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) key = Buffer.from(text.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''), 'base64url');
  else return 'is neither base64 nor hex';
  if (key.length !== SESSION_KEY_BYTES) return `holds ${key.length} bytes`;
  return key;
}
