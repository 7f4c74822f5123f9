/**
 * Local output lines carry the time they were written, through the capture's
 * line-times index: `since` cuts exactly between lines written before and after
 * a moment, the lines stay as the server wrote them, and the times of lines an
 * earlier Berth read survive its restart (a new capture adopting the running
 * process, as after a crash).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutputCapture } from './output-capture.ts';
import { lineTimesFile, parseLineTimes } from './line-times.ts';
import { readServerLogs } from './server-logs.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('local server output, timed per line', () => {
  it('--since returns exactly the lines written after a moment, across a restart of the capture', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-linetimes-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const logs = join(stateDir, 'logs');
    const trigger = join(stateDir, 'go');
    const seen: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void seen.push((JSON.parse(s) as { msg: string }).msg) });
    const first = createOutputCapture({ dir: logs, name: 'srv', logger, pollMs: 50 });
    const fds = first.openForChild();
    const script = `console.log('before 1'); console.error('before err'); console.log('  before 2  ');
      const t = setInterval(() => { if (require('node:fs').existsSync(${JSON.stringify(trigger)})) { console.log('after 1'); console.error('after err'); clearInterval(t); } }, 10);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', fds.stdout, fds.stderr] });
    fds.closeFds();
    cleanups.push(() => child.kill('SIGKILL'));
    await first.follow(false);
    await until(() => seen.includes('before err') && seen.includes('  before 2  '));
    await sleep(20);
    const moment = Date.now();
    await sleep(20);
    // Berth goes away; the server keeps writing; the next Berth adopts it.
    await first.stop();
    writeFileSync(trigger, '');
    await until(() => child.exitCode !== null, 5_000).catch(() => undefined);
    await sleep(50);
    const second = createOutputCapture({ dir: logs, name: 'srv', logger, pollMs: 50 });
    await second.follow(true);
    await second.stop();

    // Each stream keeps its order; between the two streams only the times order lines, and
    // lines read in one chunk share a time, so which of two near-simultaneous lines comes first is not fixed.
    const byStream = (lines: Array<{ stream: string; line: string }>) => ({
      stdout: lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
      stderr: lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
    });
    const later = await readServerLogs({ stateDir, name: 'srv', sinceMs: moment });
    expect(byStream(later.lines)).toEqual({ stdout: ['after 1'], stderr: ['after err'] });
    const all = await readServerLogs({ stateDir, name: 'srv' });
    expect(byStream(all.lines)).toEqual({ stdout: ['before 1', '  before 2  ', 'after 1'], stderr: ['before err', 'after err'] });
    expect(all.lines.map((l) => l.time)).toEqual(all.lines.map((l) => l.time).sort((a, b) => a - b));
    for (const l of all.lines) expect(l.line.startsWith('after') ? l.time >= moment : l.time < moment, `${l.line} at ${l.time}, moment ${moment}`).toBe(true);
    expect((await readServerLogs({ stateDir, name: 'srv', tail: 2 })).lines.map((l) => l.line).sort()).toEqual(['after 1', 'after err']);
  });

  it('a server writing tiny lines fast never grows its file and line times past maxBytes together', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-linetimes-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const logs = join(stateDir, 'logs');
    const capture = createOutputCapture({ dir: logs, name: 'srv', logger: pino({ level: 'silent' }), pollMs: 50, maxBytes: 8192 });
    const fds = capture.openForChild();
    // One short line a millisecond: each read is one index entry, ten times the size of the line it times.
    const child = spawn(process.execPath, ['-e', `let n = 0; const t = setInterval(() => { console.log('a' + n); if (++n === 1500) clearInterval(t); }, 1);`], { stdio: ['ignore', fds.stdout, fds.stderr] });
    fds.closeFds();
    cleanups.push(() => child.kill('SIGKILL'));
    await capture.follow(false);
    let largest = 0;
    while (child.exitCode === null) {
      const log = join(logs, 'srv.stdout.log');
      largest = Math.max(largest, statSync(log).size + statSync(lineTimesFile(log)).size);
      await sleep(5);
    }
    await capture.stop();
    const log = join(logs, 'srv.stdout.log');
    const size = statSync(log).size;
    const times = parseLineTimes(readFileSync(lineTimesFile(log), 'utf8'));
    expect(size + statSync(lineTimesFile(log)).size).toBeLessThanOrEqual(8192);
    // Cut back more than once, and never far past the limit between two reads.
    expect(largest).toBeLessThan(8192 * 2);
    expect(times.ends.every((e) => e <= size)).toBe(true);
    expect(capture.lastLines('stdout', 1)).toEqual(['a1499']);
    // What is left since the last cut reads back in order, each line as written.
    const numbers = (await readServerLogs({ stateDir, name: 'srv' })).lines.map((l) => Number(/^a(\d+)$/.exec(l.line)?.[1]));
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(numbers.every((n) => Number.isInteger(n) && n < 1500)).toBe(true);
  });
});
