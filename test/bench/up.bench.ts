/**
 * "Apply to routable" benchmark (a script, not a test; no assertions). Run:
 *   node_modules/.bin/node test/bench/up.bench.ts [--servers 50]   (about 1–2 min)
 *
 * Starts a real `berth up --no-examples` on a fresh state folder, then measures,
 * for 1 server and then for N servers applied all at once through the registry's
 * HTTP API (as `berth apply` does), the time from the apply request to:
 *  - Ready: the first registry read showing Ready for the applied generation;
 *  - routable: the first successful MCP `tools/list` through the gateway (an
 *    official SDK client on the server's route).
 * Each server is a copy of the small SDK-built streamable-HTTP test server
 * (test/fixtures/mcp-servers/http-server.ts) under its own name and path.
 * Also prints how long one `berth apply -f` of the CLI takes end to end (process
 * start included), for scale. Stops berth up with SIGTERM and reports leftovers.
 */
import { parse } from 'yaml';
import type { MCPServer } from '../../src/manifest/types.ts';
import { HttpRegistryClient } from '../../src/client/http-client.ts';
import {
  berth,
  connectThroughGateway,
  fixtureManifest,
  isReady,
  killLeftovers,
  listServers,
  processesOf,
  rawPost,
  startBerthUp,
  tempDir,
  type BerthUp,
} from '../e2e-harness.ts';

const argValue = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const MANY = argValue('servers', 50);
/** Gateway poll interval per server: fine for one, coarser for many so polling does not load the 2 cores it measures. */
const pollMs = (count: number): number => (count === 1 ? 25 : 200);

interface Timing {
  name: string;
  readyMs: number;
  routableMs: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Polls the gateway cheaply (one raw POST) until the route answers, then proves it with an SDK tools/list. */
async function waitRoutable(up: BerthUp, path: string, t0: number, deadline: number, everyMs: number): Promise<number> {
  while (performance.now() < deadline) {
    const r = await rawPost(up.gatewayUrl, path).catch(() => ({ status: 0 }));
    if (r.status !== 0 && r.status !== 404 && r.status !== 503) {
      const at = performance.now();
      try {
        const client = await connectThroughGateway(up.gatewayUrl, path);
        try {
          const { tools } = await client.listTools();
          if (tools.some((t) => t.name === 'echo')) return at - t0;
        } finally {
          await client.close();
        }
      } catch {
        // not yet: poll again
      }
    }
    await new Promise((res) => setTimeout(res, everyMs));
  }
  throw new Error(`${path} not routable before the deadline`);
}

/** Applies `names` at once through the HTTP API and times each to Ready and to routable. */
async function measure(up: BerthUp, prefix: string, count: number): Promise<{ timings: Timing[]; totalMs: number }> {
  const client = new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token });
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
  const objects = names.map((n) => parse(fixtureManifest(n, { env: { BENCH: n } })) as MCPServer);
  const t0 = performance.now();
  await Promise.all(objects.map((o) => client.apply(o)));
  const appliedMs = performance.now() - t0;
  const deadline = t0 + 120_000;
  const readyAt = new Map<string, number>();
  let watching = true;
  const readyWatch = (async () => {
    while (watching && readyAt.size < count && performance.now() < deadline) {
      const items = await listServers(up);
      const now = performance.now() - t0;
      for (const s of items) if (names.includes(s.metadata.name) && !readyAt.has(s.metadata.name) && isReady(s)) readyAt.set(s.metadata.name, now);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  const routable = await Promise.all(names.map((n) => waitRoutable(up, `/mcp/${n}`, t0, deadline, pollMs(count))));
  const totalMs = performance.now() - t0;
  await readyWatch;
  watching = false;
  process.stdout.write(`  (${count} apply request${count > 1 ? 's' : ''} answered in ${fmt(appliedMs)}; gateway polled every ${pollMs(count)} ms per server)\n`);
  return { timings: names.map((name, i) => ({ name, readyMs: readyAt.get(name) ?? NaN, routableMs: routable[i]! })), totalMs };
}

function report(label: string, { timings, totalMs }: { timings: Timing[]; totalMs: number }): void {
  const routable = timings.map((t) => t.routableMs).sort((a, b) => a - b);
  const ready = timings.map((t) => t.readyMs).filter((n) => !Number.isNaN(n)).sort((a, b) => a - b);
  process.stdout.write(
    `${label.padEnd(14)} apply→routable p50 ${fmt(quantile(routable, 0.5))}  max ${fmt(quantile(routable, 1))}` +
      `   apply→Ready p50 ${fmt(quantile(ready, 0.5))}  max ${fmt(quantile(ready, 1))}` +
      `   all routable after ${fmt(totalMs)}\n`,
  );
}

const tmp = tempDir('bench');
const stateDir = `${tmp.dir}/.berth`;
const up = await startBerthUp({ stateDir, examples: false });
process.stdout.write(`berth up: registry ${up.registryUrl}, gateway ${up.gatewayUrl}; state ${stateDir}\n`);
try {
  // For scale: one `berth apply -f` end to end (a Node process start included).
  const { writeFileSync } = await import('node:fs');
  const file = `${tmp.dir}/cli-probe.yaml`;
  writeFileSync(file, fixtureManifest('cli-probe', { lifecycle: 'draft' }));
  const c0 = performance.now();
  const cli = await berth(up, ['apply', '-f', file]);
  process.stdout.write(`one \`berth apply -f\` (CLI process included): ${fmt(performance.now() - c0)} (exit ${cli.code})\n`);

  process.stdout.write('\n1 server:\n');
  report('1 server', await measure(up, 'solo', 1));
  process.stdout.write(`\n${MANY} servers applied at once:\n`);
  report(`${MANY} servers`, await measure(up, 'fleet', MANY));
  const procs = (await processesOf(stateDir)).filter((p) => p.server && p.groupLeader).length;
  process.stdout.write(`server processes running: ${procs}\n`);
} finally {
  const stopped = await up.stop(60_000);
  const left = await killLeftovers(stateDir);
  process.stdout.write(`\nSIGTERM → berth up exited with ${stopped.code ?? stopped.signal} in ${fmt(stopped.ms)}; processes left afterwards: ${left}\n`);
  tmp.remove();
}
