import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, type LocalProvider } from './index.ts';
import { createStateStore } from './state-file.ts';
import { stateIdOf } from './marked-processes.ts';
import {
  HTTP_SERVER,
  STDIO_SERVER,
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

const BERTH_HOST = fileURLToPath(new URL('../../../test/fixtures/mcp-servers/berth-host.ts', import.meta.url));
// Counts processes by pid; under bwrap each server is three (bwrap, its namespace's init, the server): sandbox.test.ts covers that.
const scope = providerTestScope(afterEach);
function provider(stateDir: string): LocalProvider {
  return scope.track(createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, stopGraceMs: 2000, orphanProbeTimeoutMs: 15_000, sandbox: 'off' }));
}
const tag_ = scope.tag;

const httpDesired = (tag: string, env: Record<string, string> = {}, generation = 1) =>
  desiredServer('host-http', { transport: 'streamable-http', local: { command: 'node', args: [HTTP_SERVER, tag], env } }, generation);
const stdioDesired = (tag: string) => desiredServer('host-stdio', { transport: 'stdio', local: { command: 'node', args: [STDIO_SERVER, tag] } });

describe('local provider after Berth dies', () => {
  it('a Berth process killed with SIGKILL: the next one adopts its servers, no duplicates, and retiring leaves nothing', async () => {
    const stateDir = tempDir();
    const tag = tag_('sigkill');
    const host = spawn(process.execPath, [BERTH_HOST, stateDir, tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      host.stdout.on('data', (d: Buffer) => {
        buf += String(d);
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      host.once('exit', (code) => reject(new Error(`berth host exited early (${code})`)));
    });
    const { pids } = JSON.parse(line) as { pids: Record<string, number> };
    const before = pidsWithTag(tag).filter((pid) => pid !== host.pid).sort();

    host.kill('SIGKILL');
    await waitFor('host gone', () => !alive(host.pid!));
    // Its servers outlive it (own process groups, output to files, not pipes).
    expect(alive(pids['host-http']!)).toBe(true);
    expect(alive(pids['host-stdio']!)).toBe(true);

    const b = provider(stateDir);
    expect(await b.listManaged()).toEqual(['host-http', 'host-stdio']);
    for (const d of [httpDesired(tag), stdioDesired(tag)]) {
      const observed = await b.observe(d.name);
      expect(observed).toMatchObject({ supervision: 'orphaned', process: 'running', pid: pids[d.name], health: { status: 'Healthy' } });
      const plan = b.plan(d, observed);
      expect(plan.actions.map((a) => a.op)).toEqual(['adopt']);
      expect((await b.apply(plan)).done[0]?.result).toBe('adopted');
      // Ready at once: the health seen before adopting counts, so status does not flap.
      const ready = b.assess(d, await b.observe(d.name));
      expect(ready.phase).toBe('Ready');
      const { client } = await connectClient(ready.endpoint!);
      expect(await callText(client, 'echo', { text: d.name })).toBe(d.name);
      await client.close();
      // Adopted and matching: nothing more to do.
      expect(b.plan(d, await b.observe(d.name)).actions).toEqual([]);
    }
    // Same processes as before the crash: none added. (Sessions' stdio children come and go, so count the long-lived ones.)
    expect((await b.observe('host-http')).pid).toBe(pids['host-http']);
    expect((await b.observe('host-stdio')).pid).toBe(pids['host-stdio']);
    const longLived = pidsWithTag(tag).filter((pid) => Object.values(pids).includes(pid));
    expect(longLived.sort()).toEqual(Object.values(pids).sort());
    expect(before).toEqual(expect.arrayContaining(Object.values(pids)));

    // An adopted server that dies is restarted by its new supervisor.
    process.kill(pids['host-http']!, 'SIGKILL');
    await waitFor('restart after adopted exit', async () => {
      const o = await b.observe('host-http');
      return o.process === 'running' && o.pid !== pids['host-http'] && o.restarts === 1;
    });
    expect((await b.observe('host-http')).lastExit?.cause).toBe('vanished');

    for (const name of ['host-http', 'host-stdio']) await b.apply(b.plan(undefined, await b.observe(name)));
    expect(pidsWithTag(tag)).toEqual([]);
    expect(await b.listManaged()).toEqual([]);
  });

  it('a provider abandoned without close: the next one restarts a changed server and stops an unwanted one, once each', async () => {
    const stateDir = tempDir();
    const tag = tag_('abandon');
    const a = provider(stateDir);
    const http = httpDesired(tag, { MODE: 'one' });
    const other = desiredServer('unwanted', { transport: 'streamable-http', local: { command: 'node', args: [HTTP_SERVER, tag] } });
    for (const d of [http, other]) await a.apply(a.plan(d, await a.observe(d.name)));
    await waitReady(a, http);
    await waitReady(a, other);
    const oldHttp = (await a.observe('host-http')).pid!;
    const oldOther = (await a.observe('unwanted')).pid!;
    await a.release(); // stops watching, as a killed Berth would, but leaves its children

    const b = provider(stateDir);
    const changed = httpDesired(tag, { MODE: 'two' }, 2);
    const restart = b.plan(changed, await b.observe('host-http'));
    expect(restart.actions).toHaveLength(1);
    expect(restart.actions[0]).toMatchObject({ op: 'restart' });
    expect(restart.actions[0]?.reason).toBe(`env changed (MODE changed); process ${oldHttp} was started by an earlier Berth process`);
    await b.apply(restart);
    const ready = await waitReady(b, changed);
    expect(alive(oldHttp)).toBe(false);
    const newHttp = (await b.observe('host-http')).pid!;
    const { client } = await connectClient(ready.endpoint!);
    expect(await callText(client, 'getEnv', { name: 'MODE' })).toBe('two');
    await client.close();

    const stop = b.plan(undefined, await b.observe('unwanted'));
    expect(stop.actions.map((a) => a.op)).toEqual(['stop']);
    expect((await b.apply(stop)).done[0]?.result).toBe('deleted');
    expect(alive(oldOther)).toBe(false);
    expect(pidsWithTag(tag)).toEqual([newHttp]);

    await b.close();
    expect(pidsWithTag(tag)).toEqual([]);
  });

  it('never signals a recorded pid that now belongs to another process', async () => {
    const stateDir = tempDir();
    const tag = tag_('reused');
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    await waitFor('stranger running', () => alive(stranger.pid!));
    try {
      const store = createStateStore(stateDir);
      const d = httpDesired(tag);
      // The record an earlier Berth left: same pid, but the process it started had another start time.
      await store.put('host-http', {
        pid: stranger.pid!,
        pgid: stranger.pid!,
        port: 1,
        specHash: d.specHash,
        launchHash: 'x',
        generation: 1,
        startedAt: new Date().toISOString(),
        identity: { startTime: '1', cmdline: `node ${HTTP_SERVER} ${tag}` },
        summary: { command: 'node', args: [], cwd: '/', transport: 'streamable-http', mcpPath: '/mcp', env: {}, secrets: [] },
        endpoint: 'http://127.0.0.1:1/mcp',
        startedBy: 1,
      });
      const b = provider(stateDir);
      const observed = await b.observe('host-http');
      expect(observed).toMatchObject({ supervision: 'orphaned', process: 'exited' });
      expect(observed.notes?.[0]).toContain(`pid ${stranger.pid} now belongs to another process`);
      const stop = b.plan(undefined, observed);
      expect(stop.actions.map((a) => a.op)).toEqual(['stop']);
      expect((await b.apply(stop)).done[0]?.result).toBe('unchanged');
      expect(alive(stranger.pid!)).toBe(true);
      expect(await b.listManaged()).toEqual([]);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('finds a process an earlier Berth spawned but never recorded, and replaces it instead of duplicating it', async () => {
    const stateDir = tempDir();
    const tag = tag_('unrecorded');
    // What a Berth killed between spawn and state-file write leaves: a marked process, no record.
    const ghost = spawn(process.execPath, [HTTP_SERVER, tag], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', PORT: '0', BERTH_SERVER_NAME: 'host-http', BERTH_STATE_ID: stateIdOf(stateDir) },
    });
    ghost.unref();
    await waitFor('ghost running', () => pidsWithTag(tag).includes(ghost.pid!));

    const b = provider(stateDir);
    expect(await b.listManaged()).toEqual(['host-http']);
    const observed = await b.observe('host-http');
    expect(observed).toMatchObject({ supervision: 'orphaned', process: 'running', pid: ghost.pid, strays: [ghost.pid] });
    const desired = httpDesired(tag);
    const plan = b.plan(desired, observed);
    expect(plan.actions.map((a) => [a.op, a.reason])).toEqual([
      ['restart', `process ${ghost.pid} was started by an earlier Berth process that died before recording it; replacing it`],
    ]);
    await b.apply(plan);
    await waitReady(b, desired);
    expect(alive(ghost.pid!)).toBe(false);
    expect(pidsWithTag(tag)).toEqual([(await b.observe('host-http')).pid]);
  });
});
