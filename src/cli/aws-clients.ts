/**
 * Builds the AWS SDK clients the ECS provider talks through, and those the
 * servers' header secrets are read through (Secrets Manager, SSM). The only place
 * Berth creates AWS clients: credentials come from the SDK's default provider
 * chain (env, SSO, profile, container and instance roles), and the endpoint is
 * left to the SDK's own resolution so AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_ECS / _ELASTIC_LOAD_BALANCING_V2 / _ROUTE_53 / _SECRETS_MANAGER / _SSM /
 * _CLOUDWATCH_LOGS (and the
 * matching `endpoint_url` settings of a profile) are honoured — which is why no
 * `endpoint` is ever set here. Retries use the SDK's adaptive mode with a few
 * attempts; the provider adds its own client-side rate limiter per API bucket.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { EcsClients, SecretClients } from '../providers/ecs/index.ts';

/** SDK attempts per call (first try included) before the reconciler's own backoff takes over. */
export const AWS_MAX_ATTEMPTS = 4;

/**
 * ECS, ELBv2, Route 53 and CloudWatch Logs clients for `region` (Route 53 is
 * global; its client still needs a region for signing). CloudWatch Logs is only
 * called by `berth logs`.
 * @example const clients = createAwsClients('eu-west-1');
 */
export function createAwsClients(region: string): EcsClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: AWS_MAX_ATTEMPTS } as const;
  return { ecs: new ECSClient(common), elbv2: new ElasticLoadBalancingV2Client(common), route53: new Route53Client(common), logs: new CloudWatchLogsClient(common) };
}

/**
 * Secrets Manager and SSM clients for `region` (the region of the references read through them).
 * @example const { secretsManager, ssm } = createSecretClients('eu-west-1');
 */
export function createSecretClients(region: string): SecretClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: AWS_MAX_ATTEMPTS } as const;
  return { secretsManager: new SecretsManagerClient(common), ssm: new SSMClient(common) };
}
