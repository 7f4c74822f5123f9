/**
 * Crash-safe bookkeeping of the processes the local provider started, so that a
 * new Berth process (after the previous one was killed with SIGKILL) finds them:
 * `<stateDir>/local-runtime.json`, server name → record.
 *
 * Every change is read-modify-write of one entry, written atomically (temporary
 * file, fsync, rename), so the file is always either the old or the new version,
 * and an instance never overwrites entries it does not know about.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProcessIdentity } from './process-identity.ts';
import type { LaunchSummary } from './launch.ts';

/** Everything needed to find, verify, health-check and describe one running server process. */
export interface LocalRuntimeRecord {
  pid: number;
  /** Process group of the server's tree (equals pid: each server leads its own group). */
  pgid: number;
  port: number;
  /** Spec hash of the manifest the process was started from. */
  specHash: string;
  /** Hash of what the process actually sees (command, args, env, cwd, transport); a change needs a restart. */
  launchHash: string;
  generation: number;
  /** RFC 3339 start time. */
  startedAt: string;
  /** Identity that proves the pid is still this process. */
  identity: ProcessIdentity;
  /** The launch, minus secret values, to say later what changed. */
  summary: LaunchSummary;
  /** MCP URL of the server. */
  endpoint: string;
  /** HTTP health URL when the spec names a health path. */
  healthUrl?: string;
  /** Pid of the Berth process that started it (for people reading the file). */
  startedBy: number;
}

/** Shape of local-runtime.json. */
export interface LocalRuntimeFile {
  version: 1;
  servers: Record<string, LocalRuntimeRecord>;
}

/** Reads and updates local-runtime.json; one instance per provider. */
export interface StateStore {
  /** Path of the file. */
  readonly path: string;
  /** All records; an absent file is an empty one. */
  read(): Promise<LocalRuntimeFile>;
  /** The record of one server, if any. */
  get(name: string): Promise<LocalRuntimeRecord | undefined>;
  /** Sets (or, with undefined, removes) one server's record. Calls are applied in order. */
  put(name: string, record: LocalRuntimeRecord | undefined): Promise<void>;
}

/** Error reading the state file: it exists but cannot be used. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/**
 * Opens the state store in `stateDir` (created on first write).
 * @example const store = createStateStore('/srv/berth/.berth'); await store.put('weather', record);
 */
export function createStateStore(stateDir: string): StateStore {
  const path = join(stateDir, 'local-runtime.json');
  // Serialises this instance's read-modify-write cycles; one provider acts on a stateDir at a time (leader lease).
  let chain: Promise<unknown> = Promise.resolve();

  async function read(): Promise<LocalRuntimeFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
      throw new StateFileError(`cannot read ${path}`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as LocalRuntimeFile;
      if (parsed.version !== 1 || typeof parsed.servers !== 'object' || parsed.servers === null) throw new Error('unexpected shape');
      return parsed;
    } catch (err) {
      throw new StateFileError(
        `${path} is not a local runtime state file (${(err as Error).message}); stop the processes it lists by hand and delete it`,
        { cause: err },
      );
    }
  }

  async function write(file: LocalRuntimeFile): Promise<void> {
    await mkdir(stateDir, { recursive: true });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(file, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  return {
    path,
    read,
    async get(name) {
      return (await read()).servers[name];
    },
    put(name, record) {
      const next = chain.then(async () => {
        const file = await read();
        if (record) file.servers[name] = record;
        else delete file.servers[name];
        await write(file);
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
