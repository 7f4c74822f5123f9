/**
 * Reads a local server's output for `berth logs`: the files the supervisor's
 * process writes under `<stateDir>/logs/` (see output-capture.ts). Read only:
 * cutting a file back stays the capture's job. The child writes the files itself,
 * so lines carry no timestamps; `sinceMs` is honest about that by using each
 * file's last-write time (a stream last written before the cut-off shows nothing,
 * otherwise all of its kept lines show).
 *
 * @example
 * const lines = await readServerLogs({ stateDir: '.berth', name: 'quote', tail: 20 });
 * await followServerLogs({ stateDir: '.berth', name: 'quote', signal, onLine: (l) => print(l) });
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** One line of a server's output. */
export interface ServerLogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Thrown when a server has no log files in the state folder (never started here, or a bad name). */
export class NoServerLogsError extends Error {
  override readonly name = 'NoServerLogsError';
}

/** What to read. */
export interface ServerLogsQuery {
  /** The state folder (`.berth`) of the `berth up` / `berth reconciler` that runs the server. */
  stateDir: string;
  /** The server's name (metadata.name). */
  name: string;
  /** Last N lines of each stream; all when absent. */
  tail?: number;
  /** Skip a stream whose file was last written before this time (epoch ms). */
  sinceMs?: number;
}

const STREAMS = ['stdout', 'stderr'] as const;
// A server name is a DNS label; anything else could walk out of logs/ (`../admin-token`).
const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The two files of a server's output. @throws NoServerLogsError for a name that is not a server name */
export function serverLogFiles(stateDir: string, name: string): Record<'stdout' | 'stderr', string> {
  if (!NAME_RE.test(name)) throw new NoServerLogsError(`"${name}" is not a server name (lower-case letters, digits and dashes)`);
  const dir = join(stateDir, 'logs');
  return { stdout: join(dir, `${name}.stdout.log`), stderr: join(dir, `${name}.stderr.log`) };
}

/**
 * The lines now in a server's files, stdout's then stderr's (no timestamps to
 * interleave them by), with the end offsets for {@link followServerLogs}.
 * @throws NoServerLogsError when neither file exists
 */
export async function readServerLogs(q: ServerLogsQuery): Promise<{ lines: ServerLogLine[]; offsets: Record<'stdout' | 'stderr', number> }> {
  const files = serverLogFiles(q.stateDir, q.name);
  const lines: ServerLogLine[] = [];
  const offsets = { stdout: 0, stderr: 0 };
  let found = 0;
  for (const stream of STREAMS) {
    let text: string;
    let mtimeMs: number;
    const handle = await open(files[stream], 'r').catch(() => undefined);
    if (!handle) continue;
    found++;
    try {
      const st = await handle.stat();
      mtimeMs = st.mtimeMs;
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = await handle.read(buf, 0, st.size, 0);
      offsets[stream] = bytesRead;
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
    if (q.sinceMs !== undefined && mtimeMs < q.sinceMs) continue;
    const parts = text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    const kept = q.tail === undefined ? parts : q.tail === 0 ? [] : parts.slice(-q.tail);
    for (const line of kept) lines.push({ stream, line: line.replace(/\r$/, '') });
  }
  if (found === 0) throw new NoServerLogsError(`no output files for "${q.name}" in ${join(q.stateDir, 'logs')}`);
  return { lines, offsets };
}

/** Options of {@link followServerLogs}. */
export interface FollowServerLogsOptions {
  stateDir: string;
  name: string;
  /** Where to start reading each file (from {@link readServerLogs}); 0 when absent. */
  offsets?: Record<'stdout' | 'stderr', number>;
  /** Called for every complete new line. */
  onLine(line: ServerLogLine): void;
  /** Following ends when this aborts. */
  signal: AbortSignal;
  /** Poll behind the inotify events; default 1000 ms. */
  pollMs?: number;
}

/**
 * Prints new lines as the server writes them until `signal` aborts: woken by
 * `fs.watch`, with a poll behind it (as output-capture.ts does). A file cut back
 * (the capture's size limit, or a restart) is read again from its start.
 */
export async function followServerLogs(opts: FollowServerLogsOptions): Promise<void> {
  const files = serverLogFiles(opts.stateDir, opts.name);
  const state = STREAMS.map((stream) => ({ stream, path: files[stream], offset: opts.offsets?.[stream] ?? 0, partial: '', decoder: new StringDecoder('utf8') }));
  let reading: Promise<void> = Promise.resolve();
  const readAll = (): void => {
    reading = reading.then(async () => {
      for (const s of state) {
        const size = await stat(s.path).then((st) => st.size, () => undefined);
        if (size === undefined) continue;
        if (size < s.offset) {
          s.offset = 0;
          s.partial = '';
        }
        if (size === s.offset) continue;
        const handle = await open(s.path, 'r');
        try {
          const buf = Buffer.alloc(Math.min(size - s.offset, 1024 * 1024));
          const { bytesRead } = await handle.read(buf, 0, buf.length, s.offset);
          s.offset += bytesRead;
          const parts = (s.partial + s.decoder.write(buf.subarray(0, bytesRead))).split('\n');
          s.partial = parts.pop() ?? '';
          for (const line of parts) opts.onLine({ stream: s.stream, line: line.replace(/\r$/, '') });
        } finally {
          await handle.close();
        }
      }
    }).catch(() => undefined);
  };
  const watchers: FSWatcher[] = [];
  for (const s of state) {
    try {
      const w = watch(s.path, { persistent: false }, readAll);
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // Not there yet, or no inotify: the poll reads it.
    }
  }
  const timer = setInterval(readAll, opts.pollMs ?? 1000);
  readAll();
  await new Promise<void>((done) => {
    if (opts.signal.aborted) done();
    else opts.signal.addEventListener('abort', () => done(), { once: true });
  });
  clearInterval(timer);
  for (const w of watchers) w.close();
  await reading;
}
