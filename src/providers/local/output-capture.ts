/**
 * Captures a server's stdout and stderr. The process writes to files under
 * `<stateDir>/logs/` (not pipes): a pipe dies with Berth and the server would get
 * EPIPE on its next write, while a file lets the server outlive a Berth crash and
 * lets the next Berth read its last words. The files are followed into a ring
 * buffer (the last lines, for crash reports) and a pino child logger: woken by
 * inotify (`fs.watch`) when they grow, with a slow poll behind it for file systems
 * that send no events (and for a file the process has not created yet). Polling
 * alone cost an idle `berth up` two `stat` calls per server five times a second.
 * Each chunk read is also timed in the file's line-times index (line-times.ts),
 * which is what `berth logs --since` / `--timestamps` read: the server's lines
 * stay as it wrote them, and a flooding server is never held up by Berth (it
 * writes to its file; the capture reads at most 1 MiB per step).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { open, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import { appendLineTime, lineTimesFile, parseLineTimes } from './line-times.ts';
import { outputRecord } from './output-line.ts';
import { watchFiles } from './watch-files.ts';

/** Which output stream a line came from. */
export type StreamName = 'stdout' | 'stderr';

/** Options of {@link createOutputCapture}. */
export interface OutputCaptureOptions {
  /** Folder of the log files. */
  dir: string;
  /** Server name: files are `<name>.stdout.log` and `<name>.stderr.log`. */
  name: string;
  /** Each line is logged as output-line.ts says: `{ stream, line }` at info, or a JSON line's own fields and level. */
  logger: Logger;
  /** How often the files are read when no change event arrives; default 1000 ms. */
  pollMs?: number;
  /** Lines kept per stream; default 200. */
  keepLines?: number;
  /** A file is cut back to empty (with its line times) once both together pass this size; default 8 MiB. */
  maxBytes?: number;
}

/** The output of one server process. */
export interface OutputCapture {
  /**
   * Empties the files and opens them for the child (append mode, so cutting the
   * file back later works). Pass the descriptors to spawn, then call `closeFds`.
   */
  openForChild(): { stdout: number; stderr: number; closeFds(): void };
  /** Starts following; `fromEnd` skips what is already there (an adopted process), keeping its tail in the ring. */
  follow(fromEnd: boolean): Promise<void>;
  /** Reads whatever is new now (call before reporting an exit). */
  drain(): Promise<void>;
  /** Last `n` complete lines of a stream (plus an unterminated last line). */
  lastLines(stream: StreamName, n: number): string[];
  /** Stops following after a final read. */
  stop(): Promise<void>;
}

/** Creates the capture for one server (files are created when the process starts). */
export function createOutputCapture(opts: OutputCaptureOptions): OutputCapture {
  const pollMs = opts.pollMs ?? 1000;
  const keep = opts.keepLines ?? 200;
  const maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
  const streams = (['stdout', 'stderr'] as const).map((stream) => ({
    stream,
    path: join(opts.dir, `${opts.name}.${stream}.log`),
    times: lineTimesFile(join(opts.dir, `${opts.name}.${stream}.log`)),
    offset: 0,
    /** The end offset of the last line-times entry: entries only go forward. */
    timedTo: 0,
    /** Size of the line-times index: a server writing tiny lines slowly makes it large next to its file. */
    timesBytes: 0,
    decoder: new StringDecoder('utf8'),
    partial: '',
    lines: [] as string[],
  }));
  let timer: NodeJS.Timeout | undefined;
  let unwatch = (): void => undefined;
  let reading: Promise<void> = Promise.resolve();
  // One read queued behind the running one is enough: it sees everything written until it starts.
  let queued = false;

  function remember(s: (typeof streams)[number], line: string, log: boolean): void {
    s.lines.push(line);
    if (s.lines.length > keep) s.lines.splice(0, s.lines.length - keep);
    if (log) {
      const r = outputRecord(s.stream, line);
      opts.logger[r.level](r.fields, r.msg);
    }
  }

  async function readNew(s: (typeof streams)[number], log: boolean): Promise<void> {
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = await stat(s.path));
    } catch {
      return;
    }
    if (size < s.offset) {
      // Cut back by someone else: its times start over too.
      s.offset = 0;
      await cutBack(s);
    }
    if (size === s.offset) return;
    const handle = await open(s.path, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size - s.offset, 1024 * 1024));
      const { bytesRead } = await handle.read(buf, 0, buf.length, s.offset);
      s.offset += bytesRead;
      const text = s.partial + s.decoder.write(buf.subarray(0, bytesRead));
      const parts = text.split('\n');
      s.partial = parts.pop() ?? '';
      for (const line of parts) remember(s, line.replace(/\r$/, ''), log);
    } finally {
      await handle.close();
    }
    // Every byte read was on disk by the last-write time the stat saw.
    if (s.offset > s.timedTo) {
      s.timesBytes += await appendLineTime(s.times, s.offset, mtimeMs).catch(() => 0);
      s.timedTo = s.offset;
    }
    if (s.offset + s.timesBytes > maxBytes) {
      // The child appends (O_APPEND), so after the cut its next write lands at the new end.
      await truncate(s.path, 0).catch(() => undefined);
      s.offset = 0;
      await cutBack(s);
    }
  }

  /** Empties the line times of a file that starts over. */
  async function cutBack(s: (typeof streams)[number]): Promise<void> {
    await truncate(s.times, 0).catch(() => undefined);
    s.timedTo = 0;
    s.timesBytes = 0;
  }

  function drain(): Promise<void> {
    reading = reading.then(async () => {
      for (const s of streams) await readNew(s, true).catch(() => undefined);
    });
    return reading;
  }

  /** A drain for events and ticks, which come in bursts: at most one waits behind the running one. */
  function wake(): void {
    if (queued) return;
    queued = true;
    void reading.then(() => {
      queued = false;
      return drain();
    });
  }

  function stopWatching(): void {
    unwatch();
    unwatch = () => undefined;
  }

  /** Watches the files that exist; the poll covers the others. */
  function startWatching(): void {
    stopWatching();
    unwatch = watchFiles(streams.map((s) => s.path), wake);
  }

  return {
    openForChild() {
      mkdirSync(opts.dir, { recursive: true });
      const fds = streams.map((s) => {
        closeSync(openSync(s.path, 'w', 0o600));
        closeSync(openSync(s.times, 'w', 0o600));
        s.offset = 0;
        s.timedTo = 0;
        s.timesBytes = 0;
        s.partial = '';
        s.decoder = new StringDecoder('utf8');
        return openSync(s.path, 'a');
      });
      return {
        stdout: fds[0]!,
        stderr: fds[1]!,
        closeFds: () => fds.forEach((fd) => closeSync(fd)),
      };
    },
    async follow(fromEnd) {
      if (fromEnd) {
        for (const s of streams) {
          // Keep the tail for crash reports without logging old lines again.
          const size = await stat(s.path).then((st) => st.size, () => 0);
          // The times of what an earlier Berth read stay; what was written since it stopped is timed now.
          const index = await readFile(s.times, 'utf8').catch(() => '');
          const earlier = parseLineTimes(index);
          const last = earlier.ends[earlier.ends.length - 1] ?? 0;
          if (last > size) await cutBack(s); // the file was cut back meanwhile: those times are of other bytes
          else {
            s.timedTo = last;
            s.timesBytes = Buffer.byteLength(index);
          }
          s.offset = Math.max(0, size - 16 * 1024);
          await readNew(s, false).catch(() => undefined);
        }
      }
      startWatching();
      if (!timer) {
        timer = setInterval(wake, pollMs);
        timer.unref();
      }
    },
    drain,
    lastLines(stream, n) {
      const s = streams.find((x) => x.stream === stream)!;
      const all = s.partial ? [...s.lines, s.partial] : s.lines;
      return all.slice(-n);
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      stopWatching();
      await drain();
    },
  };
}
