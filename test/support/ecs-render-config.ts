/**
 * A minimal, valid ECS environment config (one listener, no hosted zone) for
 * tests that render task definitions without an AWS fake.
 */
import { parseEcsEnvironment, type EcsEnvironmentConfig } from '../../src/providers/ecs/config.ts';

/** The `dev` environment of a fixed test installation (`berth-test`, us-east-1). */
export const RENDER_TEST_CONFIG: EcsEnvironmentConfig = parseEcsEnvironment(
  {
    environments: {
      dev: {
        installationId: 'berth-test',
        region: 'us-east-1',
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        vpcId: 'vpc-0fake0000000000001',
        subnets: ['subnet-a'],
        securityGroups: ['sg-berth'],
        listeners: [{ arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/berth/1/2', dnsName: 'berth.example.com', canonicalHostedZoneId: 'Z1' }],
      },
    },
  },
  'dev',
);
