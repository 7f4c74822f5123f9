/**
 * Every correction is reported: each field Berth puts back on ECS, ELBv2 or
 * Route 53 after another actor changed it (through the SDK, against the fake)
 * raises the Drifted condition naming the field and writes a `drift` audit
 * entry, and the next pass writes nothing (no correction loop).
 */
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CreateTargetGroupCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, ModifyRuleCommand, ModifyTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, registerHotfixRevision, statusOf, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

type Other = ReturnType<typeof createFakeAwsClients>;

interface Case {
  field: string;
  /** Words the Drifted message and the audit entry must contain. */
  mentions: RegExp;
  change(other: Other, ids: { service: string; rule: string; targetGroup: string }): Promise<void>;
  /** Reads the value back after the correction and checks it is the manifest's again. */
  check(other: Other, ids: { service: string; rule: string; targetGroup: string }): Promise<void>;
}

async function describeService(other: Other, arn: string) {
  const out = await other.ecs.send(new DescribeServicesCommand({ cluster: w.config.clusterArn, services: [arn] }));
  return out.services![0]!;
}

const cases: Case[] = [
  {
    field: 'health-check grace period',
    mentions: /health-check grace period changed outside Berth to 5s; manifest says 30s/,
    change: async (o, id) => void (await o.ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: id.service, healthCheckGracePeriodSeconds: 5 }))),
    check: async (o, id) => expect((await describeService(o, id.service)).healthCheckGracePeriodSeconds).toBe(30),
  },
  {
    field: 'network configuration',
    mentions: /network configuration changed outside Berth to subnets subnet-x, security groups sg-open, public IP ENABLED; config says subnets subnet-a,subnet-b, security groups sg-berth, public IP DISABLED/,
    change: async (o, id) =>
      void (await o.ecs.send(
        new UpdateServiceCommand({ cluster: w.config.clusterArn, service: id.service, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-x'], securityGroups: ['sg-open'], assignPublicIp: 'ENABLED' } } }),
      )),
    check: async (o, id) =>
      expect((await describeService(o, id.service)).networkConfiguration?.awsvpcConfiguration).toMatchObject({ subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-berth'], assignPublicIp: 'DISABLED' }),
  },
  {
    field: 'deployment circuit breaker',
    mentions: /deployment circuit breaker changed outside Berth \(enable false, rollback false\)/,
    change: async (o, id) =>
      void (await o.ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: id.service, deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } } }))),
    check: async (o, id) => expect((await describeService(o, id.service)).deploymentConfiguration?.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true }),
  },
  {
    field: 'desired count',
    mentions: /desiredCount changed outside Berth to 4; manifest says 1/,
    change: async (o, id) => void (await o.ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: id.service, desiredCount: 4 }))),
    check: async (o, id) => expect((await describeService(o, id.service)).desiredCount).toBe(1),
  },
  {
    field: 'task definition',
    mentions: /task definition changed outside Berth to arn:aws:ecs:[^ ]*berth-weather:2/,
    change: async (o, id) => {
      const taskDefinition = await registerHotfixRevision(o.ecs);
      await o.ecs.send(new UpdateServiceCommand({ cluster: w.config.clusterArn, service: id.service, taskDefinition }));
    },
    check: async (o, id) => expect((await describeService(o, id.service)).taskDefinition).toMatch(/berth-weather:1$/),
  },
  {
    field: 'target group health check',
    mentions: /target group b-weather-[0-9a-f]+: health check changed outside Berth \(\/ every 300s/,
    change: async (o, id) => void (await o.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: id.targetGroup, HealthCheckPath: '/', HealthCheckIntervalSeconds: 300 }))),
    check: async (o, id) => {
      const tg = (await o.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [id.targetGroup] }))).TargetGroups![0]!;
      expect([tg.HealthCheckPath, tg.HealthCheckIntervalSeconds]).toEqual(['/healthz', 10]);
    },
  },
  {
    field: 'rule conditions',
    mentions: /listener rule [^ ]+: conditions changed outside Berth/,
    change: async (o, id) => void (await o.elbv2.send(new ModifyRuleCommand({ RuleArn: id.rule, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/hijacked/*'] } }] }))),
    check: async (o, id) => {
      const rule = (await o.elbv2.send(new DescribeRulesCommand({ RuleArns: [id.rule] }))).Rules![0]!;
      expect(rule.Conditions?.flatMap((c) => c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? c.Values ?? []).sort()).toEqual(['/mcp/weather', '/mcp/weather/*', 'weather.mcp.example.com']);
    },
  },
  {
    field: 'rule action',
    mentions: /listener rule [^ ]+: forwards to arn:[^ ]*elsewhere[^ ]* instead of b-weather-/,
    change: async (o, id) => {
      const elsewhere = await o.elbv2.send(new CreateTargetGroupCommand({ Name: 'elsewhere', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-0fake0000000000001', TargetType: 'ip' }));
      await o.elbv2.send(new ModifyRuleCommand({ RuleArn: id.rule, Actions: [{ Type: 'forward', TargetGroupArn: elsewhere.TargetGroups![0]!.TargetGroupArn }] }));
    },
    check: async (o, id) => {
      const rule = (await o.elbv2.send(new DescribeRulesCommand({ RuleArns: [id.rule] }))).Rules![0]!;
      expect(rule.Actions?.map((a) => a.TargetGroupArn)).toEqual([id.targetGroup]);
    },
  },
  {
    field: 'DNS record',
    mentions: /DNS record weather\.mcp\.example\.com\. A: changed outside Berth/,
    change: async (o) => {
      const alias = w.fake.snapshot().route53.zones[0]!.records.find((r) => r.Type === 'A')!;
      await o.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: w.config.hostedZoneId,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...alias, AliasTarget: { ...alias.AliasTarget!, DNSName: 'elsewhere.example.net.' } } }] },
        }),
      );
    },
    check: async () => {
      const alias = w.fake.snapshot().route53.zones[0]!.records.find((r) => r.Type === 'A')!;
      expect(alias.AliasTarget?.DNSName).toBe(`dualstack.${w.config.listeners[0]!.dnsName}.`);
    },
  },
];

describe('every correction is reported', () => {
  it.each(cases)('$field changed outside Berth: put back, Drifted names it, an audit entry records it', async (c) => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather', { healthCheck: { path: '/healthz', intervalSeconds: 10 } }, { routing: { host: 'weather.mcp.example.com' } }));
    await converge(w, 'weather');
    expect((await statusOf(w, 'weather'))?.conditions?.find((x) => x.type === 'Drifted')).toBeUndefined();
    const snap = w.fake.snapshot();
    const ids = { service: snap.ecs.services[0]!.arn, rule: snap.elbv2.rules.find((r) => r.priority !== 'default')!.arn, targetGroup: snap.elbv2.targetGroups[0]!.arn };
    const other = createFakeAwsClients(w.fake); // another actor in the same account
    await c.change(other, ids);

    w.clock.advance(10_000);
    await w.reconciler.reconcile('weather');
    await c.check(other, ids);
    const drifted = (await statusOf(w, 'weather'))?.conditions?.find((x) => x.type === 'Drifted');
    expect(drifted).toMatchObject({ status: 'True', reason: 'DriftCorrected' });
    expect(drifted?.message).toMatch(c.mentions);
    const audit = (await w.registry.queryAudit({ name: 'weather', action: 'drift' })).filter((a) => a.action === 'drift');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]?.details)).toMatch(c.mentions);

    // Put back once: converging further writes no more corrections and reports no new drift.
    await converge(w, 'weather', 200);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
    expect((await w.registry.queryAudit({ name: 'weather', action: 'drift' })).filter((a) => a.action === 'drift')).toHaveLength(1);
  }, 60_000);
});
