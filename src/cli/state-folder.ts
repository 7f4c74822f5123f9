/**
 * How client commands find the registry a `berth up` (or `berth registry`) on this
 * machine runs: the server records its registry URL and its admin token file in
 * `<state-dir>/client.json`, and a client looks for the nearest `.berth/` folder
 * holding one, upward from its working directory. The token file is only ever
 * sent to the URL recorded beside it (see config.ts).
 *
 * @example
 * await writeClientFile('/repo/.berth', { server: 'http://127.0.0.1:27070', tokenFile: '/repo/.berth/admin-token' });
 * await findStateFolder('/repo/sub/dir'); // { dir: '/repo/.berth', server: 'http://127.0.0.1:27070', tokenFile: … }
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './command.ts';

/** The file in a state folder that says where its registry listens. */
export const CLIENT_FILE = 'client.json';

/** The folder name client commands look for, upward from their working directory. */
export const STATE_FOLDER_NAME = '.berth';

/** What a state folder's client.json says. */
export interface StateFolder {
  /** The `.berth` folder. */
  dir: string;
  /** Its registry's URL. */
  server: string;
  /** The admin token file whose token belongs to `server` (absent when none was recorded). */
  tokenFile?: string;
  /** The client.json path, for messages. */
  file: string;
}

/**
 * Records where the registry of `stateDir` listens (mode 0600, written whole via a
 * temporary file and a rename so a reader never sees half of it).
 */
export async function writeClientFile(stateDir: string, entry: { server: string; tokenFile?: string }): Promise<void> {
  const file = join(stateDir, CLIENT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ server: entry.server, ...(entry.tokenFile ? { tokenFile: entry.tokenFile } : {}) }, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

async function readClientFile(dir: string): Promise<StateFolder | undefined> {
  const file = join(dir, CLIENT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new Error(`cannot read ${file}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${file} is not valid JSON (${(cause as Error).message}); delete it and restart \`berth up\` to write it again`, { cause });
  }
  const { server, tokenFile } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof server !== 'string') throw new UsageError(`${file} has no "server"; delete it and restart \`berth up\` to write it again`);
  return { dir, server, file, ...(typeof tokenFile === 'string' ? { tokenFile: resolve(dir, tokenFile) } : {}) };
}

/**
 * The nearest `.berth/client.json` upward from `cwd` (cwd's own `.berth` first, then
 * its parent's, up to the root), or undefined when there is none.
 * @throws UsageError when the nearest one is unreadable as JSON or names no server
 */
export async function findStateFolder(cwd: string): Promise<StateFolder | undefined> {
  let at = resolve(cwd);
  for (;;) {
    const found = await readClientFile(join(at, STATE_FOLDER_NAME));
    if (found) return found;
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

/** True when two URLs have the same scheme, host and port (a token belongs to an origin). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
