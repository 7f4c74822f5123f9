/**
 * How the ECS provider reads services: names asked for at the same moment share
 * DescribeServices calls (≤ 10 names each, the rest filled with other known
 * services), and nothing read that way hides a change made outside Berth from
 * the next pass.
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

function describeServicesCalls(since: number): Array<{ services: string[] }> {
  return w.fake.calls.filter((c) => c.seq > since && c.operation === 'DescribeServices').map((c) => c.input as { services: string[] });
}

describe('ECS service reads', () => {
  it('a resync of 25 servers at once costs about ⌈25/10⌉ DescribeServices, never more than 10 names a call, zero writes', async () => {
    w = await ecsWorld();
    const names = Array.from({ length: 25 }, (_, i) => `srv-${String(i).padStart(2, '0')}`);
    for (const n of names) {
      await createApproved(w.store, ecsServer(n));
      await converge(w, n);
    }
    w.clock.advance(60_000);
    const since = w.fake.lastCallSeq;
    await Promise.all(names.map((n) => w.reconciler.reconcile(n)));
    const calls = describeServicesCalls(since);
    expect(calls.every((c) => c.services.length >= 1 && c.services.length <= 10)).toBe(true);
    // Every server's service was described in this pass (nothing served from before the resync)…
    expect(new Set(calls.flatMap((c) => c.services))).toEqual(new Set(names.map((n) => `berth-${n}`)));
    // …in a handful of calls rather than one per server.
    expect(calls.length).toBeLessThanOrEqual(5);
    expect(w.fake.callCounts({ since, writesOnly: true })).toEqual({});
  });

  it('a service read along with another server is not trusted past the pass: drift made meanwhile is restored', async () => {
    w = await ecsWorld();
    for (const n of ['alpha', 'beta']) {
      await createApproved(w.store, ecsServer(n));
      await converge(w, n);
    }
    w.clock.advance(60_000);
    const since = w.fake.lastCallSeq;
    await w.reconciler.reconcile('alpha');
    // beta rode along in alpha's DescribeServices call.
    expect(describeServicesCalls(since).flatMap((c) => c.services)).toContain('berth-beta');
    const beta = w.fake.snapshot().ecs.services.find((s) => s.name === 'berth-beta')!;
    await createFakeAwsClients(w.fake).ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: beta.arn, desiredCount: 3 }));
    w.clock.advance(10_000);
    const next = w.fake.lastCallSeq;
    await w.reconciler.reconcile('beta');
    expect(w.fake.callCounts({ since: next, writesOnly: true, outcome: 'ok' })).toMatchObject({ UpdateService: 1 });
    expect(w.fake.snapshot().ecs.services.find((s) => s.name === 'berth-beta')!.desiredCount).toBe(1);
    await converge(w, 'beta');
    expect(await writesOfNextPass(w, 'beta')).toEqual({});
  });
});
