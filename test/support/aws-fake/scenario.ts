/**
 * Shared set-up for tests that drive the fake through the SDK: an account with
 * one ALB, one HTTPS listener, ECS clusters `default` and `berth`, and real SDK
 * clients whose retry backoff runs on the simulated clock. Tests use ONLY the SDK clients to act; the fake's own API is for
 * seeding and for simulating the world (clock, crashes, bad images).
 */
import { CreateRuleCommand, CreateTargetGroupCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { FakeClock } from './clock.ts';
import { AwsFake, type AwsFakeOptions } from './fake.ts';
import { createFakeAwsClients, fakeClockRetryStrategy, type FakeAwsClients, type FakeClientOptions } from './sdk.ts';

/** Everything a test needs. */
export interface Scenario extends FakeAwsClients {
  clock: FakeClock;
  fake: AwsFake;
  loadBalancer: { arn: string; dnsName: string; canonicalHostedZoneId: string };
  listenerArn: string;
}

/**
 * A seeded account plus clients.
 * @example const { fake, ecs, clock } = newScenario();
 */
export function newScenario(options: Omit<AwsFakeOptions, 'clock'> & { client?: FakeClientOptions } = {}): Scenario {
  const clock = new FakeClock();
  const { client, ...fakeOptions } = options;
  const fake = new AwsFake({ clock, clusters: ['default', 'berth'], ...fakeOptions });
  const loadBalancer = fake.elbv2.createLoadBalancer({ name: 'berth-test' });
  const { arn: listenerArn } = fake.elbv2.createListener({ loadBalancerArn: loadBalancer.arn, port: 443 });
  // Retries spend their backoff on the simulated clock, so throttled calls see buckets refill as they would on AWS.
  const clients = createFakeAwsClients(fake, { retryStrategy: () => fakeClockRetryStrategy(clock), ...client });
  return { clock, fake, loadBalancer, listenerArn, ...clients };
}

/** A minimal valid Fargate task definition serving on 8080. */
export function fargateTaskDefinition(family: string, image: string, extra: Partial<RegisterTaskDefinitionCommandInput> = {}): RegisterTaskDefinitionCommandInput {
  return {
    family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'app', image, portMappings: [{ containerPort: 8080 }] }],
    ...extra,
  };
}

/** awsvpc networking for CreateService. */
export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-0aaa'], securityGroups: ['sg-0bbb'], assignPublicIp: 'DISABLED' as const } };

/**
 * Creates an ip target group (fast health checks) and a listener rule forwarding
 * `path` to it — the order ECS requires before a service can attach.
 */
export async function routedTargetGroup(elbv2: ElasticLoadBalancingV2Client, listenerArn: string, name: string, priority: number, path = `/${name}/*`): Promise<{ targetGroupArn: string; ruleArn: string }> {
  const tg = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: 'vpc-0fake0000000000001',
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
    }),
  );
  const targetGroupArn = tg.TargetGroups![0]!.TargetGroupArn!;
  const rule = await elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: priority,
      Conditions: [{ Field: 'path-pattern', Values: [path] }],
      Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  return { targetGroupArn, ruleArn: rule.Rules![0]!.RuleArn! };
}
