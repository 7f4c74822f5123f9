/**
 * The local runtime's {@link ServerLogs}: reads the files the supervisor's
 * process writes under `<stateDir>/logs/` (see output-capture.ts), with each
 * line's time from the file's line-times index (line-times.ts). Read only:
 * cutting a file back stays the capture's job. A line the capture has not timed
 * yet (Berth is not running, or has not read it yet) takes the file's last-write
 * time, which is when it was written at the latest.
 *
 * @example
 * const logs = localServerLogs('.berth');
 * for await (const l of logs.readLogs('quote', { tail: 20, follow: true, signal })) print(l);
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ServerLogsError, type LogLine, type ReadLogsOptions, type ServerLogs } from '../server-logs.ts';
import { lineTimesFile, parseLineTimes, timeAt } from './line-times.ts';
import { watchFiles } from './watch-files.ts';

/** One line of a local server's output. */
export type ServerLogLine = LogLine;

/** Thrown when a server has no log files in the state folder (never started here, or a bad name). */
export class NoServerLogsError extends ServerLogsError {
  override readonly name = 'NoServerLogsError';
  constructor(message: string) {
    super('not_found', message);
  }
}

/** What to read. */
export interface ServerLogsQuery {
  /** The state folder (`.berth`) of the `berth up` / `berth reconciler` that runs the server. */
  stateDir: string;
  /** The server's name (metadata.name). */
  name: string;
  /** The last N lines of both streams together; all when absent. */
  tail?: number;
  /** Only lines written at or after this time (epoch ms). */
  sinceMs?: number;
  /** Leave out an unterminated last line (a follower prints it once it is complete). */
  completeOnly?: boolean;
}

type Stream = 'stdout' | 'stderr';
const STREAMS = ['stdout', 'stderr'] as const;
// A server name is a DNS label; anything else could walk out of logs/ (`../admin-token`).
const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Most bytes read per file per step while following: a flooding server is read in pieces the consumer pulls. */
const CHUNK = 1024 * 1024;

/** The two files of a server's output. @throws NoServerLogsError for a name that is not a server name */
export function serverLogFiles(stateDir: string, name: string): Record<Stream, string> {
  if (!NAME_RE.test(name)) throw new NoServerLogsError(`"${name}" is not a server name (lower-case letters, digits and dashes)`);
  const dir = join(stateDir, 'logs');
  return { stdout: join(dir, `${name}.stdout.log`), stderr: join(dir, `${name}.stderr.log`) };
}

/** Splits `text` (starting at byte `start` of its file) into timed lines; the unterminated rest is left out. */
function timedLines(stream: Stream, text: string, start: number, times: ReturnType<typeof parseLineTimes>, fallback: number): { lines: LogLine[]; consumed: number } {
  const lines: LogLine[] = [];
  let at = start;
  let from = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
    const raw = text.slice(from, nl);
    at += Buffer.byteLength(raw) + 1;
    lines.push({ time: timeAt(times, at) ?? fallback, stream, line: raw.replace(/\r$/, '') });
    from = nl + 1;
  }
  return { lines, consumed: at - start };
}

/** Oldest first; a tie keeps stdout before stderr and each file's order. */
function byTime(a: LogLine, b: LogLine): number {
  return a.time - b.time || (a.stream === b.stream ? 0 : a.stream === 'stdout' ? -1 : 1);
}

/**
 * The lines now in a server's files, both streams merged by time, with the
 * offsets where complete lines end (for {@link followServerLogs}).
 * @throws NoServerLogsError when neither file exists
 */
export async function readServerLogs(q: ServerLogsQuery): Promise<{ lines: LogLine[]; offsets: Record<Stream, number> }> {
  const files = serverLogFiles(q.stateDir, q.name);
  const lines: LogLine[] = [];
  const offsets = { stdout: 0, stderr: 0 };
  let found = 0;
  for (const stream of STREAMS) {
    const handle = await open(files[stream], 'r').catch(() => undefined);
    if (!handle) continue;
    found++;
    let buf: Buffer;
    let mtimeMs: number;
    try {
      const st = await handle.stat();
      mtimeMs = st.mtimeMs;
      buf = Buffer.alloc(st.size);
      const { bytesRead } = await handle.read(buf, 0, st.size, 0);
      buf = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    const times = parseLineTimes(await readFile(lineTimesFile(files[stream]), 'utf8').catch(() => ''));
    const text = buf.toString('utf8');
    const read = timedLines(stream, text, 0, times, Math.floor(mtimeMs));
    offsets[stream] = read.consumed;
    // An unterminated last line is a line too when only reading.
    const rest = text.slice(text.lastIndexOf('\n') + 1);
    if (rest !== '' && !q.completeOnly) read.lines.push({ time: Math.floor(mtimeMs), stream, line: rest });
    lines.push(...read.lines);
  }
  if (found === 0) throw new NoServerLogsError(`no output files for "${q.name}" in ${join(q.stateDir, 'logs')}`);
  let kept = lines.sort(byTime);
  if (q.sinceMs !== undefined) kept = kept.filter((l) => l.time >= q.sinceMs!);
  if (q.tail !== undefined) kept = q.tail === 0 ? [] : kept.slice(-q.tail);
  return { lines: kept, offsets };
}

/** Options of {@link followServerLogs}. */
export interface FollowServerLogsOptions {
  stateDir: string;
  name: string;
  /** Where to start reading each file (from {@link readServerLogs}); 0 when absent. */
  offsets?: Record<Stream, number>;
  /** Following ends when this aborts. */
  signal: AbortSignal;
  /** Poll behind the inotify events; default 1000 ms. */
  pollMs?: number;
}

/**
 * Yields new complete lines as the server writes them until `signal` aborts:
 * woken by `fs.watch`, with a poll behind it (as output-capture.ts does). A file
 * cut back (the capture's size limit, or a restart) is read again from its start.
 * A line is timed by the file's last write seen when it was read.
 */
export async function* followServerLogs(opts: FollowServerLogsOptions): AsyncGenerator<LogLine> {
  const files = serverLogFiles(opts.stateDir, opts.name);
  const state = STREAMS.map((stream) => ({ stream, path: files[stream], offset: opts.offsets?.[stream] ?? 0, partial: '', decoder: new StringDecoder('utf8') }));
  let woken = true;
  let wake = (): void => undefined;
  const poke = (): void => {
    woken = true;
    wake();
  };
  const unwatch = watchFiles(state.map((s) => s.path), poke);
  const timer = setInterval(poke, opts.pollMs ?? 1000);
  opts.signal.addEventListener('abort', poke);
  try {
    while (!opts.signal.aborted) {
      if (!woken) await new Promise<void>((resolve) => (wake = resolve));
      wake = () => undefined;
      woken = false;
      for (const s of state) {
        const st = await stat(s.path).catch(() => undefined);
        if (st === undefined) continue;
        if (st.size < s.offset) {
          s.offset = 0;
          s.partial = '';
        }
        if (st.size === s.offset) continue;
        const handle = await open(s.path, 'r');
        let bytes: Buffer;
        try {
          const buf = Buffer.alloc(Math.min(st.size - s.offset, CHUNK));
          const { bytesRead } = await handle.read(buf, 0, buf.length, s.offset);
          bytes = buf.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
        s.offset += bytes.length;
        // More than one step's worth: look again without waiting for an event.
        if (s.offset < st.size) woken = true;
        const parts = (s.partial + s.decoder.write(bytes)).split('\n');
        s.partial = parts.pop() ?? '';
        for (const line of parts) {
          if (opts.signal.aborted) return;
          yield { time: Math.floor(st.mtimeMs), stream: s.stream, line: line.replace(/\r$/, '') };
        }
      }
    }
  } finally {
    clearInterval(timer);
    opts.signal.removeEventListener('abort', poke);
    unwatch();
  }
}

/**
 * The local runtime's reader over the state folder `stateDir`.
 * @example for await (const l of localServerLogs('.berth').readLogs('quote', { since: Date.now() - 600_000, signal })) print(l);
 */
export function localServerLogs(stateDir: string): ServerLogs {
  return {
    async *readLogs(server: string, o: ReadLogsOptions): AsyncGenerator<LogLine> {
      const read = await readServerLogs({ stateDir, name: server, completeOnly: o.follow === true, ...(o.tail !== undefined ? { tail: o.tail } : {}), ...(o.since !== undefined ? { sinceMs: o.since } : {}) });
      for (const l of read.lines) yield l;
      if (o.follow) yield* followServerLogs({ stateDir, name: server, offsets: read.offsets, signal: o.signal });
    },
  };
}
