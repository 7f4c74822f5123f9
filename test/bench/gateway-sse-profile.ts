/**
 * Profiling harness for the gateway's SSE response path (a script, not a test).
 * Runs each proxy under test in its own process (optionally with `--cpu-prof`),
 * the SDK upstream and the load generator in others (all roles of
 * gateway.bench.ts), and prints the proxy process's CPU µs per request read from
 * /proc, plus the top self-time functions when profiled. Run:
 *   node_modules/.bin/node test/bench/gateway-sse-profile.ts [--seconds 4] [--clients 16] [--rounds 3] [--profile]
 *   [--warmup-rounds 1] (discarded);
 *   add --strace for per-run syscall counts (strace -c) of the proxy process.
 * It measures direct (the cpu column is then the upstream's), the berth gateway and
 * the 20-line reference proxy alternately.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { GATEWAY_BENCH as BENCH, procCpuUs, spawnListening, numberArg } from './bench-process.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initSession } from './mcp-session.ts';
import type { LoadResult } from './raw-http-load.ts';

const flag = (name: string): boolean => process.argv.includes(`--${name}`);
/** With --strace: per-run `strace -c` summaries of the proxy process. */
const straceOut: string[] | undefined = flag('strace') ? [] : undefined;

// --------------------------------------------------------------- orchestrator

async function runLoad(url: string, concurrency: number, seconds: number, headers: Record<string, string>, proxyPid: number) {
  const cfg = { targets: [{ url, headers }], concurrency, warmupMs: 700, durationMs: seconds * 1000 };
  const child = spawn(process.execPath, [BENCH, 'loadgen', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let cpu0 = { user: 0, sys: 0 };
  let cpu = { user: 0, sys: 0 };
  let last = '';
  let tracer: ChildProcess | undefined;
  let traceDone: Promise<string> | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'START') {
      cpu0 = procCpuUs(proxyPid);
      if (straceOut) {
        // Syscall counts of the proxy during the measured window only.
        tracer = spawn('strace', ['-c', '-f', '-p', String(proxyPid)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let text = '';
        tracer.stderr!.on('data', (c: Buffer) => (text += c.toString()));
        traceDone = new Promise((r) => tracer!.once('exit', () => r(text)));
      }
    } else if (line === 'STOP') {
      const now = procCpuUs(proxyPid);
      cpu = { user: now.user - cpu0.user, sys: now.sys - cpu0.sys };
      tracer?.kill('SIGINT');
    } else if (line.startsWith('{')) last = line;
  });
  await new Promise((r) => child.once('close', r));
  const res = JSON.parse(last) as LoadResult;
  const count = res.counts[0]!;
  if (traceDone && straceOut) straceOut.push(`${url} — ${count} requests\n${await traceDone}`);
  const lat = res.latenciesMs[0]!.sort((a, b) => a - b);
  return { rps: count / res.seconds, p50: lat[Math.floor(lat.length / 2)] ?? NaN, cpuUsPerReq: (cpu.user + cpu.sys) / count, userUsPerReq: cpu.user / count, sysUsPerReq: cpu.sys / count };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function topSelf(file: string, n: number): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byNode = new Map<number, ProfileNode>(prof.nodes.map((x) => [x.id, x]));
  const counts = new Map<string, number>();
  for (const s of prof.samples) {
    const node = byNode.get(s)!;
    const f = node.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(node_modules|src|lib)\//, '$1/')}:${f.lineNumber + 1}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  counts.delete('(idle) :0');
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
}

async function main(): Promise<void> {
  const seconds = numberArg('seconds', 4);
  const clients = numberArg('clients', 16);
  const rounds = numberArg('rounds', 3);
  const profile = flag('profile');
  const up = await spawnListening([BENCH, 'sdk-upstream', 'sse']);
  const sid = await initSession(`http://127.0.0.1:${up.port}/mcp`);
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
  const kinds = ['gateway', 'ref'] as const;
  const measured = ['direct', ...kinds] as const;
  const profDirs: Record<string, string> = {};
  const proxies: Record<string, { port: number; child: ChildProcess }> = { direct: up };
  for (const k of kinds) {
    profDirs[k] = mkdtempSync(path.join(tmpdir(), `berth-prof-${k}-`));
    const nodeFlags = profile ? ['--cpu-prof', '--cpu-prof-dir', profDirs[k]!, '--cpu-prof-interval', '100'] : [];
    proxies[k] = await spawnListening([BENCH, k === 'ref' ? 'reference' : 'gateway', String(up.port)], { nodeFlags });
  }
  // The gateway hands out its own (sealed) session ids: it gets a session of its own.
  const gatewayHeaders = { ...headers, 'mcp-session-id': await initSession(`http://127.0.0.1:${proxies.gateway!.port}/mcp/bench`) };
  const results: Record<string, Awaited<ReturnType<typeof runLoad>>[]> = { direct: [], gateway: [], ref: [] };
  // Discarded first round(s): JIT warm-up of each proxy process otherwise dominates.
  const warmupRounds = numberArg('warmup-rounds', 1);
  for (let r = 0; r < warmupRounds + rounds; r++) {
    for (const k of measured) {
      const p = proxies[k]!;
      const path = k === 'gateway' ? '/mcp/bench' : '/mcp';
      const result = await runLoad(`http://127.0.0.1:${p.port}${path}`, clients, seconds, k === 'gateway' ? gatewayHeaders : headers, p.child.pid!);
      if (r >= warmupRounds) results[k]!.push(result);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const directP50 = median(results.direct!.map((x) => x.p50));
  const directRps = results.direct!.reduce((a, x) => a + x.rps, 0);
  for (const k of measured) {
    const rs = results[k]!;
    if (k !== 'direct') console.log(`${k.padEnd(8)} added p50 (median of runs) ${(median(rs.map((x) => x.p50)) - directP50).toFixed(3)} ms, throughput ratio vs direct ${(rs.reduce((a, x) => a + x.rps, 0) / directRps).toFixed(3)}`);
    const mean = (f: (x: (typeof rs)[number]) => number) => rs.reduce((a, x) => a + f(x), 0) / rs.length;
    console.log(`${k.padEnd(8)} clients ${clients}: cpu µs/req mean ${mean((x) => x.cpuUsPerReq).toFixed(1)} (user ${mean((x) => x.userUsPerReq).toFixed(1)} sys ${mean((x) => x.sysUsPerReq).toFixed(1)}) runs ${rs.map((x) => x.cpuUsPerReq.toFixed(1)).join(' / ')}  rps ${rs.map((x) => x.rps.toFixed(0)).join(' / ')}  p50 ms ${rs.map((x) => x.p50.toFixed(3)).join(' / ')}`);
  }
  for (const k of kinds) {
    const c = proxies[k]!.child;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }
  up.child.kill('SIGKILL');
  if (straceOut) for (const t of straceOut) console.log(`\n${t}`);
  if (profile) {
    for (const k of kinds) {
      const f = readdirSync(profDirs[k]!).find((x) => x.endsWith('.cpuprofile'));
      if (!f) continue;
      console.log(`\n${k}: top self time, % of non-idle samples (${path.join(profDirs[k]!, f)})`);
      for (const line of topSelf(path.join(profDirs[k]!, f), numberArg('top', 30))) console.log(line);
    }
  }
}

await main();
