import { ECSClient, ListServicesCommand, ServerException, ServiceNotFoundException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { AwsFake, FakeClock, attachFake, createFakeAwsClients, fakeClockRetryStrategy, fastRetryStrategy, FAKE_MIDDLEWARE_NAME } from './index.ts';

describe('routing real SDK clients into the fake', () => {
  it('places the fake right after the SDK retry middleware, so signing and HTTP never run', () => {
    const fake = new AwsFake();
    const client = new ECSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    attachFake(client, fake);
    const names = client.middlewareStack.identify();
    const retry = names.findIndex((n) => n.startsWith('retryMiddleware'));
    const ours = names.findIndex((n) => n.startsWith(FAKE_MIDDLEWARE_NAME));
    expect(retry).toBeGreaterThanOrEqual(0);
    expect(ours).toBe(retry + 1);
  });

  it('answers with output plus $metadata, and throws the SDK modelled exception classes', async () => {
    const fake = new AwsFake();
    const { ecs } = createFakeAwsClients(fake);
    const out = await ecs.send(new ListServicesCommand({ cluster: 'default' }));
    expect(out.serviceArns).toEqual([]);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.attempts).toBe(1);
    const error = await ecs.send(new UpdateServiceCommand({ cluster: 'default', service: 'nope', desiredCount: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNotFoundException);
    expect((error as ServiceNotFoundException).$metadata.httpStatusCode).toBe(400);
    expect(fake.callCounts()).toEqual({ ListServices: 1, UpdateService: 1 });
  });

  it('50% injected throttling with maxAttempts 5: the SDK retries and every call eventually succeeds', async () => {
    const fake = new AwsFake();
    // Seeded: this sequence never throttles 5 times in a row, so maxAttempts 5 always gets through.
    fake.faults.set({ throttleRate: 0.5, seed: 2 });
    const { ecs, elbv2, route53 } = createFakeAwsClients(fake, { retryStrategy: () => fastRetryStrategy(5) });
    const zone = fake.route53.createHostedZone({ name: 'example.com' });
    for (let i = 0; i < 10; i++) {
      const out = await ecs.send(new ListServicesCommand({ cluster: 'default' }));
      expect(out.serviceArns).toEqual([]);
    }
    await elbv2.send(new DescribeTargetGroupsCommand({}));
    await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
    const injected = fake.calls.filter((c) => c.outcome === 'injected-throttle').length;
    const ok = fake.calls.filter((c) => c.outcome === 'ok').length;
    expect(ok).toBe(12);
    expect(injected).toBeGreaterThan(3);
    // Every throttled attempt was retried by the SDK: attempts = successes + throttles.
    expect(fake.calls.length).toBe(ok + injected);
  });

  it('5xx faults are retried by the SDK; a call that keeps failing surfaces ServerException with its attempt count', async () => {
    const fake = new AwsFake();
    const { ecs } = createFakeAwsClients(fake, { retryStrategy: () => fastRetryStrategy(3) });
    fake.faults.failNext({ operation: 'ListServices', kind: 'server-error', times: 2 });
    const out = await ecs.send(new ListServicesCommand({ cluster: 'default' }));
    expect(out.$metadata.attempts).toBe(3);
    fake.faults.failNext({ operation: 'ListServices', kind: 'server-error', times: 3 });
    const error = await ecs.send(new ListServicesCommand({ cluster: 'default' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerException);
    expect((error as ServerException).$metadata.attempts).toBe(3);
    expect(fake.callCounts({ outcome: 'injected-server-error' })).toEqual({ ListServices: 5 });
  });

  it('the SDK default standard strategy and adaptive mode both retry the fake throttling error', async () => {
    for (const retryMode of ['standard', 'adaptive'] as const) {
      const fake = new AwsFake();
      const { elbv2 } = createFakeAwsClients(fake, { retryMode, maxAttempts: 3 });
      fake.faults.failNext({ operation: 'DescribeTargetGroups', kind: 'throttle' });
      const out = await elbv2.send(new DescribeTargetGroupsCommand({}));
      expect(out.$metadata.attempts).toBe(2);
    }
  });

  it('token buckets throttle bursts on simulated time; a fake-clock retry strategy refills them by advancing the clock', async () => {
    const clock = new FakeClock();
    const fake = new AwsFake({ clock, buckets: { 'ecs:service-read': { burst: 5, refillPerSecond: 1 } } });
    const { ecs } = createFakeAwsClients(fake, { retryStrategy: () => fakeClockRetryStrategy(clock, { maxAttempts: 6, baseDelayMs: 1000 }) });
    const start = clock.now();
    for (let i = 0; i < 10; i++) await ecs.send(new ListServicesCommand({ cluster: 'default' }));
    const stats = fake.bucketStats().find((s) => s.bucket === 'ecs:service-read')!;
    expect(stats.allowed).toBe(10);
    expect(stats.throttled).toBeGreaterThan(0);
    // 5 over the burst at 1 token/s needs at least ~5 s of (simulated) backoff.
    expect(clock.now() - start).toBeGreaterThanOrEqual(4_000);
  });
});
