import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutputCapture, type OutputCapture } from './output-capture.ts';

const dirs: string[] = [];
const captures: OutputCapture[] = [];
afterEach(async () => {
  for (const c of captures.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A capture in a fresh folder whose logger records the `{ stream, line }` it is given. */
function setup(opts: { pollMs?: number; maxBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-capture-'));
  dirs.push(dir);
  const logged: { stream: string; line: string }[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(text);
        const { stream, line } = JSON.parse(text) as { stream: string; line: string };
        logged.push({ stream, line });
      }
      done();
    },
  });
  // Bound as the supervisor binds it.
  const capture = createOutputCapture({ dir, name: 'srv', logger: pino(sink).child({ server: 'srv', source: 'process' }), ...opts });
  captures.push(capture);
  return { dir, capture, logged, raw };
}

/** Runs `script` in a child writing to the capture's files, as the supervisor does. */
function runChild(capture: OutputCapture, script: string) {
  const fds = capture.openForChild();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', fds.stdout, fds.stderr] });
  fds.closeFds();
  return child;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createOutputCapture', () => {
  it("follows a running child's output as it is written, long before the next poll", async () => {
    // A minute between polls: only the change events can bring these lines in time.
    const { capture, logged } = setup({ pollMs: 60_000 });
    const child = runChild(capture, `console.log('ready on 1234'); setTimeout(() => { console.error('warn: slow'); process.stdout.write('part'); }, 300); setTimeout(() => console.log('ial line'), 600); setTimeout(() => {}, 10_000);`);
    try {
      await capture.follow(false);
      await until(() => capture.lastLines('stdout', 5).includes('partial line') && capture.lastLines('stderr', 5).includes('warn: slow'), 5000);
      expect(capture.lastLines('stdout', 5)).toEqual(['ready on 1234', 'partial line']);
      expect(logged).toContainEqual({ stream: 'stderr', line: 'warn: slow' });
      expect(logged.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['ready on 1234', 'partial line']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('still reads by polling when a file sends no events (replaced behind its back)', async () => {
    const { dir, capture } = setup({ pollMs: 100 });
    runChild(capture, '');
    await capture.follow(false);
    // Replacing the file ends the watch on the old one; the poll must carry on.
    rmSync(join(dir, 'srv.stdout.log'));
    writeFileSync(join(dir, 'srv.stdout.log'), 'written by someone else\n');
    await until(() => capture.lastLines('stdout', 1)[0] === 'written by someone else', 5000);
  });

  it("keeps an adopted process's tail for crash reports without logging it again", async () => {
    const { dir, capture, logged } = setup();
    writeFileSync(join(dir, 'srv.stderr.log'), 'old 1\nold 2\n');
    writeFileSync(join(dir, 'srv.stdout.log'), '');
    await capture.follow(true);
    expect(capture.lastLines('stderr', 5)).toEqual(['old 1', 'old 2']);
    expect(logged).toEqual([]);
  });

  it('cuts a file back to empty past maxBytes and keeps following it', async () => {
    const { dir, capture } = setup({ maxBytes: 4096 });
    const child = runChild(capture, `console.log('x'.repeat(5000)); setTimeout(() => console.log('after the cut'), 500); setTimeout(() => {}, 10_000);`);
    try {
      await capture.follow(false);
      await until(() => capture.lastLines('stdout', 1)[0] === 'after the cut', 5000);
      expect(statSync(join(dir, 'srv.stdout.log')).size).toBeLessThan(4096);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("logs a server's JSON line as its own record (its msg, level and fields), never letting it claim another server's name", async () => {
    const { capture, raw } = setup({ pollMs: 50 });
    const line = JSON.stringify({ level: 50, time: 1, pid: 1, hostname: 'h', server: 'gateway', stream: 'stdout', msg: 'db down', retry: 3 });
    const child = runChild(capture, `console.error(${JSON.stringify(line)}); console.error('plain words'); console.log('[1,2]');`);
    await capture.follow(false);
    await new Promise((r) => child.once('exit', r));
    await until(() => raw.length >= 3, 5000);
    const records = raw.map((t) => JSON.parse(t) as Record<string, unknown>);
    const own = records.find((r) => r.msg === 'db down')!;
    expect(own).toMatchObject({ level: 50, server: 'srv', source: 'process', stream: 'stderr', retry: 3 });
    expect(own.line).toBeUndefined();
    // JSON.parse keeps the last of duplicate keys: the claimed name must not be written at all.
    const text = raw.find((t) => t.includes('db down'))!;
    expect(text.match(/"server":/g)).toHaveLength(1);
    expect(text.match(/"stream":/g)).toHaveLength(1);
    expect(records.find((r) => r.msg === 'plain words')).toMatchObject({ level: 30, server: 'srv', stream: 'stderr', line: 'plain words' });
    expect(records.find((r) => r.msg === '[1,2]')).toMatchObject({ level: 30, stream: 'stdout', line: '[1,2]' });
  });
});
