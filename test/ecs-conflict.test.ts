/**
 * Resources with Berth's deterministic names but without Berth's tags are never
 * modified or deleted, and the server reports Conflict.
 */
import { CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateRuleCommand, CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { targetGroupName } from '../src/providers/ecs/naming.ts';
import { bandOf } from '../src/providers/ecs/rule-order.ts';
import { createFakeAwsClients, isReadOperation } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, statusOf, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

async function expectConflict(name: string, mentions: string): Promise<void> {
  const status = await statusOf(w, name);
  const conflict = status?.conditions?.find((c) => c.type === 'Conflict');
  expect(conflict?.status).toBe('True');
  expect(conflict?.message).toContain(mentions);
  expect(status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
}

describe('foreign resources', () => {
  it('a foreign service, target group, rule and DNS record are left untouched; each server reports Conflict', async () => {
    w = await ecsWorld();
    const other = createFakeAwsClients(w.fake); // another actor in the same account
    const cluster = w.config.clusterArn;
    const listener = w.config.listeners[0]!.arn;
    const td = await other.ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'someone-else', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: [{ name: 'app', image: 'nginx:1' }] }),
    );
    await other.ecs.send(
      new CreateServiceCommand({ cluster, serviceName: 'berth-alpha', taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 1, launchType: 'FARGATE', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-x'] } } }),
    );
    const tgName = targetGroupName('bravo', { protocol: 'HTTP', port: 8080, vpcId: 'vpc-0fake0000000000001', targetType: 'ip' });
    const foreignTg = await other.elbv2.send(new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-0fake0000000000001', TargetType: 'ip' }));
    const sideTg = await other.elbv2.send(new CreateTargetGroupCommand({ Name: 'someone-else', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-0fake0000000000001', TargetType: 'ip' }));
    await other.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listener,
        Priority: bandOf('/mcp/charlie', undefined).first, // where Berth would put it
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/mcp/charlie', '/mcp/charlie/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: sideTg.TargetGroups![0]!.TargetGroupArn }],
      }),
    );
    await other.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: w.config.hostedZoneId,
        ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 'delta.mcp.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] } }] },
      }),
    );
    w.clock.advance(5_000); // let the other actor's service become visible (ECS reports MISSING right after create)
    const before = w.fake.snapshot();
    const since = w.fake.lastCallSeq;

    await createApproved(w.store, ecsServer('alpha'));
    await createApproved(w.store, ecsServer('bravo'));
    await createApproved(w.store, ecsServer('charlie'));
    await createApproved(w.store, ecsServer('delta', {}, { routing: { host: 'delta.mcp.example.com' } }));
    for (const n of ['alpha', 'bravo', 'charlie', 'delta']) {
      await w.reconciler.reconcile(n);
      w.clock.advance(60_000);
      await w.reconciler.reconcile(n);
    }
    await expectConflict('alpha', 'ECS service berth-alpha');
    await expectConflict('bravo', `target group ${tgName}`);
    await expectConflict('charlie', 'already routes /mcp/charlie');
    await expectConflict('delta', 'delta.mcp.example.com');

    // Nothing at all was written while blocked, so nothing foreign could have been touched.
    expect(w.fake.calls.filter((c) => c.seq > since && !isReadOperation(c.operation))).toEqual([]);
    const after = w.fake.snapshot();
    expect(after.ecs.services.find((s) => s.name === 'berth-alpha')).toMatchObject({ status: 'ACTIVE', desiredCount: 1, tags: {} });
    expect(after.elbv2.targetGroups.find((t) => t.arn === foreignTg.TargetGroups![0]!.TargetGroupArn)).toEqual(before.elbv2.targetGroups.find((t) => t.arn === foreignTg.TargetGroups![0]!.TargetGroupArn));
    expect(after.elbv2.rules).toEqual(before.elbv2.rules);
    expect(after.route53).toEqual(before.route53);

    // Retiring a blocked server touches nothing foreign either.
    await w.store.delete('MCPServer', 'alpha');
    await converge(w, 'alpha');
    expect(w.fake.snapshot().ecs.services.find((s) => s.name === 'berth-alpha')?.status).toBe('ACTIVE');
  }, 60_000);
});
