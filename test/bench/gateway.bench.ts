/**
 * Gateway benchmark (a script, not a test; no assertions). Run:
 *   node_modules/.bin/node test/bench/gateway.bench.ts [--seconds 2] [--rounds 2] [--warm-seconds 3]   (about 80 s)
 *
 * Prints, measured side by side in one run on loopback:
 *  a) tools/call through the gateway vs direct to the same SDK-built streamable-HTTP
 *     server (stateful session, SSE responses): p50/p99 latency, added latency and
 *     throughput ratio at 1, 16 and 64 concurrent clients;
 *     (the "ref" columns: the same for a minimal 20-line pass-through proxy, for scale);
 *  b) the gateway's own capacity at 64 clients against an upstream answering every
 *     request with a canned JSON-RPC result, next to a minimal pass-through proxy.
 *
 * Processes: the load generator and each upstream run as child processes (this
 * same file, with a role argument) so none shares an event loop with the proxy
 * under test, which runs in this process. Runs alternate direct / proxied in
 * rounds so drift on a busy machine hits both sides alike.
 */
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { initSession } from './mcp-session.ts';
import { referenceProxy } from './reference-proxy.ts';

const SELF = new URL(import.meta.url).pathname;
const role = process.argv[2] ?? 'main';
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};

// ---------------------------------------------------------------- upstreams

async function sdkUpstream(): Promise<void> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const { z } = await import('zod');
  const transports = new Map<string, InstanceType<typeof StreamableHTTPServerTransport>>();
  const server = http.createServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let t = sid ? transports.get(sid) : undefined;
    if (!t) {
      const mcp = new McpServer({ name: 'bench', version: '1.0.0' });
      mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
      const created: InstanceType<typeof StreamableHTTPServerTransport> = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      await mcp.connect(created);
      t = created;
    }
    await t.handleRequest(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`));
}

function cannedUpstream(): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown }).id ?? null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"hello"}]}}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`));
}

// ------------------------------------------------------------ load generator

interface LoadConfig {
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  headers: Record<string, string>;
}
interface LoadResult {
  /** CPU time (user+system, µs) this process (where the proxy under test runs) used while measuring. */
  proxyCpuUs?: number;
  count: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

function loadgen(): void {
  const cfg = JSON.parse(process.argv[3]!) as LoadConfig;
  const u = new URL(cfg.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency, maxFreeSockets: cfg.concurrency });
  const lat = new Float64Array(4_000_000);
  let n = 0;
  let errors = 0;
  let measuring = false;
  let stop = false;
  let seq = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const body = `{"jsonrpc":"2.0","id":${++seq},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`;
      const t0 = performance.now();
      const req = http.request(
        { agent, hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { ...cfg.headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            else if (measuring && n < lat.length) lat[n++] = performance.now() - t0;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const worker = async () => {
    while (!stop) await one();
  };
  const workers = Array.from({ length: cfg.concurrency }, worker);
  let started = 0;
  setTimeout(() => {
    measuring = true;
    errors = 0;
    started = performance.now();
    process.stdout.write('START\n');
    setTimeout(() => {
      measuring = false;
      stop = true;
      process.stdout.write('STOP\n');
      const seconds = (performance.now() - started) / 1000;
      void Promise.all(workers).then(() => {
        const result: LoadResult = { count: n, errors, seconds, latenciesMs: Array.from(lat.subarray(0, n)) };
        process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
      });
    }, cfg.durationMs);
  }, cfg.warmupMs);
}

// --------------------------------------------------------------- orchestrator

async function spawnRole(r: string, extra: string[] = []): Promise<{ port: number; stop: () => void; output: Promise<string> }> {
  const child = spawn(process.execPath, [SELF, r, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let all = '';
  const output = new Promise<string>((resolve) => {
    child.stdout!.on('data', (c: Buffer) => (all += c.toString()));
    child.once('exit', () => resolve(all));
  });
  const port = await new Promise<number>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^LISTENING (\d+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    if (r === 'loadgen') resolve(0);
  });
  return { port, stop: () => child.kill('SIGKILL'), output };
}

async function runLoad(cfg: LoadConfig): Promise<LoadResult> {
  const child = spawn(process.execPath, [SELF, 'loadgen', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpuUs = 0;
  let last = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'START') cpu0 = process.cpuUsage();
    else if (line === 'STOP' && cpu0) {
      const d = process.cpuUsage(cpu0);
      cpuUs = d.user + d.system;
    } else if (line.startsWith('{')) last = line;
  });
  await new Promise((r) => child.once('close', r));
  return { ...(JSON.parse(last) as LoadResult), proxyCpuUs: cpuUs };
}

function summarise(results: LoadResult[]): { rps: number; p50: number; p99: number; errors: number; cpuUsPerReq: number } {
  const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const count = results.reduce((s, r) => s + r.count, 0);
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
  const cpu = results.reduce((s, r) => s + (r.proxyCpuUs ?? 0), 0);
  return { rps: count / seconds, p50: pct(50), p99: pct(99), errors: results.reduce((s, r) => s + r.errors, 0), cpuUsPerReq: cpu / count };
}

/** Starts the shared reference proxy on a free port. */
function startReferenceProxy(upstreamPort: number): Promise<{ url: string; close: () => void }> {
  const { server, close } = referenceProxy(upstreamPort);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, close })),
  );
}

async function main(): Promise<void> {
  const { RouteTable } = await import('../../src/gateway/route-table.ts');
  const { startGateway } = await import('../../src/gateway/gateway.ts');
  const { API_VERSION } = await import('../../src/manifest/resource.ts');
  const seconds = arg('seconds', 2);
  const rounds = arg('rounds', 2);
  const warmupMs = 700;
  const logger = pino({ level: 'warn' });
  const t0 = Date.now();

  const routeTo = (endpoint: string) => ({
    apiVersion: API_VERSION,
    kind: 'MCPServer' as const,
    metadata: { name: 'bench', resourceVersion: '1' },
    spec: { owner: { team: 'bench' }, environment: 'dev' as const, lifecycle: 'approved-dev' as const, risk: 'low' as const, dataClassification: 'internal' as const },
    status: { endpoint, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'ok', lastTransitionTime: new Date().toISOString() }] },
  });

  // a) gateway vs direct against an SDK-built server
  const sdk = await spawnRole('sdk-upstream');
  const direct = `http://127.0.0.1:${sdk.port}/mcp`;
  const table = new RouteTable();
  table.replaceAll([routeTo(direct)]);
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger });
  const viaGateway = `${gw.url}/mcp/bench`;
  const refA = await startReferenceProxy(sdk.port);
  const sid = await initSession(direct);
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
  // Warm every path (JIT of the proxies' code and of node:http in this process)
  // before measuring: otherwise whichever runs first, the gateway, pays for it,
  // and the 1-client row mostly measures compilation, not the data path.
  for (const url of [direct, viaGateway, refA.url]) await runLoad({ url, concurrency: 16, warmupMs: 0, durationMs: arg('warm-seconds', 3) * 1000, headers });
  const rowsA: string[] = [];
  for (const concurrency of [1, 16, 64]) {
    const d: LoadResult[] = [];
    const g: LoadResult[] = [];
    const f: LoadResult[] = [];
    for (let r = 0; r < rounds; r++) {
      d.push(await runLoad({ url: direct, concurrency, warmupMs, durationMs: seconds * 1000, headers }));
      g.push(await runLoad({ url: viaGateway, concurrency, warmupMs, durationMs: seconds * 1000, headers }));
      f.push(await runLoad({ url: refA.url, concurrency, warmupMs, durationMs: seconds * 1000, headers }));
    }
    const ds = summarise(d);
    const gs = summarise(g);
    const fs = summarise(f);
    rowsA.push(
      [
        String(concurrency).padStart(7),
        ds.p50.toFixed(3).padStart(10),
        gs.p50.toFixed(3).padStart(10),
        (gs.p50 - ds.p50).toFixed(3).padStart(10),
        ds.p99.toFixed(3).padStart(10),
        gs.p99.toFixed(3).padStart(10),
        (gs.p99 - ds.p99).toFixed(3).padStart(10),
        ds.rps.toFixed(0).padStart(9),
        gs.rps.toFixed(0).padStart(9),
        (gs.rps / ds.rps).toFixed(3).padStart(7),
        (fs.p50 - ds.p50).toFixed(3).padStart(9),
        (fs.rps / ds.rps).toFixed(3).padStart(9),
        gs.cpuUsPerReq.toFixed(1).padStart(8),
        fs.cpuUsPerReq.toFixed(1).padStart(8),
        String(ds.errors + gs.errors + fs.errors).padStart(6),
      ].join(' '),
    );
  }
  sdk.stop();
  refA.close();

  // b) capacity against a canned upstream: gateway vs a minimal pass-through proxy
  const canned = await spawnRole('canned-upstream');
  table.replaceAll([routeTo(`http://127.0.0.1:${canned.port}/mcp`)]);
  const ref = await startReferenceProxy(canned.port);
  const cannedHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const refRuns: LoadResult[] = [];
  const gwRuns: LoadResult[] = [];
  for (let r = 0; r < rounds; r++) {
    refRuns.push(await runLoad({ url: ref.url, concurrency: 64, warmupMs, durationMs: seconds * 1000, headers: cannedHeaders }));
    gwRuns.push(await runLoad({ url: viaGateway, concurrency: 64, warmupMs, durationMs: seconds * 1000, headers: cannedHeaders }));
  }
  const refS = summarise(refRuns);
  const gwS = summarise(gwRuns);
  canned.stop();
  ref.close();
  await gw.close();

  console.log(`\nGateway benchmark — loopback, ${rounds} alternating rounds × ${seconds} s per side, Node ${process.version}\n`);
  console.log('a) tools/call via gateway vs direct to an SDK streamable-HTTP server (ms, req/s)');
  console.log(' clients  p50 direct p50 gatewy  added p50 p99 direct p99 gatewy  added p99 rps direct rps gatewy  ratio  ref +p50 ref ratio  gw cpu ref cpu errors');
  for (const row of rowsA) console.log(row);
  console.log('\nb) capacity at 64 clients against a canned-result upstream (req/s)');
  console.log(`   reference 20-line proxy: ${refS.rps.toFixed(0).padStart(7)}  (p50 ${refS.p50.toFixed(3)} ms, p99 ${refS.p99.toFixed(3)} ms, errors ${refS.errors}, proxy CPU ${refS.cpuUsPerReq.toFixed(1)} µs/req)`);
  console.log(`   berth gateway:           ${gwS.rps.toFixed(0).padStart(7)}  (p50 ${gwS.p50.toFixed(3)} ms, p99 ${gwS.p99.toFixed(3)} ms, errors ${gwS.errors}, proxy CPU ${gwS.cpuUsPerReq.toFixed(1)} µs/req)`);
  console.log(`   ratio gateway / reference: ${(gwS.rps / refS.rps).toFixed(3)}`);
  console.log(`   CPU per request gateway / reference: ${(gwS.cpuUsPerReq / refS.cpuUsPerReq).toFixed(3)}  (load-independent efficiency)`);
  console.log(`\nmachine load average at end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (role === 'sdk-upstream') await sdkUpstream();
else if (role === 'canned-upstream') cannedUpstream();
else if (role === 'loadgen') loadgen();
else await main();
