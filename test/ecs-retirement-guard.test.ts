/**
 * The mass-deletion guard of the ECS provider: a cap on retirements started per
 * minute, and an optional refusal when too large a fraction of the fleet asks to
 * retire at once. Driven through the real reconciler and SDK clients into the fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { converge, ecsServer, ecsWorld, inventory, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

/** Runs every server's passes in due order on the fake clock until none asks to be requeued. */
async function driveAll(names: string[], maxSimulatedMs = 30 * 60_000): Promise<void> {
  const start = w.clock.now();
  const due = new Map(names.map((n) => [n, w.clock.now()]));
  while (due.size > 0) {
    const [name, at] = [...due].sort((a, b) => a[1] - b[1])[0]!;
    if (at > w.clock.now()) w.clock.advance(at - w.clock.now());
    if (w.clock.now() - start > maxSimulatedMs) throw new Error(`not done after ${maxSimulatedMs} ms of simulated time: ${[...due.keys()].join(', ')}`);
    let requeue: number | undefined;
    try {
      requeue = (await w.reconciler.reconcile(name)).requeueAfterMs;
    } catch {
      requeue = 1_000;
    }
    if (requeue === undefined) due.delete(name);
    else due.set(name, w.clock.now() + Math.max(requeue, 1));
  }
}

async function statusText(name: string): Promise<string> {
  return JSON.stringify((await w.store.get('MCPServer', name))?.status ?? {});
}

/** Simulated time of the first successful DeleteService of each server. */
function deleteServiceTimes(): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of w.fake.calls) {
    if (c.operation !== 'DeleteService' || c.outcome !== 'ok') continue;
    const name = /berth-([a-z0-9-]+)$/.exec(String((c.input as { service?: string }).service))?.[1];
    if (name !== undefined && !out.has(name)) out.set(name, c.at);
  }
  return out;
}

async function fleet(n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `svc-${i}`);
  for (const name of names) {
    await createApproved(w.store, ecsServer(name));
    await converge(w, name);
  }
  return names;
}

describe('ECS mass-deletion guard', () => {
  it('deleting 10 servers at once with maxRetirementsPerMinute 3: 3 start in the first minute, the rest follow 3 a minute, and status says why they wait', async () => {
    w = await ecsWorld();
    w.config.maxRetirementsPerMinute = 3;
    w.restart();
    const names = await fleet(10);
    const t0 = w.clock.now();
    for (const name of names) await w.store.delete('MCPServer', name);

    // One pass over every server at the same moment, as a resync would do.
    for (const name of names) await w.reconciler.reconcile(name);
    const started = [...deleteServiceTimes().keys()];
    expect(started).toHaveLength(3);
    const held = names.filter((n) => !started.includes(n));
    for (const name of held) {
      expect(await statusText(name)).toMatch(/mass-deletion guard: 3 retirements started in the last 60s \(maxRetirementsPerMinute 3\); this one starts in \d+s/);
    }

    await driveAll(names);
    const times = deleteServiceTimes();
    expect(times.size).toBe(10);
    const perMinute = new Map<number, number>();
    for (const at of times.values()) {
      const minute = Math.floor((at - t0) / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    expect([...perMinute.values()].every((n) => n <= 3)).toBe(true);
    // Any 60 s window holds at most 3 starts.
    const sorted = [...times.values()].sort((a, b) => a - b);
    for (let i = 3; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 3]!).toBeGreaterThanOrEqual(60_000);
    // Everything retired in the end: no services, rules, target groups or task definitions; objects gone.
    expect(inventory(w)).toMatchObject({ services: [], targetGroups: [], rules: [], activeTaskDefinitions: [] });
    for (const name of names) expect(await w.store.get('MCPServer', name)).toBeUndefined();
  });

  it('maxRetirementFraction: when too much of the fleet asks to retire at once, the rest is refused until the operator raises the limit', async () => {
    w = await ecsWorld();
    w.config.maxRetirementFraction = 0.25;
    w.restart();
    const names = await fleet(8);
    expect(await w.provider.listManaged()).toHaveLength(8); // the fleet size the guard compares with
    const doomed = names.slice(0, 5);
    for (const name of doomed) await w.store.delete('MCPServer', name);
    for (const name of doomed) await w.reconciler.reconcile(name);
    expect(deleteServiceTimes().size).toBe(2); // 2 of 8 = the fraction allowed
    const refused = doomed.filter((n) => !deleteServiceTimes().has(n));
    expect(refused).toHaveLength(3);
    expect(await statusText(refused[0]!)).toMatch(/mass-deletion guard: \d of 8 servers asked to retire within 60s, more than maxRetirementFraction 0\.25/);

    // Still refused minutes later: the requests keep coming, so the guard holds.
    for (let minute = 0; minute < 3; minute++) {
      w.clock.advance(60_000);
      for (const name of refused) await w.reconciler.reconcile(name);
    }
    expect(deleteServiceTimes().size).toBe(2);

    // The operator confirms: a higher limit (a restarted reconciler) lets the rest go.
    w.config.maxRetirementFraction = 1;
    w.restart();
    await driveAll(doomed);
    expect(deleteServiceTimes().size).toBe(5);
    expect(inventory(w).services).toEqual(names.slice(5).map((n) => `berth-${n}:ACTIVE`));
  });
});
