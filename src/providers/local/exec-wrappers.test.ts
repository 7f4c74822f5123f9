import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, type LocalProvider } from './index.ts';
import { detectSandbox, type SandboxMode } from './sandbox.ts';
import {
  HTTP_SERVER,
  alive,
  callText,
  connectClient,
  pidsWithTag,
  providerTestScope,
  tempDir,
  testLogger,
  waitFor,
  waitReady,
  wrapperServers,
} from '../../../test/fixtures/mcp-servers/harness.ts';

const BERTH_HOST = fileURLToPath(new URL('../../../test/fixtures/mcp-servers/berth-host.ts', import.meta.url));
const scope = providerTestScope(afterEach);
const probe = detectSandbox('auto', { nodePath: process.execPath });
if (probe.kind === 'off') console.warn(`exec-wrapper tests under bwrap skipped: ${probe.reason}`);
const modes: SandboxMode[] = probe.kind === 'bwrap' ? ['off', 'bwrap'] : ['off'];

/** Pids of the real servers (node running the HTTP test server) carrying `<tag>:<kind>`; wrappers and bwrap left out. */
function serverPids(tag: string, kind: 'exec' | 'npx'): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0] === process.execPath && argv[1] === HTTP_SERVER && argv[2] === `${tag}:${kind}` && alive(Number(e))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Starts a Berth stand-in running the wrapper servers; resolves with it and the pids it recorded once both are Ready. */
async function startHost(stateDir: string, tag: string, sandbox: SandboxMode) {
  const host = spawn(process.execPath, [BERTH_HOST, stateDir, tag, sandbox, 'wrappers'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    host.stdout.on('data', (d: Buffer) => {
      buf += String(d);
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
    });
    host.once('exit', (code) => reject(new Error(`berth host exited early (${code})`)));
  });
  return { host, pids: (JSON.parse(line) as { pids: Record<string, number> }).pids };
}

describe.each(modes)('servers behind exec wrappers (sandbox %s)', (sandbox) => {
  const provider = (stateDir: string): LocalProvider =>
    scope.track(createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, stopGraceMs: 2000, orphanProbeTimeoutMs: 15_000, sandbox }));

  it("Berth killed with SIGKILL: the next one adopts sh -c 'exec …' and an npx-like wrapper; one server each, same port, none left after retiring", async () => {
    const stateDir = tempDir();
    const tag = scope.tag(`wrap-${sandbox}`);
    const { host, pids } = await startHost(stateDir, tag, sandbox);
    const before = { exec: serverPids(tag, 'exec'), npx: serverPids(tag, 'npx') };
    expect(before.exec).toHaveLength(1);
    expect(before.npx).toHaveLength(1);
    host.kill('SIGKILL');
    await waitFor('host gone', () => !alive(host.pid!));

    const b = provider(stateDir);
    for (const d of wrapperServers(tag)) {
      const observed = await b.observe(d.name);
      expect(observed).toMatchObject({ supervision: 'orphaned', process: 'running', pid: pids[d.name] });
      const plan = b.plan(d, observed);
      expect(plan.actions.map((a) => a.op)).toEqual(['adopt']);
      expect((await b.apply(plan)).done[0]?.result).toBe('adopted');
      const ready = await waitReady(b, d, 15_000);
      const { client } = await connectClient(ready.endpoint!);
      expect(await callText(client, 'echo', { text: d.name })).toBe(d.name);
      await client.close();
    }
    // The very same server processes: nothing started beside them.
    expect(serverPids(tag, 'exec')).toEqual(before.exec);
    expect(serverPids(tag, 'npx')).toEqual(before.npx);

    for (const d of wrapperServers(tag)) await b.apply(b.plan(undefined, await b.observe(d.name)));
    await waitFor('every process gone', () => pidsWithTag(tag).length === 0);
    expect(await b.listManaged()).toEqual([]);
  }, 60_000);

  it('Berth and the wrapper both killed with SIGKILL: the server the wrapper left is ended, then exactly one runs', async () => {
    const stateDir = tempDir();
    const tag = scope.tag(`lead-${sandbox}`);
    const { host, pids } = await startHost(stateDir, tag, sandbox);
    const orphan = serverPids(tag, 'npx');
    expect(orphan).toHaveLength(1);
    host.kill('SIGKILL');
    process.kill(pids['host-npx']!, 'SIGKILL'); // the wrapper (or bwrap): its server keeps the port
    await waitFor('wrapper gone', () => !alive(pids['host-npx']!));
    expect(alive(orphan[0]!)).toBe(true);

    const b = provider(stateDir);
    const d = wrapperServers(tag)[1]!;
    const plan = b.plan(d, await b.observe(d.name));
    expect(plan.actions.map((a) => a.op)).toEqual(['start']);
    await b.apply(plan);
    const ready = await waitReady(b, d, 15_000);
    expect(alive(orphan[0]!)).toBe(false);
    const now = serverPids(tag, 'npx');
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(orphan[0]);
    const { client } = await connectClient(ready.endpoint!);
    expect(await callText(client, 'echo', { text: 'one' })).toBe('one');
    await client.close();
  }, 60_000);
});
