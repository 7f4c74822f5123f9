/**
 * When each line of a local server's output was written, kept beside the output
 * file (`<name>.stdout.log` → `<name>.stdout.times`). The server writes its file
 * itself (see output-capture.ts: it must outlive Berth), so its lines carry no
 * time; Berth's capture, which reads every chunk the server writes, appends one
 * entry per chunk read: `<end offset> <mtime ms>\n` — every byte before that
 * offset had been written by the file's last-write time seen with it. A line
 * takes the time of the first entry reaching its end. The lines themselves stay
 * exactly as the server wrote them, the index costs one short line per chunk (not
 * per line), and it is a file, so times survive a Berth restart. It is emptied
 * and cut back together with its output file.
 *
 * @example
 * await appendLineTime('.berth/logs/quote.stdout.times', 120, 1765000000000);
 * const times = parseLineTimes(await readFile('.berth/logs/quote.stdout.times', 'utf8'));
 * timeAt(times, 120) // 1765000000000
 */
import { appendFile } from 'node:fs/promises';

/** Parsed entries: end offsets ascending, with their times. */
export interface LineTimes {
  ends: number[];
  times: number[];
}

/** The index file of an output file. */
export function lineTimesFile(outputFile: string): string {
  return outputFile.replace(/\.log$/, '.times');
}

/** Records that the bytes before `endOffset` were written by `timeMs`; resolves to the bytes the entry took. */
export async function appendLineTime(file: string, endOffset: number, timeMs: number): Promise<number> {
  const entry = `${endOffset} ${Math.floor(timeMs)}\n`;
  await appendFile(file, entry, { mode: 0o600 });
  return entry.length;
}

/** Parses an index; a torn or foreign line is skipped, and an entry going backwards ends it (an index older than a cut-back file). */
export function parseLineTimes(text: string): LineTimes {
  const ends: number[] = [];
  const times: number[] = [];
  for (const row of text.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(row);
    if (!m) continue;
    const end = Number(m[1]);
    if (ends.length > 0 && end < ends[ends.length - 1]!) break;
    ends.push(end);
    times.push(Number(m[2]));
  }
  return { ends, times };
}

/** The time of the line ending at byte `end` (exclusive), or undefined when no entry reaches it yet. */
export function timeAt(t: LineTimes, end: number): number | undefined {
  let lo = 0;
  let hi = t.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.ends[mid]! >= end) hi = mid;
    else lo = mid + 1;
  }
  return lo < t.ends.length ? t.times[lo] : undefined;
}
