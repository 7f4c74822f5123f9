/**
 * Rollback: an image whose tasks never turn healthy → the circuit breaker rolls
 * back → Degraded with the reason and no redeploy loop; a fixed manifest recovers.
 * Drift: desiredCount, task definition, rule conditions and the DNS record changed
 * outside Berth (through the SDK, as another actor would) are put back on the next
 * pass and reported (audit + Drifted condition).
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, phaseOf, registerHotfixRevision, statusOf, updateSpec, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

describe('circuit-breaker rollback', () => {
  it('Degraded with the reason, no redeploy over many passes, recovers when the manifest changes', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather'));
    await converge(w, 'weather');
    w.fake.ecs.markImageUnhealthy('example/weather:2');
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:2' } }));
    const since = w.fake.lastCallSeq;
    await converge(w, 'weather', 200);
    // Many more passes (resyncs) over a long time: still no redeploy of the failed image.
    for (let i = 0; i < 30; i++) {
      w.clock.advance(30_000);
      await w.reconciler.reconcile('weather');
    }
    const deploys = w.fake.calls.filter((c) => c.seq > since && c.operation === 'UpdateService' && c.outcome === 'ok' && (c.input as { taskDefinition?: string }).taskDefinition !== undefined);
    expect(deploys).toHaveLength(1);
    const status = await statusOf(w, 'weather');
    expect(status?.phase).toBe('Degraded');
    const degraded = status?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'RolledBack' });
    expect(degraded?.message).toContain('example/weather:2');
    expect(degraded?.message).toContain('rolled back');
    const svc = w.fake.snapshot().ecs.services[0]!;
    expect(svc.taskDefinition).toMatch(/berth-weather:1$/);
    expect(svc.tags['berth:failed-spec-hash']).toBe(svc.tags['berth:spec-hash']);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});

    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:3' } }));
    await converge(w, 'weather', 200);
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    expect(w.fake.snapshot().ecs.services[0]!.taskDefinition).toMatch(/berth-weather:3$/);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  }, 60_000);

  it('berth:failed-spec-hash is cleared once a different configuration rolls out successfully, and the old failure is not reported any more', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather'));
    await converge(w, 'weather');
    w.fake.ecs.markImageUnhealthy('example/weather:2');
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:2' } }));
    await converge(w, 'weather', 200);
    expect(await phaseOf(w, 'weather')).toBe('Degraded');
    const failedHash = w.fake.snapshot().ecs.services[0]!.tags['berth:failed-spec-hash'];
    expect(failedHash).toMatch(/^[0-9a-f]{64}$/);

    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:3' } }));
    await converge(w, 'weather', 200);
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const svc = w.fake.snapshot().ecs.services[0]!;
    expect(svc.tags['berth:failed-spec-hash']).toBeUndefined();
    expect(svc.tags['berth:spec-hash']).not.toBe(failedHash);
    // Removed once, only after the new rollout completed.
    const untags = w.fake.calls.filter((c) => c.seq > since && c.operation === 'UntagResource' && c.outcome === 'ok');
    expect(untags).toHaveLength(1);
    const completedDeploy = w.fake.calls.filter((c) => c.seq > since && c.operation === 'UpdateService' && c.outcome === 'ok').at(-1)!;
    expect(untags[0]!.seq).toBeGreaterThan(completedDeploy.seq);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
    const degraded = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Degraded');
    expect(degraded?.status).not.toBe('True');
  }, 60_000);
});

describe('drift made outside Berth', () => {
  it('desiredCount, task definition, rule conditions and DNS record are restored and reported', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: 'weather.mcp.example.com' } }));
    await converge(w, 'weather');
    const before = w.fake.snapshot();
    const svc = before.ecs.services[0]!;
    const rule = before.elbv2.rules.find((r) => r.priority !== 'default')!;
    const other = createFakeAwsClients(w.fake);
    const taskDefinition = await registerHotfixRevision(other.ecs);
    await other.ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: svc.arn, desiredCount: 3, taskDefinition }));
    await other.elbv2.send(new ModifyRuleCommand({ RuleArn: rule.arn, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/hijacked/*'] } }] }));
    const alias = before.route53.zones[0]!.records.find((r) => r.Type === 'A')!;
    await other.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: w.config.hostedZoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...alias, AliasTarget: { ...alias.AliasTarget!, DNSName: 'elsewhere.example.net.' } } }] },
      }),
    );

    w.clock.advance(10_000);
    await w.reconciler.reconcile('weather');
    const after = w.fake.snapshot();
    expect(after.ecs.services[0]!.desiredCount).toBe(1);
    expect(after.ecs.services[0]!.taskDefinition).toBe(svc.taskDefinition);
    expect(after.elbv2.rules.find((r) => r.arn === rule.arn)!.conditions).toEqual(rule.conditions);
    expect(after.route53.zones[0]!.records.find((r) => r.Type === 'A')!.AliasTarget!.DNSName).toBe(alias.AliasTarget!.DNSName);

    const drifted = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Drifted');
    expect(drifted?.status).toBe('True');
    for (const what of ['desiredCount', 'task definition', 'conditions', 'DNS record']) expect(drifted?.message).toContain(what);
    const audit = await w.registry.queryAudit({ name: 'weather', action: 'drift' });
    const driftAudit = audit.find((a) => a.action === 'drift');
    expect(JSON.stringify(driftAudit?.details)).toContain('desiredCount');

    await converge(w, 'weather', 200);
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  }, 60_000);
});
