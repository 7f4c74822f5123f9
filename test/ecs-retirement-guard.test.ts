/**
 * The mass-deletion guard of the ECS provider: a cap on retirements started per
 * minute, and an optional refusal when too large a fraction of the fleet asks to
 * retire at once. Driven through the real reconciler and SDK clients into the fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MCPServer } from '../src/manifest/types.ts';
import { planAll } from '../src/reconciler/plan-all.ts';
import { planResult } from '../src/reconciler/plan.ts';
import { converge, ecsServer, ecsWorld, inventory, updateSpec, type EcsWorld } from './ecs-harness.ts';
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
  }, 30_000);

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
    expect(await statusText(refused[0]!)).toMatch(/mass-deletion guard: retirement of svc-\d held until an operator acts: (2 of the 8 servers managed before this prune began have already started retiring|\d other retirement\(s\) of this prune are already held)/);

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
  }, 30_000);

  it('the leak sequence (fleet 5, prune all, 2 a minute, fraction 0.5): exactly 2 retire and the other 3 stay held as time passes and across a restart, until the operator raises the fraction', async () => {
    w = await ecsWorld();
    w.config.maxRetirementsPerMinute = 2;
    w.config.maxRetirementFraction = 0.5;
    w.restart();
    const names = await fleet(5);
    expect(await w.provider.listManaged()).toHaveLength(5);
    for (const name of names) await w.store.delete('MCPServer', name);
    for (const name of names) await w.reconciler.reconcile(name);
    const first = [...deleteServiceTimes().keys()];
    expect(first).toHaveLength(2); // ⌊5 × 0.5⌋
    const held = names.filter((n) => !first.includes(n));

    const heldCondition = async (name: string) => ((await w.store.get('MCPServer', name)) as MCPServer | undefined)?.status?.conditions?.find((c) => c.type === 'RetirementHeld');
    for (const name of held) {
      const c = await heldCondition(name);
      expect(c).toMatchObject({ status: 'True', reason: 'MassDeletionGuard' });
      expect(c?.message).toMatch(/held until an operator acts/);
      expect(c?.message).toContain('raise maxRetirementFraction (now 0.5) in the environment "dev" config and restart the reconciler');
    }

    // Ten simulated minutes of resyncs: the first two finish, the fleet shrinks to 3 (below minFleet 4), and nothing more goes.
    for (let minute = 0; minute < 10; minute++) {
      w.clock.advance(60_000);
      await w.provider.listManaged();
      for (const name of names) await w.reconciler.reconcile(name).catch(() => undefined);
    }
    expect(deleteServiceTimes().size).toBe(2);
    for (const name of first) expect(await w.store.get('MCPServer', name)).toBeUndefined();
    expect(await w.provider.listManaged()).toEqual(held);
    // The hold is recorded on each held service, so a restarted reconciler (same config) keeps holding.
    for (const svc of w.fake.snapshot().ecs.services.filter((x) => x.status === 'ACTIVE')) {
      expect(svc.tags['berth:retirement-held']).toMatch(/^baseline=5 fraction=0\.5 since=/);
    }
    // `berth plan` reports them as held, not as changes.
    const plan = await planAll(w.registry, [w.provider], 'dev');
    expect(plan.plans.map((p) => [p.name, planResult(p)])).toEqual(held.map((n) => [n, 'blocked']));
    expect(plan.changes).toBe(0);
    expect(plan.text()).toMatch(/! blocked \(Held, MassDeletionGuard\): retirement held by the mass-deletion guard since \S+ \(5 servers before the prune began, maxRetirementFraction 0\.5\); raise maxRetirementFraction/);

    w.restart();
    for (let minute = 0; minute < 3; minute++) {
      w.clock.advance(60_000);
      await w.provider.listManaged();
      for (const name of held) await w.reconciler.reconcile(name);
    }
    expect(deleteServiceTimes().size).toBe(2);
    expect((await heldCondition(held[0]!))?.status).toBe('True');

    // The operator acts: a raised fraction (a restarted reconciler) releases the hold; the rest go, still 2 a minute.
    w.config.maxRetirementFraction = 1;
    w.restart();
    await w.provider.listManaged();
    await driveAll(held);
    expect(deleteServiceTimes().size).toBe(5);
    expect(inventory(w)).toMatchObject({ services: [], targetGroups: [], rules: [], activeTaskDefinitions: [] });
    for (const name of names) expect(await w.store.get('MCPServer', name)).toBeUndefined();
  }, 30_000);

  it('a held server whose manifest comes back is deployed again: the hold and its tag are dropped', async () => {
    w = await ecsWorld();
    w.config.maxRetirementFraction = 0.25;
    w.restart();
    const names = await fleet(4);
    await w.provider.listManaged();
    // Both taken out of service (lifecycle draft: not deployed): 1 of 4 is all fraction 0.25 allows.
    for (const name of names.slice(0, 2)) await updateSpec(w, name, (spec) => ({ ...spec, lifecycle: 'draft' }));
    await w.reconciler.reconcile(names[0]!);
    await w.reconciler.reconcile(names[1]!);
    expect(deleteServiceTimes().size).toBe(1);
    const heldName = deleteServiceTimes().has(names[0]!) ? names[1]! : names[0]!;
    expect(await statusText(heldName)).toContain('RetirementHeld');
    await updateSpec(w, heldName, (spec) => ({ ...spec, lifecycle: 'approved-dev' }));
    await converge(w, heldName);
    expect(await statusText(heldName)).not.toContain('RetirementHeld');
    const svc = w.fake.snapshot().ecs.services.find((x) => x.name === `berth-${heldName}`);
    expect(svc?.status).toBe('ACTIVE');
    expect(svc?.tags['berth:retirement-held']).toBeUndefined();
  }, 30_000);
});
