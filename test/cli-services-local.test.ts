/**
 * The control plane as separate processes, as production runs it: `berth
 * registry`, `berth reconciler --provider local` and `berth gateway` are real
 * processes talking over real sockets; the manifest goes in with the real CLI and
 * an official SDK client calls a tool through the separate gateway.
 */
import { describe, expect, it } from 'vitest';
import { findMarkedProcesses, stateIdOf } from '../src/providers/local/marked-processes.ts';
import {
  allAccessAgentKey,
  callEcho,
  cleanupAfterEach,
  alive,
  getServer,
  isReady,
  logRecords,
  runBerth,
  spawnBerth,
  startRegistryProcess,
  tempDir,
  waitFor,
  writeFixtureManifest,
} from './cli-services-harness.ts';
import { sampleValue } from './support/metrics.ts';

const { track, later } = cleanupAfterEach();

/** Live MCP server processes a local runtime on `stateDir` started, by server name. */
async function serverProcesses(stateDir: string): Promise<Array<{ name: string; pid: number }>> {
  return (await findMarkedProcesses(stateIdOf(stateDir))).filter((m) => alive(m.pid)).map((m) => ({ name: m.name, pid: m.pid }));
}

describe('berth reconciler + berth gateway as separate processes', () => {
  it('apply → Ready → tool call through the separate gateway, counted in the reconciler\'s /metrics; SIGTERM stops the reconciler, its metrics port and its server processes', async () => {
    const { dir, remove } = tempDir('local');
    later(remove);
    const reg = track(await startRegistryProcess(`${dir}/registry`));
    const stateDir = `${dir}/runtime`;
    const rec = track(spawnBerth(['reconciler', '--provider', 'local', '--server', reg.url, '--token', reg.token, '--state-dir', stateDir, '--lease-ttl', '2s', '--resync', '5s', '--metrics-port', '0']));
    const metricsUrl = /(http:\/\/\S+\/metrics)/.exec(await rec.waitForLine(/^reconciler metrics at http/))![1]!;
    await rec.waitForLine(/"msg":"became leader"/);
    const gw = track(spawnBerth(['gateway', '--port', '0', '--server', reg.url, '--token', reg.token]));
    const gatewayUrl = /(http:\/\/\S+)/.exec(await gw.waitForLine(/^gateway listening on http/))![1]!;

    const applied = await runBerth(['apply', '-f', writeFixtureManifest(dir, 'echo-svc'), '--server', reg.url, '--token', reg.token]);
    expect(applied.code, applied.stderr).toBe(0);
    // The manifest requests approved-dev; the admin approves it, as an approver would.
    const approved = await runBerth(['approve', 'server', 'echo-svc', '--stage', 'approved-dev', '--server', reg.url, '--token', reg.token]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(applied.stdout).toMatch(/mcpserver\/echo-svc created/);

    await waitFor('echo-svc Ready', async () => isReady(await getServer(reg, 'echo-svc')), 20_000);
    // The gateway learns Ready through its own watch; the first call may race it by a moment.
    const agentKey = await allAccessAgentKey(reg);
    const echoed = await waitFor('a tool call through the gateway', () => callEcho(gatewayUrl, 'echo-svc', 'hello through the gateway', agentKey).catch(() => undefined), 5_000, 100);
    expect(echoed).toContain('hello through the gateway');
    const running = await serverProcesses(stateDir);
    expect(running.map((p) => p.name)).toEqual(['echo-svc']);
    // The deploy was counted under the runtime that ran it; the queue is labelled by the provider set.
    const scraped = await fetch(metricsUrl);
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(sampleValue(text, 'berth_reconcile_total', { provider: 'local', result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'berth_workqueue_adds_total', { provider: 'local+remote' })).toBeGreaterThanOrEqual(1);

    // Graceful stop: exit 143 (stopped by SIGTERM, as shells report it), lease released, every server process this reconciler ran is gone.
    const stopped = await rec.stop('SIGTERM');
    expect(stopped).toEqual({ code: 143, signal: null });
    expect(logRecords(rec).map((r) => r['msg'])).toContain('reconciler stopped');
    expect(running.every((p) => !alive(p.pid))).toBe(true);
    expect(await serverProcesses(stateDir)).toEqual([]);
    await expect(fetch(metricsUrl)).rejects.toThrow();

    // The gateway is a separate process: it keeps serving and stops cleanly on SIGTERM too.
    const nope = (key?: string) =>
      fetch(`${gatewayUrl}/mcp/nope`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    // Only an authenticated caller learns that no server is routed there.
    expect((await nope()).status).toBe(401);
    expect((await nope(agentKey)).status).toBe(404);
    expect(await gw.stop('SIGTERM')).toEqual({ code: 143, signal: null });
  }, 40_000);

  it('two reconcilers on one registry: one acts, the other stands by; SIGKILL the leader → the standby takes over within the lease TTL', async () => {
    const { dir, remove } = tempDir('ha');
    later(remove);
    const reg = track(await startRegistryProcess(`${dir}/registry`));
    // One machine, one runtime state folder: the standby adopts what the dead leader left.
    const stateDir = `${dir}/runtime`;
    const args = ['reconciler', '--provider', 'local', '--server', reg.url, '--token', reg.token, '--state-dir', stateDir, '--lease-ttl', '2s', '--resync', '5s'];
    const first = track(spawnBerth(args));
    await first.waitForLine(/"msg":"became leader"/);
    const second = track(spawnBerth(args));
    await second.waitForLine(/"msg":"standby: another reconciler holds the lease/);
    later(async () => {
      for (const p of await serverProcesses(stateDir)) process.kill(p.pid, 'SIGKILL');
    });

    const applied = await runBerth(['apply', '-f', writeFixtureManifest(dir, 'ha-svc'), '--server', reg.url, '--token', reg.token]);
    expect(applied.code, applied.stderr).toBe(0);
    // The manifest requests approved-dev; the admin approves it, as an approver would.
    const approved = await runBerth(['approve', 'server', 'ha-svc', '--stage', 'approved-dev', '--server', reg.url, '--token', reg.token]);
    expect(approved.code, approved.stderr).toBe(0);
    await waitFor('ha-svc Ready', async () => isReady(await getServer(reg, 'ha-svc')), 20_000);
    const [served] = await serverProcesses(stateDir);
    expect(served?.name).toBe('ha-svc');
    // Only the leader acted.
    expect(logRecords(second).some((r) => r['msg'] === 'became leader')).toBe(false);

    const killedAt = Date.now();
    await first.stop('SIGKILL');
    await second.waitForLine(/"msg":"became leader"/, 8_000);
    const takeoverMs = Date.now() - killedAt;
    // Within the TTL (2 s) plus one acquire interval (TTL/3) and process scheduling.
    expect(takeoverMs).toBeLessThan(2_000 + 700 + 1_000);

    // The new leader adopts the process the dead one left: still Ready, still one process, the same one.
    await second.waitForLine(/"msg":"adopted ha-svc \(pid \d+\) started by an earlier Berth process"/, 8_000);
    // Give the new leader a moment to do anything it would wrongly do (start a second copy).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await serverProcesses(stateDir)).toEqual([{ name: 'ha-svc', pid: served!.pid }]);
    expect(isReady(await getServer(reg, 'ha-svc'))).toBe(true);

    expect(await second.stop('SIGTERM')).toEqual({ code: 143, signal: null });
    expect(await serverProcesses(stateDir)).toEqual([]);
  }, 40_000);
});
