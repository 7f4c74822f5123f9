/**
 * Instructions per request of the plain and the governed gateway, counted by
 * valgrind's callgrind (a script, not a test). Run:
 *   node_modules/.bin/node test/bench/governance-instructions.ts [--warm 20000] [--measure 3000]
 *     [--server bench|canned] [--gateways plain,key,jwt] [--runs 1]
 *   (needs valgrind: `apt-get install valgrind`; a few minutes per gateway and run)
 *
 * Why: governance.bench.ts measures time, and on this shared 2-core VM time
 * drifts by 2× within seconds while other work comes and goes; the instructions
 * a process executes for the same requests do not. What governance adds per
 * request here (the governed gateway minus the plain one) is what the
 * throughput and capacity ratios pay, whatever the machine is doing. Not seen:
 * the kernel (the socket writes, and the audit line's write(2)), cache misses,
 * and the registry's work storing the records.
 *
 * Method, as gateway-instructions.ts: the world of governance.bench.ts (registry,
 * upstreams, issuer; governance-world.ts) runs natively; each gateway runs in
 * turn under callgrind with counting off. One client opens a session through it
 * with its credential, sends `--warm` sequential tools/call requests over one
 * keep-alive connection (V8 optimises the hot path meanwhile), counting is
 * switched on for `--measure` more, then dumped. Under callgrind requests are
 * ~50× slower, so the audit sink's 200 ms batches hold fewer records than under
 * load: the per-record share of a batch upload is larger here than at capacity.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { numberArg, stringArg } from './bench-process.ts';
import { BASE_HEADERS, checkToolCall, GATEWAY_KINDS, startWorld, type GatewayKind, type World } from './governance-world.ts';
import { initSession } from './mcp-session.ts';
import { Connection, requestBytes } from './raw-http-load.ts';

/** Background and amortised work: V8's optimising compilers and its garbage collector (as gateway-instructions.ts). */
const BACKGROUND = /v8::internal::(compiler|maglev|turboshaft|Heap|Scavenger|MarkCompact|MinorMark|Sweeper|Marking|ConcurrentMarking|IncrementalMarking|Evacuat)|Turboshaft|Maglev|Scavenge|MarkingVisitor/;

/** Total instructions of a callgrind dump, and the part in {@link BACKGROUND} functions. */
function countsOf(file: string): { total: number; background: number } {
  const out = execFileSync('callgrind_annotate', ['--threshold=100', file], { maxBuffer: 1 << 28 }).toString();
  let total = 0;
  let background = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2]!.includes('PROGRAM TOTALS')) continue;
    const ir = Number(m[1]!.replace(/,/g, ''));
    total += ir;
    if (BACKGROUND.test(m[2]!)) background += ir;
  }
  return { total, background };
}

/** Sends `n` requests one after another on `conn`; throws on a non-200 answer. */
async function sequential(conn: Connection, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ok = await new Promise<boolean>((resolve) => conn.send(resolve));
    if (!ok) throw new Error(`request ${i + 1} of ${n} failed`);
  }
}

/** Runs one gateway under callgrind and returns its instructions per measured request. */
async function countGateway(world: World, kind: GatewayKind, server: string, warm: number, measure: number): Promise<{ total: number; foreground: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), `berth-callgrind-${kind}-`));
  const wrapper = ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${dir}/cg.%p`];
  const gw = await world.startGateway(kind, { wrapper });
  try {
    const url = `http://127.0.0.1:${gw.port}/mcp/${server}`;
    const headers = { ...BASE_HEADERS, ...gw.auth };
    const sid = await initSession(url, gw.auth);
    await checkToolCall(`${kind} gateway`, url, headers, sid);
    const conn = new Connection(url, requestBytes({ url, headers: { ...headers, 'mcp-session-id': sid } }));
    await sequential(conn, warm);
    execFileSync('callgrind_control', ['--instr=on', String(gw.child.pid)], { stdio: 'ignore' });
    await sequential(conn, measure);
    execFileSync('callgrind_control', ['--dump', String(gw.child.pid)], { stdio: 'ignore' });
    conn.end();
    const dump = readdirSync(dir).find((f) => f.endsWith('.1'));
    if (!dump) throw new Error(`callgrind wrote no dump in ${dir}`);
    const c = countsOf(path.join(dir, dump));
    return { total: c.total / measure, foreground: (c.total - c.background) / measure };
  } finally {
    gw.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('valgrind is not installed: apt-get install valgrind');
    process.exit(2);
  }
  const warm = numberArg('warm', 20_000);
  const measure = numberArg('measure', 3_000);
  const runs = numberArg('runs', 1);
  const server = stringArg('server', 'bench');
  const kinds = GATEWAY_KINDS.filter((k) => stringArg('gateways', GATEWAY_KINDS.join(',')).split(',').includes(k));
  const world = await startWorld();
  try {
    const upstream = server === 'canned' ? 'canned upstream' : 'SDK upstream (SSE)';
    console.log(`instructions per tools/call request in the gateway process (callgrind; ${upstream}; ${warm} warm-up requests, ${measure} counted, one client)`);
    console.log('k = thousands; "foreground" leaves out V8\'s optimising compilers and GC; "plain / this" = what a CPU-bound gateway\'s capacity ratio would be');
    for (let r = 1; r <= runs; r++) {
      let plain: { total: number; foreground: number } | undefined;
      for (const kind of kinds) {
        const c = await countGateway(world, kind, server, warm, measure);
        if (kind === 'plain') plain = c;
        const vs = plain && kind !== 'plain' ? `   added ${((c.total - plain.total) / 1000).toFixed(1)}k (foreground ${((c.foreground - plain.foreground) / 1000).toFixed(1)}k), plain / this ${(plain.total / c.total).toFixed(3)}` : '';
        console.log(`run ${r}  ${kind.padEnd(5)}  all ${(c.total / 1000).toFixed(1)}k   foreground ${(c.foreground / 1000).toFixed(1)}k${vs}`);
      }
    }
  } finally {
    await world.stop();
  }
}

await main();
