/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance`, `server --suite all`)
 * against `@modelcontextprotocol/server-everything`, direct and through a governed
 * gateway, for `test/conformance-compare.ts` (prints both columns) and
 * `test/gateway-conformance.test.ts` (asserts they agree).
 *
 * The rig: server-everything in streamable-HTTP mode on a free port; a registry over
 * an in-memory SQLite store holding one MCPServer for it, made Ready by a status write
 * (no reconciler runs); a gateway following that registry with the governance
 * `berth up` builds. The conformance client sends no credentials, so the manifest
 * lets an anonymous caller hold every scope the server's tools, resources and prompts
 * need (`access.anonymousScopes`); everything else is the governed path as it ships.
 *
 * The suite's CLI runs as a child process (it is a CLI only) under the Node running
 * this file (its shebang would pick whatever `node` is first on PATH), with
 * `-o <dir>`: each scenario it completes leaves `server-<scenario>-<time>/checks.json`,
 * and its closing summary (`✓ name: N passed, M failed`) lists every scenario,
 * including one that threw before writing anything.
 *
 * @example
 * const rig = await startConformanceRig();
 * try {
 *   const rows = compareResults(await runConformance(rig.directUrl), await runConformance(rig.gatewayUrl));
 * } finally { await rig.close(); }
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createGovernance } from '../src/gateway/governance/governance.ts';
import { followRegistry, RouteTable, startGateway } from '../src/gateway/index.ts';
import { API_VERSION } from '../src/manifest/resource.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { GATEWAY_PRINCIPAL, openInProcessRegistry } from '../src/registry/in-process.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import { conditions, spawnServer } from './gateway-helpers.ts';
import { tempDir } from './support/temp-dir.ts';
import { freePort } from './support/free-port.ts';
import { approveInStore } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
/** The suite's CLI (its package exports nothing else). */
const CONFORMANCE = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist/index.js');

/** The MCPServer the gateway routes to server-everything. */
export const SERVER_NAME = 'everything';

/** One check of a scenario as the suite reports it (`checks.json`). */
export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
}

/** What the suite reported for one scenario. */
export interface ScenarioResult {
  scenario: string;
  /** From the summary line. */
  passed: number;
  failed: number;
  /** From `checks.json`; absent when the scenario threw before writing it. */
  checks?: Check[];
}

/** One row of the comparison. */
export interface Row {
  scenario: string;
  direct: string;
  viaGateway: string;
  same: boolean;
  /** The checks whose status differs, with both error messages (empty when `same`). */
  differences: string[];
}

/** The running rig; {@link startConformanceRig}. */
export interface ConformanceRig {
  /** server-everything's MCP endpoint. */
  directUrl: string;
  /** The same server through the gateway. */
  gatewayUrl: string;
  /** Stops the gateway, the registry and the server. Never throws. */
  close(): Promise<void>;
}

/**
 * The manifest of server-everything as examples/manifests/everything.yaml has it
 * (its tools need `everything.use`, resources and prompts their own scopes), hosted
 * at `url`, with every one of those scopes open to anonymous callers.
 */
export function everythingManifest(url: string): MCPServer {
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name: SERVER_NAME, labels: { team: 'platform' } },
    spec: {
      description: 'Reference MCP server, for the MCP conformance suite.',
      owner: { team: 'platform' },
      environment: 'dev',
      lifecycle: 'approved-dev',
      risk: 'low',
      dataClassification: 'public',
      remote: { url, transport: 'streamable-http' },
      defaultScopes: ['everything.use'],
      access: {
        undeclaredTools: 'defaultScopes',
        resourceScopes: ['everything.resources'],
        promptScopes: ['everything.prompts'],
        anonymousScopes: ['everything.use', 'everything.resources', 'everything.prompts'],
      },
    },
  };
}

/** Options of {@link startConformanceRig}. */
export interface RigOptions {
  /** The gateway's log; default silent. */
  logger?: Logger;
}

/** Starts server-everything, a registry holding it Ready, and a governed gateway; see the module comment. */
export async function startConformanceRig(opts: RigOptions = {}): Promise<ConformanceRig> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const stops: Array<() => Promise<unknown> | unknown> = [];
  const close = async (): Promise<void> => {
    while (stops.length) await Promise.resolve().then(stops.pop()!).catch(() => undefined);
  };
  try {
    const everything = await spawnServer([EVERYTHING, 'streamableHttp'], {
      env: { PORT: String(await freePort()) },
      portPattern: /listening on port (\d+)/,
    });
    stops.push(() => everything.kill());

    const store = await openSqliteStore({ path: ':memory:' });
    stops.push(() => store.close());
    const registry = openInProcessRegistry({ store, remoteAddresses: LOOPBACK_REMOTES });
    stops.push(() => registry.close());
    const admin = registry.clientFor({ tokenId: 'test:admin', role: 'admin' });
    await admin.create(everythingManifest(everything.url));
    await approveInStore(store, SERVER_NAME);
    await admin.updateStatus('MCPServer', SERVER_NAME, { observedGeneration: 1, phase: 'Ready', conditions: conditions(true), endpoint: everything.url });

    const client = registry.clientFor(GATEWAY_PRINCIPAL);
    const routeTable = new RouteTable();
    const following = followRegistry(client, routeTable, { logger });
    stops.push(() => following.stop());
    let listening = '';
    const governance = createGovernance({
      registry: client,
      routeTable,
      logger,
      publicUrl: () => listening,
      // The suite sends ~100 requests within a second or two from one address; the
      // default anonymous buckets (burst 100, 50 per server) would answer some with 429.
      defaultRateLimit: { requestsPerMinute: 100_000, burst: 100_000 },
      defaultServerRateLimit: { requestsPerMinute: 100_000, burst: 100_000 },
    });
    stops.push(() => governance.close());
    await Promise.all([following.synced(), governance.synced()]);
    const gateway = await startGateway({ routeTable, host: '127.0.0.1', port: 0, logger, closeGraceMs: 200, governance, remoteAddresses: LOOPBACK_REMOTES });
    listening = gateway.url;
    stops.push(() => gateway.close());
    return { directUrl: everything.url, gatewayUrl: `${gateway.url}/mcp/${SERVER_NAME}`, close };
  } catch (err) {
    await close();
    throw new Error('starting server-everything, a registry and a governed gateway', { cause: err });
  }
}

const SUMMARY_LINE = /^[✓✗] (\S+): (\d+) passed, (\d+) failed$/;
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/**
 * Runs `conformance server --suite all` against `url` and returns its per-scenario
 * results in the suite's order. Throws when the suite did not run (no summary),
 * with its output; failing scenarios are results, not errors.
 */
export async function runConformance(url: string, opts: { timeoutMs?: number } = {}): Promise<ScenarioResult[]> {
  const out = tempDir('conformance');
  try {
    const child = spawn(process.execPath, [CONFORMANCE, 'server', '--url', url, '--suite', 'all', '-o', out.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    }).finally(() => clearTimeout(timer));

    const summary = stdout.slice(stdout.lastIndexOf('=== SUMMARY ==='));
    const results: ScenarioResult[] = [];
    for (const line of summary.split('\n')) {
      const m = SUMMARY_LINE.exec(line.trim());
      if (m) results.push({ scenario: m[1]!, passed: Number(m[2]), failed: Number(m[3]) });
    }
    if (results.length === 0) {
      throw new Error(`the conformance suite against ${url} printed no summary (exit ${code ?? 'killed'}; timeout ${timeoutMs} ms)\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
    }
    const checks = new Map<string, Check[]>();
    for (const entry of existsSync(out.dir) ? readdirSync(out.dir) : []) {
      const m = RESULT_DIR.exec(entry);
      const file = join(out.dir, entry, 'checks.json');
      if (m && existsSync(file)) checks.set(m[1]!, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
    }
    return results.map((r) => {
      const found = checks.get(r.scenario);
      return found ? { ...r, checks: found } : r;
    });
  } finally {
    out.remove();
  }
}

/** `pass 2/2`, `FAIL 0/1`, `warn 1/1` (passed/decided checks), or `error` when the scenario threw. */
export function verdict(r: ScenarioResult | undefined): string {
  if (r === undefined) return 'missing';
  if (r.checks === undefined) return `error ${r.passed}/${r.passed + r.failed}`;
  const of = `${r.passed}/${r.passed + r.failed}`;
  if (r.failed > 0) return `FAIL ${of}`;
  if (r.checks.some((c) => c.status === 'WARNING')) return `warn ${of}`;
  return `pass ${of}`;
}

/** The statuses of a scenario's checks, by check id, in the suite's order (repeated ids keep their order). */
function statuses(r: ScenarioResult | undefined): string[] {
  return (r?.checks ?? []).map((c) => `${c.id}=${c.status}`);
}

/**
 * Row per scenario (the direct run's order, then any only the gateway run has):
 * the same when the verdict and every check's status agree. Error messages may
 * differ (they carry ids and times); they are shown for checks that differ.
 */
export function compareResults(direct: ScenarioResult[], viaGateway: ScenarioResult[]): Row[] {
  const byName = (rs: ScenarioResult[]) => new Map(rs.map((r) => [r.scenario, r]));
  const d = byName(direct);
  const g = byName(viaGateway);
  const names = [...d.keys(), ...[...g.keys()].filter((n) => !d.has(n))];
  return names.map((scenario) => {
    const a = d.get(scenario);
    const b = g.get(scenario);
    const same = verdict(a) === verdict(b) && statuses(a).join() === statuses(b).join();
    const differences: string[] = [];
    if (!same) {
      const ids = [...new Set([...(a?.checks ?? []), ...(b?.checks ?? [])].map((c) => c.id))];
      for (const id of ids) {
        const ca = a?.checks?.filter((c) => c.id === id) ?? [];
        const cb = b?.checks?.filter((c) => c.id === id) ?? [];
        const show = (cs: Check[]) => cs.map((c) => `${c.status}${c.errorMessage ? ` (${c.errorMessage})` : ''}`).join(', ') || 'absent';
        if (ca.map((c) => c.status).join() !== cb.map((c) => c.status).join()) differences.push(`${id}: direct ${show(ca)}; through gateway ${show(cb)}`);
      }
      if (differences.length === 0) differences.push(`direct ${verdict(a)}; through gateway ${verdict(b)}`);
    }
    return { scenario, direct: verdict(a), viaGateway: verdict(b), same, differences };
  });
}
