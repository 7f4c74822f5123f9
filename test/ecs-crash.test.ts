/**
 * Crash safety at EVERY write boundary of create, update and retire: the
 * reconciler dies right after the k-th AWS write took effect (its response never
 * read), a NEW provider and reconciler take over, and the result is the same as
 * without a crash: no duplicate task definitions, services, target groups, rules
 * or records, no orphans, and a quiet pass afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isReadOperation } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, inventory, phaseOf, updateSpec, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** After the k-th successful write from now on, the caller "crashes" (the write stays applied). */
function crashAfterWrite(world: EcsWorld, k: number): { crashed: () => boolean; disarm: () => void } {
  const original = world.fake.handle.bind(world.fake);
  let writes = 0;
  let crashed = false;
  world.fake.handle = (service, operation, input) => {
    const out = original(service, operation, input);
    if (!isReadOperation(operation) && !crashed) {
      writes += 1;
      if (writes === k) {
        crashed = true;
        throw new Error(`simulated crash after write ${k} (${operation})`);
      }
    }
    return out;
  };
  return { crashed: () => crashed, disarm: () => (world.fake.handle = original) };
}

/** Passes until the armed crash fires (or the server converges first). */
async function runUntilCrash(world: EcsWorld, name: string, crashed: () => boolean): Promise<void> {
  for (let i = 0; i < 60 && !crashed(); i++) {
    let requeue: number | undefined = 1_000;
    try {
      requeue = (await world.reconciler.reconcile(name)).requeueAfterMs;
    } catch {
      if (crashed()) return;
    }
    if (requeue === undefined) return;
    world.clock.advance(requeue);
  }
}

const HOST = { routing: { host: 'weather.mcp.example.com' } };

/** Writes of a scenario without a crash, and the inventory it ends with. */
async function baseline(scenario: 'create' | 'update' | 'retire'): Promise<{ writes: number; inventory: ReturnType<typeof inventory> }> {
  const world = await ecsWorld();
  try {
    await createApproved(world.store, ecsServer('weather', {}, HOST));
    if (scenario !== 'create') await converge(world, 'weather');
    const since = world.fake.lastCallSeq;
    if (scenario === 'update') await updateSpec(world, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:2', replicas: 2 } }));
    if (scenario === 'retire') await world.store.delete('MCPServer', 'weather');
    await converge(world, 'weather');
    const writes = Object.values(world.fake.callCounts({ writesOnly: true, since, outcome: 'ok' })).reduce((a, b) => a + b, 0);
    return { writes, inventory: inventory(world) };
  } finally {
    await world.close();
  }
}

describe.each(['create', 'update', 'retire'] as const)('crash safety: %s', (scenario) => {
  it(`converges without duplicates or orphans after a crash at every write boundary`, async () => {
    const { writes, inventory: expected } = await baseline(scenario);
    expect(writes).toBeGreaterThan(2);
    for (let k = 1; k <= writes; k++) {
      w = await ecsWorld();
      await createApproved(w.store, ecsServer('weather', {}, HOST));
      if (scenario !== 'create') await converge(w, 'weather');
      if (scenario === 'update') await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:2', replicas: 2 } }));
      if (scenario === 'retire') await w.store.delete('MCPServer', 'weather');
      const hook = crashAfterWrite(w, k);
      await runUntilCrash(w, 'weather', hook.crashed);
      expect(hook.crashed(), `crash ${k} of ${writes} fired`).toBe(true);
      hook.disarm();
      w.restart();
      await converge(w, 'weather');
      expect(inventory(w), `after a crash at write ${k} of ${writes}`).toEqual(expected);
      if (scenario !== 'retire') expect(await phaseOf(w, 'weather')).toBe('Ready');
      expect(await writesOfNextPass(w, 'weather'), `quiet after crash ${k}`).toEqual({});
      await w.close();
      w = undefined;
    }
  }, 120_000);
});
