/**
 * Issue 4's acceptance, end to end: `berth up` runs as a real process on a fresh
 * state folder; the real CLI applies and deletes manifests; official SDK clients
 * call tools through the printed gateway URL; processes are found, counted and
 * killed through /proc and the local runtime's state file.
 *
 * One `berth up` serves the scenarios in order (they build on each other: the
 * server applied in one is changed, killed, drafted and deleted in the next);
 * the last one kills it with SIGKILL and starts another on the same folder.
 */
import { writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { hashSecret, parseToken } from '../src/client/tokens.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import {
  alive,
  berth,
  allAccessKey,
  callThroughGateway,
  connectThroughGateway,
  fixtureManifest,
  getServer,
  isReady,
  killLeftovers,
  listServers,
  processesOf,
  rawPost,
  readRuntimeFile,
  REPO,
  serverProcessCounts,
  startBerthUp,
  statusPid,
  tempDir,
  waitFor,
  waitReady,
  type BerthUp,
} from './e2e-harness.ts';
import { samples, sampleValue } from './support/metrics.ts';

/** One valid call per example server, and what its answer must contain. */
const EXAMPLE_CALLS: Record<string, { tool: string; args: Record<string, unknown>; check: (text: string) => void }> = {
  everything: { tool: 'echo', args: { message: 'hello through berth' }, check: (t) => expect(t).toBe('Echo: hello through berth') },
  'knowledge-base': {
    tool: 'searchArticles',
    args: { query: 'discount approval' },
    check: (t) => {
      const r = JSON.parse(t) as { count: number; articles: Array<{ id: string }> };
      expect(r.count).toBeGreaterThan(0);
      expect(r.articles.map((a) => a.id)).toContain('KB-1001');
    },
  },
  quote: {
    tool: 'searchProducts',
    args: { query: 'PLT' },
    check: (t) => expect((JSON.parse(t) as { products: Array<{ sku: string }> }).products.map((p) => p.sku).sort()).toEqual(['PLT-CORE', 'PLT-ENT']),
  },
  'salesforce-opportunity': {
    tool: 'searchOpportunity',
    args: { query: '', limit: 3 },
    check: (t) => {
      const r = JSON.parse(t) as { totalSize: number; records: Array<{ Id: string }> };
      expect(r.totalSize).toBeGreaterThan(0);
      expect(r.records.length).toBeGreaterThan(0);
      expect(r.records.length).toBeLessThanOrEqual(3);
    },
  },
};

const routeOf = (s: MCPServer): string => s.spec.routing?.path ?? `/mcp/${s.metadata.name}`;
const log = (msg: string): void => void process.stdout.write(`[e2e] ${msg}\n`);

/**
 * The pid the fixture's whoami reports for the server whose status pid is `pid`:
 * that pid unsandboxed; under the bwrap sandbox the server sees only its own PID
 * namespace, where bwrap's init is 1 and the server 2.
 */
function pidSeenInside(up: BerthUp, pid: number): string {
  return up.lines.some((l) => /^\s+sandbox\s+bwrap:/.test(l)) ? '2' : String(pid);
}

describe('berth up, end to end (real processes and sockets)', () => {
  const tmp = tempDir('up');
  const stateDir = join(tmp.dir, '.berth');
  const manifests = join(tmp.dir, 'manifests');
  let up: BerthUp;
  let spawnedAt = 0;
  /** The quote copy applied in scenario 2, reused by the draft scenario. */
  const quoteCopy = join(manifests, 'quote-e2e.yaml');

  beforeAll(async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(manifests, { recursive: true });
    spawnedAt = performance.now();
    up = await startBerthUp({ stateDir });
  });

  afterAll(async () => {
    if (up && up.child.exitCode === null && up.child.signalCode === null) await up.stop();
    const left = await killLeftovers(stateDir);
    tmp.remove();
    expect(left, 'processes of the state folder left after the tests').toBe(0);
  });

  it('starts every example server within 20 s and serves each through the gateway to an SDK client', async () => {
    const line = await up.waitForLine(/^\[[\d.]+s\] ([1-9]\d*)\/\1 servers Ready, \d+ tools$/, 20_000);
    const seconds = (performance.now() - spawnedAt) / 1000;
    log(`all example servers Ready ${seconds.toFixed(1)} s after spawning berth up ("${line}")`);
    expect(seconds).toBeLessThan(20);
    expect(up.lines.some((l) => /mcpserver\/quote created/.test(l))).toBe(true);
    // The first start approved what the examples request, as the bootstrap admin, and said so.
    expect(up.lines.some((l) => /^ {2}mcpserver\/quote approved for approved-dev by the bootstrap admin \(spec [0-9a-f]{8}; effective approved-dev\)$/.test(l))).toBe(true);

    const servers = await listServers(up);
    expect(servers.map((s) => s.metadata.name).sort()).toEqual(Object.keys(EXAMPLE_CALLS).sort());
    // One /metrics for the process: the registry API's own metrics and the reconciler's.
    const metrics = await (await fetch(`${up.registryUrl}/metrics`)).text();
    expect(sampleValue(metrics, 'berth_reconcile_total', { provider: 'local', result: 'success' })).toBeGreaterThanOrEqual(servers.length);
    expect(samples(metrics, 'berth_registry_http_requests_total').length).toBeGreaterThan(0);
    for (const s of servers) {
      expect(isReady(s), `${s.metadata.name} Ready`).toBe(true);
      const client = await connectThroughGateway(up.gatewayUrl, routeOf(s), await allAccessKey(up));
      try {
        const { tools } = await client.listTools();
        const listed = tools.map((t) => t.name).sort();
        // What the agent sees through the gateway is what the reconciler discovered.
        expect(listed).toEqual((s.status?.tools ?? []).map((t) => t.name).sort());
        const call = EXAMPLE_CALLS[s.metadata.name]!;
        expect(listed).toContain(call.tool);
        const result = await client.callTool({ name: call.tool, arguments: call.args });
        expect(result.isError, `${s.metadata.name}.${call.tool} isError`).not.toBe(true);
        const text = (result.content as Array<{ type: string; text: string }>).find((c) => c.type === 'text')!.text;
        call.check(text);
      } finally {
        await client.close();
      }
    }
  });

  it("the first start wrote the examples' agent key (mode 0600), printed where, and the registry reviews it as sales-copilot's", async () => {
    const file = join(stateDir, 'agent-key');
    expect(await up.waitForLine(/^\s+agent key\s+\//, 1_000)).toBe(`  agent key   ${file}   (agent sales-copilot; send it as Authorization: Bearer)`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const key = parseToken((await readFile(file, 'utf8')).trim())!;
    const admin = new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token });
    expect(await admin.reviewToken({ tokenId: key.id, hash: hashSecret(key.secret) })).toMatchObject({ authenticated: true, agent: 'sales-copilot', groups: [] });
  });

  it('apply → Ready → call through the gateway (a copy of quote under a new name and path)', async () => {
    const doc = parse(await readFile(join(REPO, 'examples/manifests/quote.yaml'), 'utf8')) as MCPServer;
    doc.metadata.name = 'quote-e2e';
    doc.spec.routing = { path: '/mcp/quote-e2e' };
    writeFileSync(quoteCopy, stringify(doc));
    const t0 = performance.now();
    const applied = await berth(up, ['apply', '-f', quoteCopy]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/mcpserver\/quote-e2e created/);
    // spec.lifecycle is a request: an approver (here the admin) approves it.
    expect((await berth(up, ['approve', 'server', 'quote-e2e', '--stage', 'approved-dev'])).code).toBe(0);

    const ready = await waitReady(up, 'quote-e2e');
    log(`quote-e2e Ready ${((performance.now() - t0) / 1000).toFixed(1)} s after apply`);
    expect(ready.status?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const got = await berth(up, ['get', 'mcpserver', 'quote-e2e', '-o', 'json']);
    expect(got.code).toBe(0);
    expect((JSON.parse(got.stdout) as MCPServer).status?.phase).toBe('Ready');
    // The live summary follows registry writes, not only the start-up.
    await up.waitForLine(/^\[[\d.]+s\] 5\/5 servers Ready/, 5_000);

    const created = await callThroughGateway(up.gatewayUrl, '/mcp/quote-e2e', 'createQuote', { accountName: 'Acme GmbH', lines: [{ sku: 'PLT-CORE', quantity: 10 }] }, await allAccessKey(up));
    expect(created.isError).toBe(false);
    const quote = (JSON.parse(created.text) as { quote: { id: string; subtotal: number } }).quote;
    expect(quote.id).toMatch(/^Q-\d{5}$/);
    expect(quote.subtotal).toBe(5400);
  });

  it('an env change restarts the server with the new env, and observedGeneration follows', async () => {
    const file = join(manifests, 'env-probe.yaml');
    writeFileSync(file, fixtureManifest('env-probe', { env: { GREETING: 'one' } }));
    expect((await berth(up, ['apply', '-f', file])).code).toBe(0);
    expect((await berth(up, ['approve', 'server', 'env-probe', '--stage', 'approved-dev'])).code).toBe(0);
    const first = await waitReady(up, 'env-probe');
    const pid1 = statusPid(first)!;
    expect(pid1).toBeGreaterThan(0);
    expect((await readRuntimeFile(stateDir)).servers['env-probe']?.pid).toBe(pid1);
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/env-probe', 'getEnv', { name: 'GREETING' }, await allAccessKey(up))).text).toBe('one');
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/env-probe', 'whoami', {}, await allAccessKey(up))).text).toBe(pidSeenInside(up, pid1));

    writeFileSync(file, fixtureManifest('env-probe', { env: { GREETING: 'two' } }));
    const applied = await berth(up, ['apply', '-f', file]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/mcpserver\/env-probe configured/);
    // The env is part of what runs: the change needs a new approval.
    expect((await berth(up, ['approve', 'server', 'env-probe', '--stage', 'approved-dev'])).code).toBe(0);
    const generation = (await getServer(up, 'env-probe'))!.metadata.generation!;
    expect(generation).toBe(first.metadata.generation! + 1);

    const second = await waitReady(up, 'env-probe');
    expect(second.status?.observedGeneration).toBe(generation);
    expect(second.status?.conditions?.find((c) => c.type === 'Ready')?.observedGeneration).toBe(generation);
    const pid2 = statusPid(second)!;
    expect(pid2).not.toBe(pid1);
    expect(alive(pid1)).toBe(false);
    expect((await readRuntimeFile(stateDir)).servers['env-probe']?.pid).toBe(pid2);
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/env-probe', 'getEnv', { name: 'GREETING' }, await allAccessKey(up))).text).toBe('two');
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/env-probe', 'whoami', {}, await allAccessKey(up))).text).toBe(pidSeenInside(up, pid2));
  });

  it('delete → the process is gone and the route answers 404 naming the path', async () => {
    const pid = statusPid((await getServer(up, 'env-probe'))!)!;
    expect(alive(pid)).toBe(true);
    const t0 = performance.now();
    const deleted = await berth(up, ['delete', 'mcpserver', 'env-probe']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/mcpserver\/env-probe (deleted|marked for deletion)/);

    await waitFor('env-probe process gone', () => !alive(pid), 5_000);
    const answer = await waitFor('route gone', async () => {
      const r = await rawPost(up.gatewayUrl, '/mcp/env-probe', await allAccessKey(up));
      return r.status === 404 ? r : false;
    }, 5_000);
    log(`env-probe process and route gone ${(performance.now() - t0).toFixed(0)} ms after delete`);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(answer.body.error?.message).toContain('/mcp/env-probe');
    expect(typeof answer.body.error?.code).toBe('number');
    await waitFor('env-probe removed from the registry', async () => (await getServer(up, 'env-probe')) === undefined, 5_000);
    expect((await readRuntimeFile(stateDir)).servers['env-probe']).toBeUndefined();
    expect((await serverProcessCounts(stateDir))['env-probe']).toBeUndefined();
  });

  it('a killed server process is restarted, Ready again, and status records the exit', async () => {
    const before = await waitReady(up, 'quote');
    const pid = statusPid(before)!;
    const restartsBefore = (before.status?.runtime as { restarts?: number }).restarts ?? 0;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    const seen: string[] = [];
    const after = await waitFor('quote restarted and Ready', async () => {
      const s = await getServer(up, 'quote');
      const ready = s?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready) seen.push(`${ready.status}/${ready.reason}: ${ready.message}`);
      return s && isReady(s) && statusPid(s) !== pid ? s : false;
    }, 15_000);
    log(`quote restarted after SIGKILL in ${Date.now() - killedAt} ms; Ready conditions seen: ${[...new Set(seen)].join(' | ')}`);
    const runtime = after.status?.runtime as { pid: number; restarts: number; lastExit?: { signal: string | null; cause: string; message: string; at: string } };
    expect(alive(pid)).toBe(false);
    expect(alive(runtime.pid)).toBe(true);
    expect(runtime.restarts).toBe(restartsBefore + 1);
    expect(runtime.lastExit?.signal).toBe('SIGKILL');
    expect(runtime.lastExit?.cause).toBe('exited');
    expect(runtime.lastExit?.message).toMatch(/killed by SIGKILL/);
    expect(Date.parse(runtime.lastExit!.at)).toBeGreaterThanOrEqual(killedAt - 1000);
    // Ready went False and back: its transition time is after the kill.
    const ready = after.status?.conditions?.find((c) => c.type === 'Ready')!;
    expect(Date.parse(ready.lastTransitionTime)).toBeGreaterThanOrEqual(killedAt - 1000);
    expect((await serverProcessCounts(stateDir))['quote']).toEqual([runtime.pid]);
    const call = await callThroughGateway(up.gatewayUrl, '/mcp/quote', 'searchProducts', { query: 'SSO' }, await allAccessKey(up));
    expect(call.text).toContain('ADD-SSO');
  });

  it('the gateway follows status: draft → 503 naming the server; back to approved → routable within 1 s of Ready', async () => {
    const doc = parse(await readFile(quoteCopy, 'utf8')) as MCPServer;
    const pid = statusPid(await waitReady(up, 'quote-e2e'))!;

    doc.spec.lifecycle = 'draft';
    writeFileSync(quoteCopy, stringify(doc));
    expect((await berth(up, ['apply', '-f', quoteCopy])).code).toBe(0);
    const t0 = performance.now();
    const blocked = await waitFor('gateway refusing quote-e2e', async () => {
      const r = await rawPost(up.gatewayUrl, '/mcp/quote-e2e', await allAccessKey(up));
      return r.status === 503 ? r : false;
    }, 2_000, 20);
    log(`gateway answered 503 for the draft ${(performance.now() - t0).toFixed(0)} ms after the apply returned`);
    expect(blocked.body.error?.message).toMatch(/server "quote-e2e".*draft/);
    const notDeployed = await waitFor('quote-e2e NotDeployed', async () => {
      const s = await getServer(up, 'quote-e2e');
      return s?.status?.phase === 'NotDeployed' && s.status.observedGeneration === s.metadata.generation ? s : false;
    }, 10_000);
    expect(notDeployed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NotDeployed' });
    await waitFor('draft process stopped', () => !alive(pid), 5_000);

    doc.spec.lifecycle = 'approved-dev';
    writeFileSync(quoteCopy, stringify(doc));
    expect((await berth(up, ['apply', '-f', quoteCopy])).code).toBe(0);
    // Watch the registry and the gateway side by side: when does each see the server Ready?
    let readyAt: number | undefined;
    let routableAt: number | undefined;
    const deadline = performance.now() + 20_000;
    while ((readyAt === undefined || routableAt === undefined) && performance.now() < deadline) {
      const [s, r] = await Promise.all([getServer(up, 'quote-e2e'), rawPost(up.gatewayUrl, '/mcp/quote-e2e', await allAccessKey(up))]);
      const now = performance.now();
      if (readyAt === undefined && isReady(s)) readyAt = now;
      if (routableAt === undefined && r.status !== 503 && r.status !== 404) routableAt = now;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(readyAt, 'quote-e2e Ready in the registry').toBeDefined();
    expect(routableAt, 'quote-e2e routable through the gateway').toBeDefined();
    const lag = routableAt! - readyAt!;
    log(`gateway routable ${lag.toFixed(0)} ms after the registry showed Ready (negative: seen in the same poll or earlier)`);
    expect(lag).toBeLessThan(1_000);
    const call = await callThroughGateway(up.gatewayUrl, '/mcp/quote-e2e', 'searchProducts', { query: 'Sandbox' }, await allAccessKey(up));
    expect(call.text).toContain('ADD-SBX');
  });

  it('kill -9 of berth up, then a new berth up on the same folder: no duplicates, converges, and SIGTERM leaves nothing', async () => {
    const servers = (await listServers(up)).filter((s) => s.spec.lifecycle !== 'draft').map((s) => s.metadata.name).sort();
    const before = await serverProcessCounts(stateDir);
    expect(Object.keys(before).sort()).toEqual(servers);
    for (const name of servers) expect(before[name], `${name} processes before`).toHaveLength(1);

    up.child.kill('SIGKILL');
    expect((await up.exited).signal).toBe('SIGKILL');
    // The servers outlive it (each leads its own process group).
    const orphaned = await serverProcessCounts(stateDir);
    for (const name of servers) expect(orphaned[name], `${name} after kill -9`).toEqual(before[name]);

    const t0 = performance.now();
    up = await startBerthUp({ stateDir });
    expect(up.lines.some((l) => /created now/.test(l)), 'second start reuses the admin token').toBe(false);
    expect(up.lines.some((l) => /agent key/.test(l)), 'second start mints no agent key').toBe(false);
    await up.waitForLine(new RegExp(`^\\[[\\d.]+s\\] ${servers.length}/${servers.length} servers Ready`), 30_000);
    log(`second berth up converged ${((performance.now() - t0) / 1000).toFixed(1)} s after it was spawned`);
    const after = await serverProcessCounts(stateDir);
    expect(Object.keys(after).sort()).toEqual(servers);
    for (const name of servers) expect(after[name], `${name} processes after restart`).toHaveLength(1);
    const adopted = servers.filter((n) => after[n]![0] === before[n]![0]);
    log(`adopted without restart: ${adopted.join(', ') || 'none'}; restarted: ${servers.filter((n) => !adopted.includes(n)).join(', ') || 'none'}`);
    for (const s of await listServers(up)) if (servers.includes(s.metadata.name)) expect(statusPid(s), `${s.metadata.name} status pid`).toBe(after[s.metadata.name]![0]);
    const call = await callThroughGateway(up.gatewayUrl, '/mcp/everything', 'echo', { message: 'after restart' }, await allAccessKey(up));
    expect(call.text).toBe('Echo: after restart');
    // The new process acts (it leads, not stands by): a delete retires the adopted process.
    const copyPid = after['quote-e2e']![0]!;
    expect((await berth(up, ['delete', 'mcpserver', 'quote-e2e'])).code).toBe(0);
    await waitFor('quote-e2e retired by the new berth up', () => !alive(copyPid), 10_000);
    await waitFor('quote-e2e removed', async () => (await getServer(up, 'quote-e2e')) === undefined, 5_000);
    delete after['quote-e2e'];

    const berthPid = up.child.pid!;
    const stopped = await up.stop();
    log(`SIGTERM → berth up exited in ${stopped.ms.toFixed(0)} ms`);
    expect(stopped.code).toBe(143);
    expect(stopped.signal).toBeNull();
    expect(alive(berthPid)).toBe(false);
    expect(await processesOf(stateDir)).toEqual([]);
    for (const pids of Object.values(after)) for (const pid of pids) expect(alive(pid)).toBe(false);
    expect((await readRuntimeFile(stateDir)).servers).toEqual({});
  });
});
