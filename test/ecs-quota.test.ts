/**
 * Listener quotas (AWS: 100 rules and 100 unique target groups per ALB, not
 * adjustable): with several listeners configured Berth spreads servers over
 * their load balancers and keeps each server where it was first placed; with
 * every load balancer full the next server gets a QuotaExceeded condition that
 * says what to do, before AWS ever refuses a write. Servers are reconciled
 * several at a time, as the controller's workers do, so placement decisions
 * race as they would in production.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RULES_PER_LOAD_BALANCER } from '../src/providers/ecs/quota.ts';
import { BLOCKED_POLL_MS } from '../src/providers/ecs/assess.ts';
import { ecsServer, ecsWorld, phaseOf, statusOf, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

/** The quota errors AWS (and the fake) answer when a load balancer is full. */
const QUOTA_ERRORS = /TooManyRules|TooManyTargetGroups|TooManyUniqueTargetGroupsPerLoadBalancer|TargetGroupAssociationLimit/;

/**
 * Runs passes of `names` on the fake clock, `concurrency` servers at a time
 * (the controller's default worker count is 4), each when its requeue delay
 * is due, until none asks to be requeued — or, with `untilBlocked`, until each
 * one left asks only for the slow poll of a blocked server.
 */
async function driveAll(names: readonly string[], opts: { concurrency?: number; untilBlocked?: boolean; maxSimulatedMs?: number } = {}): Promise<void> {
  const concurrency = opts.concurrency ?? 4;
  const maxMs = opts.maxSimulatedMs ?? 60 * 60_000;
  const start = w.clock.now();
  const due = new Map(names.map((n) => [n, w.clock.now()]));
  const blocked = new Set<string>();
  while ([...due.keys()].some((n) => !opts.untilBlocked || !blocked.has(n))) {
    const next = Math.min(...due.values());
    if (next > w.clock.now()) w.clock.advance(next - w.clock.now());
    if (w.clock.now() - start > maxMs) throw new Error(`not settled after ${maxMs} ms of simulated time: ${[...due.keys()].join(', ')}`);
    const ready = [...due].filter(([, at]) => at <= w.clock.now()).map(([n]) => n);
    for (let i = 0; i < ready.length; i += concurrency) {
      await Promise.all(
        ready.slice(i, i + concurrency).map(async (name) => {
          let requeue: number | undefined;
          try {
            requeue = (await w.reconciler.reconcile(name)).requeueAfterMs;
          } catch (err) {
            await w.reconciler.recordFailure({ key: name, error: err, terminal: false, attempt: 1, retryInMs: 1_000 });
            requeue = 1_000;
          }
          if (requeue === undefined) due.delete(name);
          else due.set(name, w.clock.now() + Math.max(requeue, 1));
          if (requeue === BLOCKED_POLL_MS) blocked.add(name);
          else blocked.delete(name);
        }),
      );
    }
  }
}

/** Per load balancer: non-default rules and unique target groups they forward to, from the fake's own state. */
function usageByLoadBalancer(): Map<string, { rules: number; targetGroups: number }> {
  const snap = w.fake.snapshot();
  const lbOf = new Map(snap.elbv2.listeners.map((l) => [l.arn, l.loadBalancerArn]));
  const out = new Map<string, { rules: number; groups: Set<string> }>();
  for (const lb of snap.elbv2.loadBalancers) out.set(lb.arn, { rules: 0, groups: new Set() });
  for (const r of snap.elbv2.rules) {
    if (r.priority === 'default') continue;
    const u = out.get(lbOf.get(r.listenerArn)!)!;
    u.rules += 1;
    for (const g of r.targetGroupArns) u.groups.add(g);
  }
  return new Map([...out].map(([lb, u]) => [lb, { rules: u.rules, targetGroups: u.groups.size }]));
}

/** server → listener ARN its (only) rule is on. */
function placement(): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of w.fake.snapshot().elbv2.rules) {
    const server = r.tags['berth:server'];
    if (server === undefined) continue;
    expect(out.has(server), `${server} has more than one rule`).toBe(false);
    out.set(server, r.listenerArn);
  }
  return out;
}

function quotaRefusals(since = 0): string[] {
  return w.fake.calls.filter((c) => c.seq > since && c.error !== undefined && QUOTA_ERRORS.test(c.error)).map((c) => `${c.operation}: ${c.error}`);
}

async function createServers(names: readonly string[]): Promise<void> {
  for (const n of names) await createApproved(w.store, ecsServer(n));
}

const serverNames = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

describe('ECS listener quotas', () => {
  it('two listeners, 130 servers: all converge, no ALB over its quota, nobody moves on later passes, a resync writes nothing', async () => {
    w = await ecsWorld({ listeners: 2 });
    const names = serverNames('s', 130);
    await createServers(names);
    // Many workers at once, so several servers race for the first ALB's last slots.
    await driveAll(names, { concurrency: 16 });

    const phases = await Promise.all(names.map((n) => phaseOf(w, n)));
    expect(phases.filter((p) => p !== 'Ready')).toEqual([]);
    expect(quotaRefusals()).toEqual([]);
    const usage = [...usageByLoadBalancer().values()];
    expect(usage).toHaveLength(2);
    for (const u of usage) {
      expect(u.rules).toBeLessThanOrEqual(RULES_PER_LOAD_BALANCER);
      expect(u.targetGroups).toBeLessThanOrEqual(RULES_PER_LOAD_BALANCER);
    }
    expect(usage.reduce((s, u) => s + u.rules, 0)).toBe(130);
    const first = placement();
    expect(first.size).toBe(130);
    expect(new Set(first.values()).size).toBe(2);
    // Status names the listener each server is on, the one its rule really is on.
    const sample = names[129]!;
    expect(((await statusOf(w, sample))?.runtime?.['arns'] as Record<string, string>)['listener']).toBe(first.get(sample));

    // Two resyncs: nobody moves, and the second (and first) write nothing.
    for (let round = 0; round < 2; round++) {
      w.clock.advance(60_000);
      const since = w.fake.lastCallSeq;
      await driveAll(names);
      expect(w.fake.callCounts({ writesOnly: true, since })).toEqual({});
      expect(placement()).toEqual(first);
    }

    // Free room on the fuller ALB: the servers on the other one still stay put, a new server takes the room.
    const [fullerListener] = [...new Set(first.values())].sort((a, b) => count(b) - count(a));
    function count(listener: string): number {
      return [...first.values()].filter((l) => l === listener).length;
    }
    const leaving = names.filter((n) => first.get(n) === fullerListener).slice(0, 3);
    for (const n of leaving) await w.store.delete('MCPServer', n);
    await driveAll(leaving);
    await createApproved(w.store, ecsServer('late-comer'));
    await driveAll(['late-comer']);
    expect(await phaseOf(w, 'late-comer')).toBe('Ready');
    w.clock.advance(60_000);
    const staying = names.filter((n) => !leaving.includes(n));
    const since = w.fake.lastCallSeq;
    await driveAll(staying);
    expect(w.fake.callCounts({ writesOnly: true, since })).toEqual({});
    const after = placement();
    for (const n of staying) expect(after.get(n), n).toBe(first.get(n));
    expect(quotaRefusals()).toEqual([]);
  }, 60_000);

  it('one listener full: the next server reports QuotaExceeded naming the listener and the limit before AWS refuses; freeing a slot lets it converge', async () => {
    w = await ecsWorld({ listeners: 1 });
    const names = serverNames('f', RULES_PER_LOAD_BALANCER - 1);
    await createServers(names);
    await driveAll(names);
    expect((await Promise.all(names.map((n) => phaseOf(w, n)))).filter((p) => p !== 'Ready')).toEqual([]);
    expect(usageByLoadBalancer().values().next().value).toEqual({ rules: 99, targetGroups: 99 });

    // Two servers race for the last slot: one gets it, the other waits with a clear condition.
    const since = w.fake.lastCallSeq;
    const racers = ['racer-a', 'racer-b'];
    await createServers(racers);
    await driveAll(racers, { untilBlocked: true });
    expect(quotaRefusals(since)).toEqual([]);
    const phases = await Promise.all(racers.map((n) => phaseOf(w, n)));
    expect([...phases].sort()).toEqual(['Degraded', 'Ready']);
    const waiting = racers[phases.indexOf('Degraded')]!;
    const status = await statusOf(w, waiting);
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
    const listener = w.config.listeners[0]!;
    const lbName = listener.loadBalancerArn.split('/').slice(-2, -1)[0]!;
    expect(ready?.message).toContain(lbName);
    expect(ready?.message).toMatch(/100 rules/);
    expect(ready?.message).toMatch(/add .*listener.* environment config/i);
    // Berth stopped before AWS had to say no: no quota error, no rule, no service for it.
    expect(quotaRefusals(since)).toEqual([]);
    const snap = w.fake.snapshot();
    expect(snap.elbv2.rules.filter((r) => r.tags['berth:server'] === waiting)).toEqual([]);
    expect(snap.ecs.services.filter((s) => s.name === `berth-${waiting}`)).toEqual([]);
    expect(usageByLoadBalancer().values().next().value).toEqual({ rules: 100, targetGroups: 100 });

    // Still waiting (and still not refused) a few blocked polls later.
    for (let i = 0; i < 3; i++) {
      w.clock.advance(60_000);
      await w.reconciler.reconcile(waiting);
    }
    expect(await phaseOf(w, waiting)).toBe('Degraded');
    expect(quotaRefusals(since)).toEqual([]);

    // Retire one server: its slot goes to the waiting one on a later pass.
    await w.store.delete('MCPServer', names[0]!);
    await driveAll([names[0]!]);
    w.clock.advance(60_000);
    await driveAll([waiting]);
    expect(await phaseOf(w, waiting)).toBe('Ready');
    expect((await statusOf(w, waiting))?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(usageByLoadBalancer().values().next().value).toEqual({ rules: 100, targetGroups: 100 });
    expect(quotaRefusals()).toEqual([]);
  }, 60_000);
});
