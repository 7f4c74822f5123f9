import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { createLocalProvider, type LocalProvider } from './index.ts';
import type { DesiredServer } from '../provider.ts';
import {
  HTTP_SERVER,
  alive,
  callText,
  connectClient,
  desiredServer,
  pidsWithTag,
  providerTestScope,
  tempDir,
  testLogger,
  waitFor,
  waitReady,
} from '../../../test/fixtures/mcp-servers/harness.ts';

const scope = providerTestScope(afterEach);
function newProvider(extra: Partial<Parameters<typeof createLocalProvider>[0]> = {}): LocalProvider {
  return scope.track(
    createLocalProvider({
      logger: testLogger(),
      stateDir: tempDir(),
      nodePath: process.execPath,
      parentEnv: { PATH: process.env.PATH, SECRET_OF_BERTH: 'must-not-leak' },
      restartBackoff: { initialMs: 50, maxMs: 400 },
      stopGraceMs: 2000,
      // Counts processes by pid; under bwrap each server is three (bwrap, its namespace's init, the server): sandbox.test.ts covers that.
      sandbox: 'off',
      ...extra,
    }),
  );
}
const tag = scope.tag;

function httpServer(name: string, t: string, env: Record<string, string> = {}, generation = 1): DesiredServer {
  return desiredServer(name, { transport: 'streamable-http', local: { command: 'node', args: [HTTP_SERVER, t], env } }, generation);
}

/** observe → plan → apply, the way the reconciler drives a provider. */
async function reconcile(p: LocalProvider, desired: DesiredServer | undefined, name = desired?.name ?? '') {
  const plan = p.plan(desired, await p.observe(name));
  const outcome = await p.apply(plan);
  return { plan, outcome };
}

function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('local provider', () => {
  it('starts a server (Ready, endpoint, tools, tool calls), restarts it after SIGKILL with backoff, and stops it leaving nothing', async () => {
    const changes: string[] = [];
    const p = newProvider({ onChange: (n) => changes.push(n) });
    const t = tag('life');
    const desired = httpServer('life', t, { GREETING: 'hello' });

    // start → Ready
    const { plan, outcome } = await reconcile(p, desired);
    expect(plan.actions.map((a) => [a.op, a.reason])).toEqual([['start', 'not running']]);
    expect(outcome.done[0]?.result).toBe('created');
    const ready = await waitReady(p, desired, 20_000);
    expect(ready.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(ready.tools?.map((x) => x.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
    expect(ready.health?.status).toBe('Healthy');
    expect(p.plan(desired, await p.observe('life')).actions).toEqual([]);
    expect(await p.listManaged()).toEqual(['life']);

    const { client } = await connectClient(ready.endpoint!);
    expect(await callText(client, 'echo', { text: 'ping' })).toBe('ping');
    expect(await callText(client, 'getEnv', { name: 'GREETING' })).toBe('hello');
    expect(await callText(client, 'getEnv', { name: 'PORT' })).toBe(new URL(ready.endpoint!).port);
    // Berth's own environment does not leak, except the allow-list.
    expect(await callText(client, 'getEnv', { name: 'SECRET_OF_BERTH' })).toBe('(unset)');
    expect(await callText(client, 'getEnv', { name: 'PATH' })).toBe(process.env.PATH);
    await client.close();

    // kill -9 → exited → restarted by the supervisor → Ready again, restart counted
    const first = await p.observe('life');
    expect(pidsWithTag(t)).toEqual([first.pid]);
    process.kill(first.pid!, 'SIGKILL');
    const exited = await waitFor('exit observed', async () => {
      const o = await p.observe('life');
      return o.process === 'exited' ? o : undefined;
    });
    expect(exited.lastExit).toMatchObject({ signal: 'SIGKILL', cause: 'exited' });
    expect(exited.lastExit?.message).toMatch(/^was killed by SIGKILL after /);
    expect(p.assess(desired, exited)).toMatchObject({ phase: 'Progressing', reason: 'Starting' });
    expect(p.plan(desired, exited).actions).toEqual([]); // the supervisor restarts it by itself
    const again = await waitReady(p, desired, 20_000);
    const second = await p.observe('life');
    expect(second.pid).not.toBe(first.pid);
    expect(second.restarts).toBe(1);
    expect(again.details).toMatchObject({ restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(pidsWithTag(t)).toEqual([second.pid]);
    expect(changes.filter((n) => n === 'life').length).toBeGreaterThanOrEqual(3);
    const after = await connectClient(again.endpoint!);
    expect(await callText(after.client, 'echo', { text: 'back' })).toBe('back');
    await after.client.close();

    // stop → process gone, port closed, nothing managed
    const stop = await reconcile(p, undefined, 'life');
    expect(stop.plan.actions.map((a) => a.op)).toEqual(['stop']);
    expect(stop.outcome.done[0]?.result).toBe('deleted');
    expect(() => process.kill(second.pid!, 0)).toThrow();
    expect(await portClosed(second.port!)).toBe(true);
    expect(pidsWithTag(t)).toEqual([]);
    expect(await p.listManaged()).toEqual([]);
    expect(p.assess(undefined, await p.observe('life')).phase).toBe('Absent');
  });

  it('restarts with the new env when env changes, saying what changed; other spec changes keep the process', async () => {
    const p = newProvider();
    const t = tag('env');
    const v1 = httpServer('env-a', t, { GREETING: 'hello' });
    await reconcile(p, v1);
    await waitReady(p, v1, 20_000);
    const oldPid = (await p.observe('env-a')).pid!;

    const v2 = httpServer('env-a', t, { GREETING: 'bonjour', EXTRA: '1' }, 2);
    const plan = p.plan(v2, await p.observe('env-a'));
    expect(plan.actions.map((a) => [a.op, a.reason])).toEqual([['restart', 'env changed (EXTRA added, GREETING changed)']]);
    expect(p.assess(v2, await p.observe('env-a'))).toMatchObject({ phase: 'Progressing', reason: 'RollingOut' });
    expect((await p.apply(plan)).done[0]?.result).toBe('updated');

    const ready = await waitReady(p, v2, 20_000);
    const now = await p.observe('env-a');
    expect(now.pid).not.toBe(oldPid);
    expect(alive(oldPid)).toBe(false);
    expect(pidsWithTag(t)).toEqual([now.pid]);
    const { client } = await connectClient(ready.endpoint!);
    expect(await callText(client, 'getEnv', { name: 'GREETING' })).toBe('bonjour');
    await client.close();

    // A spec change that does not touch the process (here: description) only retags it.
    const v3 = { ...v2, generation: 3, spec: { ...v2.spec, description: 'now described' }, specHash: 'hash-of-v3' };
    const retag = p.plan(v3, await p.observe('env-a'));
    expect(retag.actions.map((a) => a.op)).toEqual(['retag']);
    await p.apply(retag);
    expect((await p.observe('env-a')).pid).toBe(now.pid);
    expect(p.plan(v3, await p.observe('env-a')).actions).toEqual([]);
  });

  it('reports a crash loop as Degraded CrashLoop with the exit code and the last stderr lines', async () => {
    const p = newProvider();
    const desired = desiredServer('crashy', {
      transport: 'streamable-http',
      local: { command: 'sh', args: ['-c', 'echo "loading /etc/crashy.yaml" >&2; echo "fatal: config file /etc/crashy.yaml not found" >&2; exit 3'] },
    });
    await reconcile(p, desired);
    const state = await waitFor('CrashLoop', async () => {
      const s = p.assess(desired, await p.observe('crashy'));
      return s.phase === 'Degraded' ? s : undefined;
    });
    expect(state.reason).toBe('CrashLoop');
    expect(state.message).toContain('exited with code 3');
    expect(state.message).toContain('loading /etc/crashy.yaml | fatal: config file /etc/crashy.yaml not found');
    expect(state.requeueAfterMs).toBeGreaterThan(0);
    const o = await p.observe('crashy');
    expect(o.crashLoop).toBe(true);
    expect(o.lastExit).toMatchObject({ code: 3, signal: null, cause: 'exited' });
    expect(o.lastExit?.stderrTail.slice(-2)).toEqual(['loading /etc/crashy.yaml', 'fatal: config file /etc/crashy.yaml not found']);
    expect(o.restarts).toBeGreaterThanOrEqual(2);
  });

  it('fails a start whose command does not exist with a retryable ProviderError (it may be installed later)', async () => {
    const p = newProvider();
    const desired = desiredServer('missing', { transport: 'streamable-http', local: { command: 'definitely-not-a-command-berth' } });
    await expect(reconcile(p, desired)).rejects.toMatchObject({ name: 'ProviderError', code: 'spawn_failed', retryable: true });
    expect(await p.listManaged()).toEqual([]);
  });

  it('reports a runtime without runtime.local as Degraded InvalidSpec and plans nothing', async () => {
    const p = newProvider();
    const desired = desiredServer('image-only', { transport: 'streamable-http', local: { command: 'unused' } });
    delete desired.spec.runtime!.local;
    const observed = await p.observe('image-only');
    expect(p.plan(desired, observed).actions).toEqual([]);
    const state = p.assess(desired, observed);
    expect(state).toMatchObject({ phase: 'Degraded', reason: 'InvalidSpec' });
    expect(state.message).toContain('spec.runtime.local.command is missing');
  });

  it('checks the HTTP health path when the spec names one, and close() stops every child', async () => {
    const p = newProvider();
    const t = tag('hc');
    const desired = desiredServer('hc-a', { transport: 'streamable-http', healthCheck: { path: '/healthz' }, local: { command: 'node', args: [HTTP_SERVER, t] } });
    await reconcile(p, desired);
    const ready = await waitReady(p, desired, 20_000);
    expect(ready.health?.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/healthz → 200/);
    expect(ready.tools?.map((x) => x.name)).toContain('echo');
    const pid = (await p.observe('hc-a')).pid!;
    expect(pidsWithTag(t)).toEqual([pid]);

    await p.close();
    expect(alive(pid)).toBe(false);
    expect(pidsWithTag(t)).toEqual([]);
    await expect(p.apply({ server: 'hc-a', actions: [] })).rejects.toMatchObject({ code: 'provider_closed' });
  });

  it('restarts a server that fails its health checks, saying why', async () => {
    const p = newProvider();
    const t = tag('unhealthy');
    const desired = desiredServer('sick', {
      transport: 'streamable-http',
      healthCheck: { path: '/does-not-exist', gracePeriodSeconds: 3, unhealthyThreshold: 2, intervalSeconds: 1 },
      local: { command: 'node', args: [HTTP_SERVER, t] },
    });
    await reconcile(p, desired);
    const o = await waitFor('health restart', async () => {
      const x = await p.observe('sick');
      return x.lastExit?.cause === 'unhealthy' && x.lastExit.message.includes('HTTP 404') ? x : undefined;
    }, 20_000);
    expect(o.lastExit?.message).toMatch(/^was restarted by Berth: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/does-not-exist/);
    expect(p.assess(desired, o).phase).not.toBe('Ready');
  });
});
