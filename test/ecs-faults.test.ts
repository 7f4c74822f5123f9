/**
 * 20% throttling plus 5% 5xx on every API call: the provider still converges,
 * creates nothing twice, and its call rate stays inside AWS's documented token
 * buckets (the fake enforces them on the simulated clock: not one call may be
 * refused by a bucket, only by the injected faults).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { converge, ecsServer, ecsWorld, inventory, phaseOf, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

describe('ECS provider under faults', () => {
  it('converges with 20% throttling + 5% server errors, no duplicates, inside the documented buckets', async () => {
    w = await ecsWorld();
    w.fake.faults.set({ throttleRate: 0.2, serverErrorRate: 0.05, seed: 42 });
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    for (const n of names) await createApproved(w.store, ecsServer(n, {}, { routing: { host: `${n}.mcp.example.com` } }));
    for (const n of names) await converge(w, n, 200);
    for (const n of names) expect(await phaseOf(w, n)).toBe('Ready');
    const inv = inventory(w);
    expect(inv.services).toEqual(names.map((n) => `berth-${n}:ACTIVE`));
    expect(inv.activeTaskDefinitions).toEqual(names.map((n) => `berth-${n}:1`));
    expect(inv.targetGroups).toHaveLength(names.length);
    expect(inv.rules).toHaveLength(names.length);
    expect(inv.records).toHaveLength(names.length * 3); // alias A + alias AAAA + ownership TXT per server
    const injected = w.fake.calls.filter((c) => c.outcome === 'injected-throttle' || c.outcome === 'injected-server-error').length;
    expect(injected).toBeGreaterThan(20);
    // Refused by a documented bucket (not an injected fault): must be none.
    expect(w.fake.callCounts({ outcome: 'throttled' })).toEqual({});
    w.fake.faults.clear();
    for (const n of names) expect(await writesOfNextPass(w, n)).toEqual({});
  }, 60_000);

  it('a burst of 30 servers is paced by the client-side limiter: no bucket ever refuses a call', async () => {
    w = await ecsWorld();
    const names = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const n of names) await createApproved(w.store, ecsServer(n));
    // All at once: the first pass of every server runs concurrently.
    await Promise.all(names.map((n) => w.reconciler.reconcile(n).catch(() => undefined)));
    for (const n of names) await converge(w, n, 200);
    expect(w.fake.callCounts({ outcome: 'throttled' })).toEqual({});
    const stats = w.fake.bucketStats();
    expect(stats.every((s) => s.throttled === 0)).toBe(true);
    expect(inventory(w).services).toHaveLength(30);
  }, 60_000);
});
