/**
 * AWS's limits in the contract: what a load-balancer rule can hold is checked by
 * `berth validate` and at registry admission (the same validateObject), names
 * Berth derives always fit, and the provider refuses an over-long route stored
 * before the limit existed without creating anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../src/client/errors.ts';
import { validateObject } from '../src/manifest/index.ts';
import { isTerminal } from '../src/kit/errors.ts';
import { familyName, serviceName, targetGroupName } from '../src/providers/ecs/naming.ts';
import { conditionsFor } from '../src/providers/ecs/render.ts';
import { MAX_CONDITION_VALUE } from '../src/providers/ecs/rule-order.ts';
import { mcpServer } from './support/manifests.ts';
import { parseEcsEnvironment } from '../src/providers/ecs/index.ts';
import { converge, ecsServer, ecsWorld, statusOf, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

/** The smallest valid environment config. */
const BASE_ENV = {
  installationId: 'berth-test',
  region: 'us-east-1',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
  vpcId: 'vpc-1',
  subnets: ['subnet-a'],
  securityGroups: ['sg-1'],
  listeners: [{ arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/berth/abc/def', dnsName: 'berth.example.com', canonicalHostedZoneId: 'Z1' }],
};

const RUNTIME = { image: 'example/a:1', transport: 'streamable-http' as const };
const pathOf = (n: number): string => `/${'p'.repeat(n - 1)}`;
/** A valid host name of `n` characters: labels of 50, the last one cut (a cut at a dot takes one more letter). */
const hostOf = (n: number): string => Array.from({ length: 5 }, () => 'h'.repeat(50)).join('.').slice(0, n).replace(/\.$/, 'h');

describe('route limits at validate time', () => {
  it('a routing.path of 126 characters passes; 127 is refused, naming the 128-character pattern limit and the "/*" Berth appends', () => {
    expect(validateObject(mcpServer('a', { runtime: RUNTIME, routing: { path: pathOf(126) } }))).toEqual([]);
    const problems = validateObject(mcpServer('a', { runtime: RUNTIME, routing: { path: pathOf(127) } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('spec.routing.path');
    expect(problems[0]!.message).toContain('routing.path is 127 characters long (normalised); it may have at most 126');
    expect(problems[0]!.message).toContain('"<path>/*"');
  });

  it('a routing.host over 128 characters is refused', () => {
    expect(hostOf(128)).toHaveLength(128);
    expect(validateObject(mcpServer('a', { runtime: RUNTIME, routing: { host: hostOf(128) } }))).toEqual([]);
    const problems = validateObject(mcpServer('a', { runtime: RUNTIME, routing: { host: hostOf(129) } }));
    expect(problems.map((p) => p.path)).toEqual(['spec.routing.host']);
    expect(problems[0]!.message).toContain('routing.host is 129 characters long; it may have at most 128: AWS allows load-balancer host conditions of at most 128 characters');
  });

  it('the registry refuses the same with 422 and the same message (admission runs validateObject)', async () => {
    w = await ecsWorld();
    const err = await w.registry.apply(mcpServer('a', { runtime: RUNTIME, routing: { path: pathOf(200) } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(422);
    expect(JSON.stringify((err as RegistryError).errors)).toContain('it may have at most 126');
  });
});

describe('what Berth derives always fits', () => {
  it('the longest name (63 characters) gives a target group name ≤ 32, a service and family name ≤ 255, and rules within 128 and 5 values', () => {
    const name = `a${'b'.repeat(61)}c`;
    expect(name).toHaveLength(63);
    const tg = targetGroupName(name, { protocol: 'HTTP', port: 8080, vpcId: 'vpc-1', targetType: 'ip' });
    expect(tg.length).toBeLessThanOrEqual(32);
    expect(tg).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/);
    expect(serviceName(name).length).toBeLessThanOrEqual(255);
    expect(familyName(name).length).toBeLessThanOrEqual(255);
    const conditions = conditionsFor(pathOf(126), hostOf(128));
    const values = conditions.flatMap((c) => c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? []);
    expect(values.length).toBeLessThanOrEqual(5);
    for (const v of values) expect(v.length).toBeLessThanOrEqual(MAX_CONDITION_VALUE);
  });
});

describe('the provider', () => {
  it('refuses an over-long route stored before the limit, terminally, before creating anything (no target group left behind)', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('long', {}, { routing: { path: pathOf(200) } }));
    const failure = await w.reconciler.reconcile('long').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTerminal(failure)).toBe(true);
    expect((failure as Error).message).toContain('it may have at most 126');
    expect(w.fake.callCounts({ writesOnly: true })).toEqual({});
  });
});

describe('the listener-rule quota from the environment config', () => {
  it('rulesPerLoadBalancer: the next server past it reports QuotaExceeded naming the setting, before AWS is asked', async () => {
    w = await ecsWorld({ environment: { rulesPerLoadBalancer: 2 } });
    for (const name of ['one', 'two', 'three']) await createApproved(w.store, ecsServer(name));
    await converge(w, 'one');
    await converge(w, 'two');
    await w.reconciler.reconcile('three');
    const status = await statusOf(w, 'three');
    const blocked = status?.conditions?.find((c) => c.message?.includes('2/2 rules'));
    expect(blocked?.message).toContain('rulesPerLoadBalancer');
    expect(w.fake.snapshot().elbv2.rules.filter((r) => r.priority !== 'default')).toHaveLength(2);
  });

  it('is at most 198, a priority band’s width, so a band can never fill', () => {
    const file = (n: number) => ({ environments: { dev: { ...BASE_ENV, rulesPerLoadBalancer: n } } });
    expect(parseEcsEnvironment(file(198), 'dev').rulesPerLoadBalancer).toBe(198);
    expect(() => parseEcsEnvironment(file(199), 'dev')).toThrow(/rulesPerLoadBalancer: must be a whole number from 1 to 198/);
  });
});
