/**
 * Issue 17, item 3: a closed output pipe never skips shutdown, and a signal's stop
 * says so in the exit code. Real processes: `berth registry`, `berth reconciler
 * --provider local` running a real MCP server process, `berth diff`; the test closes
 * the read end of their stdout as `| head -1` or a killed `| tee` would.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findMarkedProcesses, stateIdOf } from '../src/providers/local/marked-processes.ts';
import { alive, BIN, cleanupAfterEach, getServer, isReady, NODE, runBerth, spawnBerth, startRegistryProcess, tempDir, waitFor, writeFixtureManifest } from './cli-services-harness.ts';

const { track, later } = cleanupAfterEach();

async function serverPids(stateDir: string): Promise<number[]> {
  return (await findMarkedProcesses(stateIdOf(stateDir))).filter((m) => alive(m.pid)).map((m) => m.pid);
}

describe('process hygiene (issue 17, item 3)', () => {
  it('a reconciler whose stdout reader went away still stops its servers on Ctrl-C, and exits 130', async () => {
    const { dir, remove } = tempDir('epipe');
    later(remove);
    const reg = track(await startRegistryProcess(`${dir}/registry`));
    const env = { BERTH_TOKEN: reg.token };
    expect((await runBerth(['apply', '-f', writeFixtureManifest(dir, 'echo-pipe'), '--server', reg.url], { env })).code).toBe(0);
    expect((await runBerth(['approve', 'server', 'echo-pipe', '--stage', 'approved-dev', '--server', reg.url], { env })).code).toBe(0);
    const stateDir = `${dir}/runtime`;
    const rec = track(spawnBerth(['reconciler', '--provider', 'local', '--server', reg.url, '--state-dir', stateDir, '--lease-ttl', '2s'], { env: { ...env, BERTH_LOG_FORMAT: 'json' } }));
    later(async () => {
      for (const pid of await serverPids(stateDir)) process.kill(pid, 'SIGKILL');
    });
    await waitFor('echo-pipe Ready', async () => isReady(await getServer(reg, 'echo-pipe')), 20_000);
    const pids = await serverPids(stateDir);
    expect(pids.length).toBe(1);

    // `| tee log` killed by the same Ctrl-C: the reader is gone before the reconciler logs its shutdown.
    rec.child.stdout!.destroy();
    rec.child.kill('SIGINT');
    const exited = await rec.exited;
    expect(exited, rec.stderr()).toEqual({ code: 130, signal: null });
    expect(pids.filter(alive), 'server processes left behind').toEqual([]);
  }, 60_000);

  it('berth diff keeps exit code 1 for differences when its reader closed the pipe (`| head -1`)', async () => {
    const { dir, remove } = tempDir('diff-pipe');
    later(remove);
    const reg = track(await startRegistryProcess(`${dir}/registry`));
    // Several objects: the registry is asked about each in turn, so the closed pipe is noticed mid-run.
    const manifests = `${dir}/manifests`;
    mkdirSync(manifests);
    for (const name of ['one', 'two', 'three', 'four']) writeFixtureManifest(manifests, `not-applied-${name}`);
    const child = spawn(NODE, [BIN, 'diff', '-f', manifests, '--server', reg.url], { env: { ...process.env, BERTH_TOKEN: reg.token }, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first line: every write of the diff meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, stderr).toBe(1);
  }, 30_000);
});
