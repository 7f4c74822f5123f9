/**
 * Governance benchmark (a script, not a test; it prints figures and asserts nothing). Run:
 *   node_modules/.bin/node test/bench/governance.bench.ts [--rounds 7] [--seconds 1.5]
 *     [--latency-seconds 3] [--warm-seconds 3] [--sessions 64] [--cpu-prof-dir DIR]   (2–3 min)
 *
 * What it compares: `tools/call` through three gateway processes over the same
 * registry and the same upstream, measured in one run:
 *  - plain: the gateway without the `governance` option (routing only);
 *  - key:   governed (authn + authz + audit), the caller presents a Berth agent key;
 *  - jwt:   governed the same way, the caller presents an OIDC access token (RS256).
 * Both governed gateways are configured identically (agent keys and the identity
 * provider); only the credential the load sends differs.
 *
 * Measured:
 *  a) 1 client: p50/p99 latency with requests to the three gateways interleaved one
 *     by one in random order, `--rounds` runs of `--latency-seconds`; "added" is
 *     the governed p50 minus the plain p50 of the same run (median of runs, range);
 *  b) 64 clients: each gateway alone in short slices (`--seconds`), alternating,
 *     the order rotated every round; the ratio is each slice's requests/s over the
 *     plain slice of the same round (median of rounds, range); plus CPU per
 *     request of the gateway process (from /proc);
 *  c) capacity: b) against an upstream answering every POST at once with a fixed
 *     JSON-RPC result, so the gateways themselves are the bottleneck.
 * Then the issue's targets beside the measured figures, and the audit records the
 * registry holds per governed gateway (read from its SQLite file after the
 * gateways flushed), so it is plain that the governed paths really audited.
 *
 * Processes, each its own (so none shares an event loop with another): the
 * orchestrator (this script; it also runs the local OIDC issuer, which is asked
 * only once per gateway, for discovery and keys), the load generator (a fresh one
 * per slice, raw-http-load.ts), the SDK-built upstream (gateway.bench.ts's
 * stateful SSE server), the canned upstream, a registry over SQLite in a temp
 * dir (startRegistryServer, as `berth registry` runs it), and the three gateways,
 * wired as `berth gateway` wires itself (src/cli/runtime.ts): routes and policies
 * followed from the registry over HTTP with a gateway token, agent keys reviewed
 * by the registry, audit batches written to it. Every load client has its own MCP
 * session, opened through the gateway it loads with its credential (a governed
 * gateway binds sessions to their caller).
 *
 * Deviations from a deployment, on purpose: the default rate limits are raised
 * (600/min per agent would throttle the benchmark within a second; a policy may
 * not grant more than 100,000/min); each gateway's JSON log — the per-call audit
 * line at level info — is written synchronously (one write(2) per line, as to
 * stdout on a pipe) to a file in the temp dir, scanned for warnings at the end.
 * The registry runs on the same 2 cores, so its audit inserts take CPU from the
 * gateways during governed slices (its CPU per stored record is printed); in
 * production it is another machine.
 *
 * `--cpu-prof-dir DIR`: the gateways and the registry write V8 CPU profiles of the
 * whole run there; the script prints how to summarise them (cpu-profile-top.ts,
 * per request, the governed gateway against the plain one).
 *
 * Why interleaved slices and per-round ratios: this 2-core VM's speed drifts by
 * up to 2× within seconds (see gateway.bench.ts's header).
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import pino from 'pino';
import { HttpRegistryClient } from '../../src/client/http-client.ts';
import { numberArg, procCpuUs, stringArg } from './bench-process.ts';
import { AUDIENCE, BASE_HEADERS, checkToolCall, GATEWAY_KINDS, KEY_AGENT, startWorld, type GatewayConfig, type StartedGateway } from './governance-world.ts';
import { initSession } from './mcp-session.ts';
import { rawHttpLoad, type LoadConfig, type LoadResult, type LoadTarget } from './raw-http-load.ts';
import { LOOPBACK_REMOTES } from '../support/remote-allow.ts';

const SELF = new URL(import.meta.url).pathname;
const role = process.argv[2] ?? 'main';

/** Default buckets high enough never to refuse the benchmark (see the header). */
const UNLIMITED = { requestsPerMinute: 1e9, burst: 1e9 };

// ------------------------------------------------------------------ roles

/** Listens on a free loopback port and tells the orchestrator which. */
const listening = (server: http.Server) =>
  server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`));

/**
 * Answers every POST at once with a fixed tools/call result; an `initialize`
 * also gets an `Mcp-Session-Id`, so the governed gateways bind sessions here as
 * they do on the SDK upstream and each load client keeps its own session.
 */
function cannedUpstream(): void {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString()) as { id?: unknown; method?: string };
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (msg.method === 'initialize') headers['mcp-session-id'] = randomUUID();
      res.writeHead(200, headers);
      res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"content":[{"type":"text","text":"hello"}]}}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  listening(server);
}

/** The registry API over a SQLite file in `stateDir` (its admin token lands there too). */
async function registryRole(stateDir: string): Promise<void> {
  const { openSqliteStore } = await import('../../src/registry/sqlite-store.ts');
  const { startRegistryServer } = await import('../../src/registry/server.ts');
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const store = await openSqliteStore({ path: join(stateDir, 'registry.db'), logger });
  const registry = await startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir, logger, remoteAddresses: LOOPBACK_REMOTES });
  process.on('SIGTERM', () => void registry.close().then(() => store.close()).finally(() => process.exit(0)));
  process.stdout.write(`LISTENING ${new URL(registry.url).port}\n`);
}

/**
 * A gateway wired as src/cli/runtime.ts wires `berth gateway`, plain or governed.
 * SIGTERM: stop, flush the audit, print `AUDIT {"requests":R,"persisted":N,"lost":M}`, exit
 * (normally, so a `--cpu-prof` profile is written).
 */
async function gatewayRole(cfg: GatewayConfig): Promise<void> {
  const { followRegistry, RouteTable, startGateway } = await import('../../src/gateway/index.ts');
  const { createGovernance } = await import('../../src/gateway/governance/governance.ts');
  const { logOptions } = await import('../../src/kit/log-options.ts');
  // Written in the background, as berth gateway's stdout and berth up's log file are (src/cli/logger.ts).
  const logDestination = pino.destination({ dest: cfg.logFile, sync: false });
  const logger = pino(logOptions('gateway', 'info'), logDestination);
  const client = new HttpRegistryClient({ baseUrl: cfg.registryUrl, token: cfg.token });
  const routeTable = new RouteTable();
  // Requests served, for the report and profiles' per-request figures: the proxy looks every request's route up once.
  let requests = 0;
  const lookup = routeTable.lookup.bind(routeTable);
  routeTable.lookup = (...args) => {
    requests++;
    return lookup(...args);
  };
  const following = followRegistry(client, routeTable, { logger: logger.child({ part: 'gateway-routes' }) });
  const gatewayLog = logger.child({ part: 'gateway' });
  const governance = cfg.governed
    ? createGovernance({
        registry: client,
        routeTable,
        logger: gatewayLog,
        publicUrl: AUDIENCE,
        oidc: { issuer: cfg.issuer, audience: AUDIENCE },
        defaultRateLimit: UNLIMITED,
        defaultServerRateLimit: UNLIMITED,
      })
    : undefined;
  await Promise.all([following.synced(), governance?.synced()]);
  const gateway = await startGateway({ routeTable, host: '127.0.0.1', port: 0, logger: gatewayLog, closeGraceMs: 1_000, remoteAddresses: LOOPBACK_REMOTES, ...(governance ? { governance } : {}) });
  process.once('SIGTERM', () => {
    void (async () => {
      await gateway.close();
      const lost = governance ? await governance.close() : 0;
      await following.stop();
      const persisted = governance?.governor.audit.persisted ?? 0;
      logDestination.flushSync();
      process.stdout.write(`AUDIT ${JSON.stringify({ requests, persisted, lost })}\n`, () => process.exit(0));
    })();
  });
  process.stdout.write(`LISTENING ${gateway.port}\n`);
}

async function loadgen(): Promise<void> {
  const result = await rawHttpLoad(JSON.parse(process.argv[3]!) as LoadConfig, (phase) => process.stdout.write(`${phase}\n`));
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

// ----------------------------------------------------------- orchestrator

/** Node flags writing a CPU profile `<dir>/<name>.cpuprofile` when the process exits (sampled every 250 µs). */
const profileFlags = (dir: string, name: string): string[] => ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`, '--cpu-prof-interval', '250'];

const cpuUs = (pid: number): number => {
  const { user, sys } = procCpuUs(pid);
  return user + sys;
};

/** Runs one load generator; the CPU of `cpuPids` is read over its measured window (µs each). */
async function runLoad(cfg: LoadConfig, cpuPids: number[] = []): Promise<LoadResult & { cpu: number[] }> {
  const child = spawn(process.execPath, [SELF, 'loadgen', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let cpu0: number[] = [];
  let cpu: number[] = cpuPids.map(() => 0);
  let last = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'START') cpu0 = cpuPids.map(cpuUs);
    else if (line === 'STOP') cpu = cpuPids.map((p, i) => cpuUs(p) - cpu0[i]!);
    else if (line.startsWith('{')) last = line;
  });
  await new Promise((r) => child.once('close', r));
  return { ...(JSON.parse(last) as LoadResult), cpu };
}

/** Percentile `p` of an ascending array. */
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);
const f3 = (x: number) => x.toFixed(3);
const range = (xs: number[]) => `${f3(Math.min(...xs))}–${f3(Math.max(...xs))}`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${f3(x)}`;

/** One gateway under test. */
type Gateway = StartedGateway & { pid: number };

/** Opens `n` sessions on `url` with `auth`, a few at a time. */
async function openSessions(url: string, auth: Record<string, string>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 8) ids.push(...(await Promise.all(Array.from({ length: Math.min(8, n - i) }, () => initSession(url, auth)))));
  return ids;
}

/** What one path measured in {@link slices}: one entry per round. */
interface SliceSeries {
  rps: number[];
  p50: number[];
  p99: number[];
  gwCpu: number[];
  errors: number;
  requests: number;
}

/** Loads each target alone for `seconds` at `concurrency`, `rounds` times, the order rotated each round. */
async function slices(gws: Gateway[], targets: LoadTarget[], concurrency: number, rounds: number, seconds: number): Promise<SliceSeries[]> {
  const out = targets.map((): SliceSeries => ({ rps: [], p50: [], p99: [], gwCpu: [], errors: 0, requests: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (k + r) % targets.length;
      const res = await runLoad({ targets: [targets[i]!], concurrency, warmupMs: 300, durationMs: seconds * 1000 }, [gws[i]!.pid]);
      const n = res.counts[0]!;
      const lat = res.latenciesMs[0]!.sort((a, b) => a - b);
      const o = out[i]!;
      o.rps.push(n / res.seconds);
      o.p50.push(pct(lat, 50));
      o.p99.push(pct(lat, 99));
      o.gwCpu.push(res.cpu[0]! / Math.max(1, n));
      o.errors += res.errors;
      o.requests += n;
    }
  }
  return out;
}

/** The rows of a slices table, and the per-round ratios to plain of the governed paths. */
function sliceRows(gws: Gateway[], s: SliceSeries[]): { rows: string[]; ratios: number[][] } {
  const plain = s[0]!;
  const ratios = s.map((x) => x.rps.map((v, r) => v / plain.rps[r]!));
  const rows = s.map((x, i) =>
    [
      gws[i]!.kind.padEnd(6),
      median(x.rps).toFixed(0).padStart(7),
      (i === 0 ? '1' : f3(median(ratios[i]!))).padStart(7),
      (i === 0 ? '' : range(ratios[i]!)).padStart(12),
      f3(median(x.p50)).padStart(8),
      f3(median(x.p99)).padStart(8),
      median(x.gwCpu).toFixed(1).padStart(8),
      String(x.errors).padStart(6),
    ].join(' '),
  );
  return { rows, ratios };
}
const SLICE_HEAD = ['path  ', '  req/s', '  ratio', ' ratio range', ' p50 ms', ' p99 ms', ' gw µs/r', 'errors'].join(' ');

/** Rows in the registry's call_records (read-only; the registry may be writing: SQLite WAL). */
function countRecords(dbFile: string): number {
  const db = new DatabaseSync(dbFile, { readOnly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM call_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Lines of a JSON log at level warn or above, and the first of them. */
async function warnings(file: string): Promise<{ count: number; first?: string }> {
  let count = 0;
  let first: string | undefined;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    const m = /"level":(\d+)/.exec(line);
    if (m && Number(m[1]) >= 40) {
      count++;
      first ??= line.slice(0, 400);
    }
  }
  return { count, first };
}

/** What a gateway says when it stops: requests it served, audit records persisted and lost. */
interface AuditReport {
  requests: number;
  persisted: number;
  lost: number;
}

/** Sends SIGTERM and resolves with the `AUDIT …` line the gateway prints before exiting. */
function stopGateway(gw: Gateway): Promise<AuditReport> {
  return new Promise((resolve, reject) => {
    createInterface({ input: gw.child.stdout! }).on('line', (line) => {
      if (line.startsWith('AUDIT ')) resolve(JSON.parse(line.slice(6)) as AuditReport);
    });
    gw.child.once('exit', () => reject(new Error(`gateway ${gw.kind} exited without reporting its audit`)));
    gw.child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const rounds = numberArg('rounds', 7);
  const seconds = numberArg('seconds', 1.5);
  const latencySeconds = numberArg('latency-seconds', 3);
  const sessions = numberArg('sessions', 64);
  const profileDir = stringArg('cpu-prof-dir', '');
  const t0 = Date.now();
  const world = await startWorld(profileDir ? { registry: { nodeFlags: profileFlags(profileDir, 'registry') } } : {});
  const { registry, admin, dbFile } = world;
  try {
    const gws: Gateway[] = [];
    for (const kind of GATEWAY_KINDS) {
      const gw = await world.startGateway(kind, profileDir ? { nodeFlags: profileFlags(profileDir, `gateway-${kind}`) } : {});
      gws.push({ ...gw, pid: gw.child.pid! });
    }

    // A session per load client on every gateway and server, opened with the caller's credential.
    const targetsFor = async (server: 'bench' | 'canned'): Promise<LoadTarget[]> =>
      Promise.all(
        gws.map(async (g) => {
          const url = `http://127.0.0.1:${g.port}/mcp/${server}`;
          const headers = { ...BASE_HEADERS, ...g.auth };
          return { url, headers, sessionIds: await openSessions(url, g.auth, sessions) };
        }),
      );
    const sdkTargets = await targetsFor('bench');
    const cannedTargets = await targetsFor('canned');
    for (const [i, g] of gws.entries()) {
      for (const t of [sdkTargets[i]!, cannedTargets[i]!]) await checkToolCall(`${g.kind} gateway`, t.url, t.headers, t.sessionIds![0]!);
    }
    // The registry's CPU per audit record, over the whole measurement (slices would blur it: a
    // slice's records land up to 200 ms later, in the next slice).
    const records0 = countRecords(dbFile);
    const registryCpu0 = cpuUs(registry.child.pid!);
    // Warm every path (JIT, token caches, keep-alive pools) before measuring anything.
    await runLoad({ targets: [...sdkTargets, ...cannedTargets], concurrency: 16, warmupMs: 0, durationMs: numberArg('warm-seconds', 3) * 1000 });

    // a) 1 client, the three gateways interleaved request by request.
    const lat = gws.map(() => ({ p50: [] as number[], p99: [] as number[], n: 0 }));
    let latErrors = 0;
    for (let r = 0; r < rounds; r++) {
      const res = await runLoad({ targets: sdkTargets, concurrency: 1, warmupMs: 300, durationMs: latencySeconds * 1000, randomOrder: true });
      latErrors += res.errors;
      res.latenciesMs.forEach((l, i) => {
        const sorted = l.sort((a, b) => a - b);
        lat[i]!.p50.push(pct(sorted, 50));
        lat[i]!.p99.push(pct(sorted, 99));
        lat[i]!.n += l.length;
      });
    }
    const added50 = lat.map((x) => x.p50.map((v, r) => v - lat[0]!.p50[r]!));
    const added99 = lat.map((x) => x.p99.map((v, r) => v - lat[0]!.p99[r]!));

    // b) 64 clients, slices; c) capacity against the canned upstream.
    const tp = sliceRows(gws, await slices(gws, sdkTargets, 64, rounds, seconds));
    const cap = sliceRows(gws, await slices(gws, cannedTargets, 64, rounds, seconds));

    // The audit: stop the gateways (they flush), then count what the registry stored.
    const reported = await Promise.all(gws.map((g) => stopGateway(g)));
    const registryUsPerRecord = (cpuUs(registry.child.pid!) - registryCpu0) / Math.max(1, countRecords(dbFile) - records0);
    const logWarnings = await Promise.all(gws.map((g) => warnings(g.logFile)));
    const sample = (await admin.queryCallRecords({ agent: KEY_AGENT, limit: 1 }))[0];
    registry.child.kill('SIGTERM');
    await new Promise((r) => registry.child.once('exit', r));
    const db = new DatabaseSync(dbFile, { readOnly: true });
    const stored = db.prepare("SELECT agent, decision, json_extract(record, '$.status') AS status, COUNT(*) AS n FROM call_records GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").all() as {
      agent: string;
      decision: string;
      status: number;
      n: number;
    }[];
    db.close();

    // ---- report
    const out = (s = '') => console.log(s);
    out(`\nGovernance benchmark — loopback, Node ${process.version}, ${cpus().length} CPUs; tools/call through three gateway processes`);
    out('  plain = no governance (routing only); key = authn (Berth agent key) + authz + audit; jwt = authn (OIDC access token, RS256) + authz + audit');
    out(`  one registry (SQLite) and the same upstream behind all three; a session per load client`);
    out(`\na) 1 client, SDK upstream (stateful, SSE), requests to the three interleaved in random order, ${rounds} runs × ${latencySeconds} s`);
    out('   (ms; added = governed minus plain of the same run; medians of runs, ranges)');
    out(['path  ', '  p50', '    p99', ' added p50', '     range', '  added p99', '    requests'].join(' '));
    for (const [i, g] of gws.entries()) {
      const a = i === 0 ? ['', '', ''] : [signed(median(added50[i]!)), range(added50[i]!), signed(median(added99[i]!))];
      out([g.kind.padEnd(6), f3(median(lat[i]!.p50)), f3(median(lat[i]!.p99)).padStart(6), a[0]!.padStart(10), a[1]!.padStart(13), a[2]!.padStart(10), String(lat[i]!.n).padStart(11)].join(' '));
    }
    out(`   errors: ${latErrors}`);
    out(`\nb) 64 clients, SDK upstream, each gateway alone in ${seconds} s slices, ${rounds} rounds (order rotated each round)`);
    out('   (ratio = median of per-round req/s over the plain slice of the same round; gw µs/r = CPU per request of the gateway process)');
    out(SLICE_HEAD);
    for (const row of tp.rows) out(row);
    out(`\nc) capacity: 64 clients, canned upstream (fixed JSON-RPC result at once), same slices`);
    out(SLICE_HEAD);
    for (const row of cap.rows) out(row);

    out('\nTargets (issue) and measured (medians; per-round ranges)');
    const line = (what: string, target: string, xs: number[], unit: string) => out(`  ${what.padEnd(44)} target ${target.padEnd(9)} measured ${f3(median(xs))}${unit} (${range(xs)})`);
    line('added p50 over plain, agent key, 1 client', '≤ 0.050 ms', added50[1]!, ' ms');
    line('added p50 over plain, JWT, 1 client', '≤ 0.080 ms', added50[2]!, ' ms');
    line('throughput at 64 clients, key / plain', '≥ 0.95×', tp.ratios[1]!, '×');
    line('throughput at 64 clients, JWT / plain', '≥ 0.95×', tp.ratios[2]!, '×');
    line('capacity (canned upstream), key / plain', '≥ 0.80×', cap.ratios[1]!, '×');
    line('capacity (canned upstream), JWT / plain', '≥ 0.80×', cap.ratios[2]!, '×');

    out('\nAudit records in the registry (call_records, after the gateways flushed), by agent, decision and HTTP status:');
    for (const s of stored) out(`  ${s.agent.padEnd(16)} ${s.decision.padEnd(6)} ${s.status}  ${String(s.n).padStart(8)}`);
    out(`  the gateways served / persisted / lost: ${gws.map((g, i) => `${g.kind} ${reported[i]!.requests} / ${reported[i]!.persisted} / ${reported[i]!.lost}`).join(', ')}`);
    out(`  newest record of ${KEY_AGENT}: ${JSON.stringify(sample)}`);
    out(`  registry CPU per audit record stored (appendCallRecords, SQLite), over the measurement: ${registryUsPerRecord.toFixed(1)} µs — on this machine taken from the gateways' two cores`);
    out(`  warning/error lines in the gateways' logs: ${gws.map((g, i) => `${g.kind} ${logWarnings[i]!.count}`).join(', ')}`);
    for (const w of logWarnings) if (w.first) out(`    first: ${w.first}`);
    if (profileDir) {
      out(`\nCPU profiles (whole run): ${profileDir}/{gateway-plain,gateway-key,gateway-jwt,registry}.cpuprofile; summarise with`);
      out(`  node_modules/.bin/node test/bench/cpu-profile-top.ts ${profileDir}/gateway-key.cpuprofile --requests ${reported[1]!.requests} --versus ${profileDir}/gateway-plain.cpuprofile --versus-requests ${reported[0]!.requests}`);
    }
    out(`\nmachine load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await world.stop();
  }
}

if (role === 'canned-upstream') cannedUpstream();
else if (role === 'registry') await registryRole(process.argv[3]!);
else if (role === 'gateway') await gatewayRole(JSON.parse(process.argv[3]!) as GatewayConfig);
else if (role === 'loadgen') await loadgen();
else await main();
