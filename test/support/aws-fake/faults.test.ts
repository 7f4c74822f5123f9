import { CreateServiceCommand, DescribeServicesCommand, ListServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateTargetGroupCommand, DescribeTargetGroupsCommand, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { NETWORK, fargateTaskDefinition, newScenario, routedTargetGroup } from './scenario.ts';
import { fastRetryStrategy } from './sdk.ts';

describe('throttling, faults and observability', () => {
  it('task-definition registration drains its documented 20-token bucket and refills at 1/s of simulated time', async () => {
    const s = newScenario({ client: { retryStrategy: () => fastRetryStrategy(1) } });
    for (let i = 0; i < 20; i++) await s.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('burst', `img:${i}`)));
    const error = await s.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('burst', 'img:x'))).catch((e: unknown) => e as Error & { $retryable?: unknown });
    expect(error).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $retryable: { throttling: true } });
    s.clock.advance(1_000);
    await s.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('burst', 'img:y')));
    expect(s.fake.bucketStats().find((b) => b.bucket === 'ecs:task-definition-write')).toMatchObject({ allowed: 21, throttled: 1, spec: { burst: 20, refillPerSecond: 1 } });
  });

  it('a write whose response is lost (applied, then 5xx) is retried with the same clientToken without creating a duplicate', async () => {
    const s = newScenario();
    const td = (await s.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('weather', 'img:1')))).taskDefinition!.taskDefinitionArn!;
    const { targetGroupArn } = await routedTargetGroup(s.elbv2, s.listenerArn, 'weather-tg', 10);
    s.fake.faults.failNext({ operation: 'CreateService', kind: 'server-error', when: 'after' });
    const out = await s.ecs.send(
      new CreateServiceCommand({
        cluster: 'berth',
        serviceName: 'weather',
        taskDefinition: td,
        desiredCount: 1,
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        loadBalancers: [{ targetGroupArn, containerName: 'app', containerPort: 8080 }],
        clientToken: 'weather-create-1',
      }),
    );
    expect(out.$metadata.attempts).toBe(2);
    expect(s.fake.callCounts({ service: 'ecs', writesOnly: true })).toEqual({ RegisterTaskDefinition: 1, CreateService: 2 });
    expect(s.fake.calls.filter((c) => c.operation === 'CreateService').map((c) => c.outcome)).toEqual(['applied-then-failed', 'ok']);
    expect(s.fake.snapshot().ecs.services).toHaveLength(1);
  });

  it('read-after-write delay hides new target groups from Describe calls for a while', async () => {
    const s = newScenario();
    s.fake.faults.set({ readAfterWriteDelayMs: 3_000 });
    await s.elbv2.send(new CreateTargetGroupCommand({ Name: 'fresh', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip' }));
    await expect(s.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['fresh'] }))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    s.clock.advance(3_000);
    expect((await s.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['fresh'] }))).TargetGroups).toHaveLength(1);
  });

  it('random faults are deterministic for a seed, and call counts separate reads from writes', async () => {
    const run = async (): Promise<string[]> => {
      const s = newScenario();
      s.fake.faults.set({ throttleRate: 0.2, serverErrorRate: 0.05, seed: 42 });
      for (let i = 0; i < 30; i++) await s.ecs.send(new ListServicesCommand({ cluster: 'berth' }));
      await s.ecs.send(new DescribeServicesCommand({ cluster: 'berth', services: ['nothing'] }));
      expect(s.fake.callCounts({ writesOnly: true })).toEqual({});
      expect(s.fake.callCounts({ outcome: 'ok' })).toEqual({ ListServices: 30, DescribeServices: 1 });
      return s.fake.calls.map((c) => c.outcome);
    };
    const first = await run();
    expect(first).toContain('injected-throttle');
    expect(await run()).toEqual(first);
  });

  it('simulated latency moves the fake clock per call', async () => {
    const s = newScenario();
    s.fake.faults.set({ latencyMs: 50 });
    const start = s.clock.now();
    for (let i = 0; i < 10; i++) await s.ecs.send(new ListServicesCommand({ cluster: 'berth' }));
    expect(s.clock.now() - start).toBe(500);
  });
});
