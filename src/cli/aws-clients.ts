/**
 * Builds the AWS SDK clients the ECS provider talks through, and reads the
 * environment config file. The only place Berth creates AWS clients: credentials
 * come from the SDK's default provider chain (env, SSO, profile, container and
 * instance roles), and the SDK itself honours AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_ECS / _ELASTIC_LOAD_BALANCING_V2 / _ROUTE_53. Retries use the
 * SDK's adaptive mode with a few attempts; the provider adds its own client-side
 * rate limiter per API bucket in front.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { parse } from 'yaml';
import { parseEcsEnvironment, type EcsClients, type EcsEnvironmentConfig } from '../providers/ecs/index.ts';

/** SDK attempts per call (first try included) before the reconciler's own backoff takes over. */
export const AWS_MAX_ATTEMPTS = 4;

/**
 * ECS, ELBv2 and Route 53 clients for `region` (Route 53 is global; its client
 * still needs a region for signing).
 * @example const clients = createAwsClients('eu-west-1');
 */
export function createAwsClients(region: string): EcsClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: AWS_MAX_ATTEMPTS } as const;
  return { ecs: new ECSClient(common), elbv2: new ElasticLoadBalancingV2Client(common), route53: new Route53Client(common) };
}

/**
 * Reads `file` (YAML or JSON; relative to `cwd`) and returns environment `environment`.
 * Errors name the file and the field, and say how to fix it.
 */
export async function loadEcsEnvironment(file: string, environment: string, cwd: string): Promise<EcsEnvironmentConfig> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the environment config ${path}: ${(err as Error).message}; pass --config with the path of berth.config.yaml (see infra/environments/production.yaml)`, { cause: err });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseEcsEnvironment(data, environment, path);
}
