/**
 * A user who insists: SIGTERM (or Ctrl-C) twice in a row makes `berth up` exit at
 * once instead of shutting down gracefully. It must still leave no server
 * process behind, and a new `berth up` on the same folder must converge cleanly
 * from the records the forced exit left.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killLeftovers, listServers, processesOf, serverProcessCounts, startBerthUp, tempDir, waitFor, type BerthUp } from './e2e-harness.ts';

const { dir: stateDir, remove } = tempDir('forced-exit');
let up: BerthUp | undefined;

afterAll(async () => {
  if (up) await up.stop();
  await killLeftovers(stateDir);
  remove();
});

describe('berth up, signalled twice', () => {
  it('exits with 130 at once, kills every server process, and the next berth up converges with one process per server', { timeout: 90_000 }, async () => {
    up = await startBerthUp({ stateDir });
    await up.waitForLine(/^\[[\d.]+s\] ([1-9]\d*)\/\1 servers Ready/, 30_000);
    const servers = (await listServers(up)).filter((s) => s.spec.lifecycle !== 'draft').map((s) => s.metadata.name).sort();
    const before = await serverProcessCounts(stateDir);
    expect(Object.keys(before).sort()).toEqual(servers);

    // The second signal lands while the graceful shutdown is stopping the servers (5 s grace each).
    up.child.kill('SIGTERM');
    await up.waitForLine(/stopping/, 5_000);
    up.child.kill('SIGTERM');
    const exit = await up.exited;
    expect(exit.code).toBe(130);
    await waitFor('no process of the state folder is left', async () => (await processesOf(stateDir)).length === 0, 5_000);

    up = await startBerthUp({ stateDir });
    await up.waitForLine(new RegExp(`^\\[[\\d.]+s\\] ${servers.length}/${servers.length} servers Ready`), 30_000);
    const after = await serverProcessCounts(stateDir);
    expect(Object.keys(after).sort()).toEqual(servers);
    for (const name of servers) expect(after[name], `${name} processes after the restart`).toHaveLength(1);
    const stopped = await up.stop();
    up = undefined;
    expect(stopped.code).toBe(143);
    expect(await processesOf(stateDir)).toEqual([]);
  });
});
