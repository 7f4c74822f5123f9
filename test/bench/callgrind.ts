/**
 * Counting a process's instructions per request under valgrind's callgrind, for
 * the instruction-count scripts (gateway-instructions.ts, governance-instructions.ts).
 * The process is started with {@link callgrindWrapper} (counting off); the caller
 * warms it up over one keep-alive connection, then {@link countRequests} switches
 * counting on for the measured requests and reads the dump.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from './raw-http-load.ts';

/** Background and amortised work: V8's optimising compilers and its garbage collector. */
const BACKGROUND = /v8::internal::(compiler|maglev|turboshaft|Heap|Scavenger|MarkCompact|MinorMark|Sweeper|Marking|ConcurrentMarking|IncrementalMarking|Evacuat)|Turboshaft|Maglev|Scavenge|MarkingVisitor/;

/** Instructions per measured request: all, those outside {@link BACKGROUND}, and those of V8's nextTick slow path. */
export interface RequestCounts {
  total: number;
  foreground: number;
  nextTickSlowPath: number;
}

/** Exits 2 with the install hint when valgrind is missing. */
export function requireValgrind(): void {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('valgrind is not installed: apt-get install valgrind');
    process.exit(2);
  }
}

/** A fresh folder for one process's dumps, and the command prefix that runs the process under callgrind with counting off. */
export function callgrindWrapper(label: string): { dir: string; wrapper: string[]; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-callgrind-${label}-`));
  const wrapper = ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${dir}/cg.%p`];
  return { dir, wrapper, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Sends `n` requests one after another on `conn`; throws on a non-200 answer. */
export async function sequential(conn: Connection, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ok = await new Promise<boolean>((resolve) => conn.send(resolve));
    if (!ok) throw new Error(`request ${i + 1} of ${n} failed`);
  }
}

/**
 * Warms the process `pid` (run under {@link callgrindWrapper}'s `dir`) with `warm`
 * requests on `conn`, counts `measure` more, and returns the counts per measured request.
 */
export async function countRequests(pid: number, dir: string, conn: Connection, warm: number, measure: number): Promise<RequestCounts> {
  await sequential(conn, warm);
  execFileSync('callgrind_control', ['--instr=on', String(pid)], { stdio: 'ignore' });
  await sequential(conn, measure);
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  const dump = readdirSync(dir).find((f) => f.endsWith('.1'));
  if (!dump) throw new Error(`callgrind wrote no dump in ${dir}`);
  const c = countsOf(path.join(dir, dump));
  return { total: c.total / measure, foreground: (c.total - c.background) / measure, nextTickSlowPath: c.nextTickSlowPath / measure };
}

/** Total instructions of a callgrind dump, the part in {@link BACKGROUND} functions, and V8's nextTick slow path. */
function countsOf(file: string): { total: number; background: number; nextTickSlowPath: number } {
  const out = execFileSync('callgrind_annotate', ['--threshold=100', file], { maxBuffer: 1 << 28 }).toString();
  let total = 0;
  let background = 0;
  let nextTickSlowPath = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2]!.includes('PROGRAM TOTALS')) continue;
    const ir = Number(m[1]!.replace(/,/g, ''));
    total += ir;
    if (BACKGROUND.test(m[2]!)) background += ir;
    if (m[2]!.includes('Runtime_DefineKeyedOwnPropertyInLiteral')) nextTickSlowPath += ir;
  }
  return { total, background, nextTickSlowPath };
}
