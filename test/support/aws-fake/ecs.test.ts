import {
  ClientException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  TagResourceCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { DeleteTargetGroupCommand, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, ResourceInUseException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { NETWORK, fargateTaskDefinition, newScenario, routedTargetGroup } from './scenario.ts';

async function describeOne(ecs: ECSClient, name: string, cluster = 'berth'): Promise<Service | undefined> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
  return out.services?.[0];
}

function serviceInput(name: string, taskDefinition: string, targetGroupArn: string, extra: Partial<CreateServiceCommandInput> = {}): CreateServiceCommandInput {
  return {
    cluster: 'berth',
    serviceName: name,
    taskDefinition,
    desiredCount: 1,
    launchType: 'FARGATE',
    networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn, containerName: 'app', containerPort: 8080 }],
    healthCheckGracePeriodSeconds: 30,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
    tags: [{ key: 'berth:managed-by', value: 'test' }],
    ...extra,
  };
}

describe('ECS task definitions', () => {
  it('returns the definition with AWS defaults filled in, so a naive diff against the input would never converge', async () => {
    const { ecs } = newScenario();
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand(
        fargateTaskDefinition('weather', 'repo/weather:1', {
          cpu: '0.25 vCPU',
          memory: '512',
          containerDefinitions: [
            {
              name: 'app',
              image: 'repo/weather:1',
              portMappings: [{ containerPort: 8080 }],
              environment: [
                { name: 'Z_LAST', value: '1' },
                { name: 'A_FIRST', value: '2' },
              ],
              healthCheck: { command: ['CMD', 'true'] },
            },
          ],
          tags: [{ key: 'berth:spec-hash', value: 'abc' }],
        }),
      ),
    );
    const td = out.taskDefinition!;
    const app = td.containerDefinitions![0]!;
    expect(td.revision).toBe(1);
    expect(td.status).toBe('ACTIVE');
    expect(td.cpu).toBe('256');
    expect(td.memory).toBe('512');
    expect(app.essential).toBe(true);
    expect(app.portMappings).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }]);
    expect(app.environment!.map((e) => e.name)).toEqual(['A_FIRST', 'Z_LAST']);
    expect(app.healthCheck).toMatchObject({ interval: 30, timeout: 5, retries: 3 });
    expect(app.mountPoints).toEqual([]);
    expect(app.volumesFrom).toEqual([]);
    expect(td.compatibilities).toEqual(['EC2', 'FARGATE']);
    expect(out.tags).toEqual([{ key: 'berth:spec-hash', value: 'abc' }]);
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'weather', include: ['TAGS'] }));
    expect(described.tags).toEqual([{ key: 'berth:spec-hash', value: 'abc' }]);
    const noTags = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'weather' }));
    expect(noTags.tags).toBeUndefined();
  });

  it('revisions only go up: deregistered ones turn INACTIVE and their numbers are never reused', async () => {
    const { ecs } = newScenario();
    for (const tag of ['1', '2']) await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', `repo/weather:${tag}`)));
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'weather:2' }));
    expect(dereg.taskDefinition!.status).toBe('INACTIVE');
    const third = await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:3')));
    expect(third.taskDefinition!.revision).toBe(3);
    // "weather" alone means the latest ACTIVE revision; INACTIVE ones stay describable by number.
    expect((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'weather' }))).taskDefinition!.revision).toBe(3);
    expect((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'weather:2' }))).taskDefinition!.status).toBe('INACTIVE');
    const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'weather', sort: 'DESC' }));
    expect(active.taskDefinitionArns!.map((a) => a.split(':').pop())).toEqual(['3', '1']);
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'weather', status: 'INACTIVE' }));
    expect(inactive.taskDefinitionArns!.map((a) => a.split(':').pop())).toEqual(['2']);
    // familyPrefix is the full family name, not a prefix.
    expect((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'weath' }))).taskDefinitionArns).toEqual([]);
  });

  it('rejects what Fargate rejects: an invalid cpu/memory pair, hostPort ≠ containerPort under awsvpc', async () => {
    const { ecs } = newScenario();
    await expect(ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('bad', 'img', { cpu: '256', memory: '4096' })))).rejects.toBeInstanceOf(ClientException);
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand(
          fargateTaskDefinition('bad', 'img', { containerDefinitions: [{ name: 'app', image: 'img', portMappings: [{ containerPort: 8080, hostPort: 80 }] }] }),
        ),
      ),
    ).rejects.toThrow(/host ports and container ports/);
  });
});

describe('ECS services', () => {
  it('CreateService with a clientToken is idempotent; the service is MISSING for a moment after creation', async () => {
    const { ecs, elbv2, listenerArn, fake, clock } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    const input = serviceInput('weather', td, targetGroupArn, { clientToken: 'berth-weather-0001' });
    const first = await ecs.send(new CreateServiceCommand(input));
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'berth', services: ['weather'] }));
    expect(described.services).toEqual([]);
    expect(described.failures).toEqual([{ arn: first.service!.serviceArn, reason: 'MISSING' }]);
    expect((await ecs.send(new ListServicesCommand({ cluster: 'berth' }))).serviceArns).toEqual([]);
    // A retry after a lost response (same token, same parameters) returns the same service.
    const again = await ecs.send(new CreateServiceCommand(input));
    expect(again.service!.serviceArn).toBe(first.service!.serviceArn);
    // Same token, different parameters: refused.
    await expect(ecs.send(new CreateServiceCommand({ ...input, desiredCount: 2 }))).rejects.toBeInstanceOf(InvalidParameterException);
    // Without the token, a second create of an existing name is refused too.
    await expect(ecs.send(new CreateServiceCommand({ ...input, clientToken: undefined }))).rejects.toThrow('Creation of service was not idempotent.');
    clock.advance(fake.ecs.timings.missingAfterCreateMs);
    const svc = await describeOne(ecs, 'weather');
    expect(svc?.status).toBe('ACTIVE');
    expect(svc?.tags).toEqual([{ key: 'berth:managed-by', value: 'test' }]);
    expect(fake.snapshot().ecs.services).toHaveLength(1);
  });

  it('tasks start on the clock, register as targets, turn healthy; the deployment completes; desiredCount-only changes create no deployment', async () => {
    const { ecs, elbv2, listenerArn, clock } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)));
    clock.advance(10_000);
    let svc = await describeOne(ecs, 'weather');
    expect(svc!.pendingCount).toBe(1);
    expect(svc!.deployments![0]!.rolloutState).toBe('IN_PROGRESS');
    clock.advance(15_000); // provisioning 5 s + pending 15 s → RUNNING
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(health.TargetHealthDescriptions!.map((t) => t.TargetHealth!.State)).toEqual(['initial']);
    clock.advance(20_000); // 2 checks × 10 s
    svc = await describeOne(ecs, 'weather');
    expect(svc!.runningCount).toBe(1);
    expect(svc!.deployments).toHaveLength(1);
    expect(svc!.deployments![0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: td });
    const deploymentId = svc!.deployments![0]!.id;

    await ecs.send(new UpdateServiceCommand({ cluster: 'berth', service: 'weather', desiredCount: 3 }));
    // Re-sending the same task definition is not a change either.
    await ecs.send(new UpdateServiceCommand({ cluster: 'berth', service: 'weather', taskDefinition: td }));
    svc = await describeOne(ecs, 'weather');
    expect(svc!.deployments!.map((d) => d.id)).toEqual([deploymentId]);
    clock.advance(60_000);
    svc = await describeOne(ecs, 'weather');
    expect(svc!.runningCount).toBe(3);

    await ecs.send(new UpdateServiceCommand({ cluster: 'berth', service: 'weather', forceNewDeployment: true }));
    svc = await describeOne(ecs, 'weather');
    expect(svc!.deployments!.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    expect(svc!.deployments![0]!.id).not.toBe(deploymentId);
  });

  it('a crashed task is replaced by the scheduler', async () => {
    const { ecs, elbv2, listenerArn, clock, fake } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)));
    clock.advance(60_000);
    const [task] = fake.ecs.tasksOf('weather', 'berth');
    fake.ecs.stopTask(task!.arn);
    clock.advance(1_000);
    expect((await describeOne(ecs, 'weather'))!.runningCount).toBe(0);
    clock.advance(60_000);
    const tasks = fake.ecs.tasksOf('weather', 'berth');
    // The crashed task is still DEACTIVATING while its target drains (300 s by default).
    expect(tasks.find((t) => t.arn === task!.arn)?.lastStatus).toBe('DEACTIVATING');
    const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
    expect(running).toHaveLength(1);
    expect(running[0]!.arn).not.toBe(task!.arn);
    // A crash after the rollout completed does not reopen it.
    expect((await describeOne(ecs, 'weather'))!.deployments![0]!.rolloutState).toBe('COMPLETED');
  });

  it('circuit breaker: an image whose tasks never turn healthy fails the deployment, which disappears; a PRIMARY with the old definition takes over', async () => {
    const { ecs, elbv2, listenerArn, clock, fake } = newScenario();
    const v1 = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const v2 = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:2')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] }));
    await ecs.send(new CreateServiceCommand(serviceInput('weather', v1, targetGroupArn)));
    clock.advance(60_000);
    expect((await describeOne(ecs, 'weather'))!.deployments![0]!.rolloutState).toBe('COMPLETED');

    fake.ecs.markImageUnhealthy('repo/weather:2');
    await ecs.send(new UpdateServiceCommand({ cluster: 'berth', service: 'weather', taskDefinition: v2 }));
    const failing = (await describeOne(ecs, 'weather'))!.deployments![0]!;
    expect(failing).toMatchObject({ status: 'PRIMARY', taskDefinition: v2, rolloutState: 'IN_PROGRESS' });

    // Each v2 task: 20 s to start, 30 s grace, fails ELB checks → replaced. Threshold is 3 for desiredCount 1.
    let svc: Service | undefined;
    for (let i = 0; i < 40; i++) {
      clock.advance(10_000);
      svc = await describeOne(ecs, 'weather');
      if (svc!.deployments![0]!.id !== failing.id && svc!.deployments![0]!.rolloutState === 'COMPLETED') break;
    }
    expect(svc!.deployments!.map((d) => d.id)).not.toContain(failing.id);
    expect(svc!.deployments).toHaveLength(1);
    expect(svc!.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: v1, rolloutState: 'COMPLETED' });
    expect(svc!.taskDefinition).toBe(v1);
    // The service runs and is "stable" — the waiter-style check would call this a success.
    expect(svc!.runningCount).toBe(svc!.desiredCount);
    expect(svc!.events!.some((e) => /deployment failed: tasks failed to start/.test(e.message ?? ''))).toBe(true);
    expect(fake.snapshot().ecs.tasks.filter((t) => t.lastStatus !== 'STOPPED').every((t) => t.taskDefinitionArn === v1)).toBe(true);
  });

  it('without a completed deployment to return to, a failed first deployment stays FAILED and stops launching', async () => {
    const { ecs, elbv2, listenerArn, clock, fake } = newScenario();
    fake.ecs.setImageBehaviour('repo/broken:1', 'unpullable');
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('broken', 'repo/broken:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'broken-tg', 11);
    await ecs.send(new CreateServiceCommand(serviceInput('broken', td, targetGroupArn)));
    clock.advance(600_000);
    const svc = await describeOne(ecs, 'broken');
    expect(svc!.deployments).toHaveLength(1);
    expect(svc!.deployments![0]).toMatchObject({ rolloutState: 'FAILED', failedTasks: 3 });
    expect(svc!.deployments![0]!.rolloutStateReason).toMatch(/circuit breaker/);
  });

  it('delete: refuses while scaled up without force; DRAINING hides the service, blocks updates and name reuse, holds the target group; INACTIVE frees the name', async () => {
    const { ecs, elbv2, listenerArn, clock } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '60' }] }));
    await ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)));
    clock.advance(60_000);
    await expect(ecs.send(new DeleteServiceCommand({ cluster: 'berth', service: 'weather' }))).rejects.toThrow('scaled above 0');
    const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'berth', service: 'weather', force: true }));
    expect(deleted.service!.status).toBe('DRAINING');
    expect((await ecs.send(new ListServicesCommand({ cluster: 'berth' }))).serviceArns).toEqual([]);
    expect((await describeOne(ecs, 'weather'))!.status).toBe('DRAINING');
    await expect(ecs.send(new UpdateServiceCommand({ cluster: 'berth', service: 'weather', desiredCount: 0 }))).rejects.toBeInstanceOf(ServiceNotActiveException);
    await expect(ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)))).rejects.toThrow('Unable to Start a service that is still Draining.');
    await expect(elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }))).rejects.toBeInstanceOf(ResourceInUseException);
    const draining = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(draining.TargetHealthDescriptions!.map((t) => t.TargetHealth!.State)).toEqual(['draining']);

    clock.advance(60_000 + 5_000 + 1_000); // deregistration delay + stopping
    expect((await describeOne(ecs, 'weather'))!.status).toBe('INACTIVE');
    const recreated = await ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)));
    expect(recreated.service!.status).toBe('ACTIVE');
  });

  it('a service can only attach to a target group that a rule already puts behind the load balancer', async () => {
    const { ecs, elbv2 } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { CreateTargetGroupCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    const tg = await elbv2.send(new CreateTargetGroupCommand({ Name: 'lonely', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'ip' }));
    await expect(ecs.send(new CreateServiceCommand(serviceInput('weather', td, tg.TargetGroups![0]!.TargetGroupArn!)))).rejects.toThrow(/does not have an associated load balancer/);
  });

  it('tags: TagResource/ListTagsForResource on services and task definitions', async () => {
    const { ecs, elbv2, listenerArn, clock } = newScenario();
    const td = (await ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'repo/weather:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    const svc = await ecs.send(new CreateServiceCommand(serviceInput('weather', td, targetGroupArn)));
    clock.advance(5_000);
    await ecs.send(new TagResourceCommand({ resourceArn: svc.service!.serviceArn, tags: [{ key: 'berth:failed-spec-hash', value: 'deadbeef' }] }));
    await ecs.send(new TagResourceCommand({ resourceArn: td, tags: [{ key: 'berth:spec-hash', value: 'cafe' }] }));
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: svc.service!.serviceArn }))).tags).toEqual([
      { key: 'berth:managed-by', value: 'test' },
      { key: 'berth:failed-spec-hash', value: 'deadbeef' },
    ]);
    expect((await ecs.send(new ListTagsForResourceCommand({ resourceArn: td }))).tags).toEqual([{ key: 'berth:spec-hash', value: 'cafe' }]);
  });
});
