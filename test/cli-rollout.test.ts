/**
 * `berth rollout restart` and the automatic retry of a failed start, through the
 * real CLI against a real registry and a real local-runtime reconciler: a server
 * whose command is missing stays Degraded (saying when it tries again), the
 * command appears and the retry brings it Ready with no manifest change; a
 * rollout restart of a Ready server gives it a new process, and re-applying the
 * manifest afterwards neither drops the restart marker nor restarts it again.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MCPServer } from '../src/manifest/types.ts';
import { findMarkedProcesses, stateIdOf } from '../src/providers/local/marked-processes.ts';
import { alive, cleanupAfterEach, getServer, HTTP_FIXTURE, isReady, NODE, runBerth, spawnBerth, startRegistryProcess, tempDir, waitFor, writeFixtureManifest } from './cli-services-harness.ts';

const { track, later, killServersOf } = cleanupAfterEach();

async function serverPids(stateDir: string, name: string): Promise<number[]> {
  return (await findMarkedProcesses(stateIdOf(stateDir))).filter((m) => m.name === name && alive(m.pid)).map((m) => m.pid);
}

function condition(s: MCPServer | undefined, type: string): { status: string; message?: string } | undefined {
  return s?.status?.conditions?.find((c) => c.type === type);
}

describe('berth rollout restart and the retry of a failed start (local runtime)', () => {
  it('a missing command stays Degraded with its next retry time, is retried automatically once it exists, and rollout restart gives a new process', async () => {
    const { dir, remove } = tempDir('rollout');
    later(remove);
    const reg = track(await startRegistryProcess(join(dir, 'registry')));
    const stateDir = join(dir, 'runtime');
    killServersOf(stateDir);
    const rec = track(spawnBerth(['reconciler', '--provider', 'local', '--sandbox', 'off', '--server', reg.url, '--token', reg.token, '--state-dir', stateDir, '--lease-ttl', '2s', '--resync', '30s']));
    await rec.waitForLine(/"msg":"became leader"/);
    const script = join(dir, 'bin', 'start-server.sh');
    const file = writeFixtureManifest(dir, 'late', { command: script });
    const auth = ['--server', reg.url, '--token', reg.token];
    expect((await runBerth(['apply', '-f', file, ...auth])).code).toBe(0);
    expect((await runBerth(['approve', 'server', 'late', '--stage', 'approved-dev', ...auth])).code).toBe(0);

    const degraded = await waitFor('late Degraded', async () => {
      const s = await getServer(reg, 'late');
      return condition(s, 'Degraded')?.status === 'True' ? s : undefined;
    }, 20_000);
    expect(degraded.status?.phase).toBe('Degraded');
    expect(condition(degraded, 'Degraded')?.message).toMatch(/start-server\.sh.*next retry in \d+ s, at \d{4}-\d\d-\d\dT/);
    expect(condition(degraded, 'Ready')?.status).not.toBe('True');
    const generation = degraded.metadata.generation;

    // The command appears; nothing is applied: the backed-off retry alone brings it up.
    mkdirSync(join(dir, 'bin'));
    writeFileSync(script, `#!/bin/sh\nexec ${JSON.stringify(NODE)} ${JSON.stringify(HTTP_FIXTURE)}\n`);
    chmodSync(script, 0o755);
    const ready = await waitFor('late Ready after the retry', async () => {
      const s = await getServer(reg, 'late');
      return isReady(s) ? s : undefined;
    }, 60_000, 250);
    expect(ready.metadata.generation).toBe(generation);
    expect(condition(ready, 'Degraded')?.status).toBe('False');
    const [firstPid] = await serverPids(stateDir, 'late');
    expect(firstPid).toBeGreaterThan(0);

    const restarted = await runBerth(['rollout', 'restart', 'server', 'late', ...auth]);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/^mcpserver\/late restarted \(berth\.dev\/restartedAt=\d{4}-/);
    const secondPid = await waitFor('a new process for late', async () => {
      const pids = await serverPids(stateDir, 'late');
      return pids.length === 1 && pids[0] !== firstPid && isReady(await getServer(reg, 'late')) ? pids[0] : undefined;
    }, 30_000, 250);
    expect(alive(firstPid!)).toBe(false);
    const after = await getServer(reg, 'late');
    expect(after?.metadata.generation).toBe(generation);
    expect(after?.metadata.annotations?.['berth.dev/restartedAt']).toMatch(/^\d{4}-/);

    // Re-applying the manifest from "Git" (no marker in it) keeps the marker and the process; diff agrees.
    const diffed = await runBerth(['diff', '-f', file, ...auth]);
    expect(diffed.code, diffed.stdout).toBe(0);
    const reapplied = await runBerth(['apply', '-f', file, ...auth]);
    expect(reapplied.code, reapplied.stderr).toBe(0);
    expect(reapplied.stdout).toMatch(/mcpserver\/late unchanged/);
    expect((await getServer(reg, 'late'))?.metadata.annotations?.['berth.dev/restartedAt']).toBe(after?.metadata.annotations?.['berth.dev/restartedAt']);
    expect(await serverPids(stateDir, 'late')).toEqual([secondPid]);
  }, 120_000);

  it('refuses bad usage (exit 2) and names a server that does not exist (exit 1)', async () => {
    const { dir, remove } = tempDir('rollout-usage');
    later(remove);
    const reg = track(await startRegistryProcess(join(dir, 'registry')));
    const auth = ['--server', reg.url, '--token', reg.token];
    const noName = await runBerth(['rollout', 'restart', 'server', ...auth]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('berth rollout restart server <name>');
    const policy = await runBerth(['rollout', 'restart', 'policy', 'x', ...auth]);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain('only MCP servers run');
    const missing = await runBerth(['rollout', 'restart', 'server', 'ghost', ...auth]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('mcpserver/ghost not found');
  }, 60_000);
});
