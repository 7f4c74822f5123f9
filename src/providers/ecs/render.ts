/**
 * Renders the AWS resources a server needs from its spec, in canonical form, with
 * one hash per resource. Pure. The hashes are what Berth writes in each
 * resource's `berth:spec-hash` tag; comparing them (instead of diffing the
 * fields AWS fills in with defaults) is how "does this need a change?" stays
 * stable, and comparing the observed fields with a resource whose tag still
 * equals the desired hash is how drift made outside Berth is told apart from a
 * manifest change.
 */
import type { ContainerDefinition, KeyValuePair, RegisterTaskDefinitionCommandInput, Secret } from '@aws-sdk/client-ecs';
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { serverRoute } from '../../manifest/route.ts';
import { specHash } from '../../manifest/spec-hash.ts';
import type { DesiredServer } from '../provider.ts';
import { ProviderError } from '../provider.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { CONTAINER_NAME, familyName, serviceName, targetGroupName, type TargetGroupIdentity } from './naming.ts';

/** Task definition as Berth registers it (tags added by the caller). */
export type TaskDefinitionInput = Omit<RegisterTaskDefinitionCommandInput, 'tags'>;

/** ALB health check settings of a target group. */
export interface HealthCheckSettings {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HTTP codes counted healthy, e.g. "200-399". */
  matcher: string;
}

/** Everything one server should have, rendered. */
export interface RenderedServer {
  name: string;
  family: string;
  serviceName: string;
  taskDefinition: TaskDefinitionInput;
  taskDefinitionHash: string;
  targetGroup: {
    name: string;
    identity: TargetGroupIdentity;
    healthCheck: HealthCheckSettings;
    /** Value of the `berth:attributes` tag once the attributes are set. */
    attributes: string;
    deregistrationDelaySeconds: number;
    hash: string;
  };
  /** Listener rule conditions in the one shape ModifyRule/CreateRule accept (`*Config` only). */
  ruleConditions: RuleCondition[];
  /** Hash of the conditions and the target group the rule forwards to. */
  ruleHash: string;
  service: {
    desiredCount: number;
    healthCheckGracePeriodSeconds: number;
    containerPort: number;
    subnets: string[];
    securityGroups: string[];
    assignPublicIp: 'ENABLED' | 'DISABLED';
    /** Covers the task definition and target group hashes too: any change that needs a deployment changes it. */
    hash: string;
  };
  /** routing.host, when set, normalised by the manifest's route rule (lower case, no trailing dot). */
  host?: string;
  /** routing.path (default `/mcp/<name>`), normalised by the manifest's route rule. */
  path: string;
  /** Extra tags from the environment config. */
  extraTags: Record<string, string>;
}

/**
 * Renders `desired` for `config`. Throws a non-retryable {@link ProviderError}
 * for specs ECS can't run as they stand (stdio transport).
 */
export function renderServer(desired: DesiredServer, config: EcsEnvironmentConfig): RenderedServer {
  const runtime = desired.spec.runtime;
  if (runtime === undefined) {
    throw new ProviderError(`MCPServer "${desired.name}" has no spec.runtime; the ECS runtime runs container images only`, { code: 'invalid_spec', retryable: false });
  }
  if (runtime.transport === 'stdio') {
    throw new ProviderError(
      `MCPServer "${desired.name}" uses transport 'stdio', which an ALB can't route to; build the image with a stdio-to-HTTP bridge as its entrypoint and set spec.runtime.transport to 'streamable-http'`,
      { code: 'unsupported_transport', retryable: false },
    );
  }
  const port = runtime.port ?? 8080;
  const mcpPath = runtime.mcpPath ?? '/mcp';
  const hc = runtime.healthCheck ?? {};
  const family = familyName(desired.name);
  const environment: KeyValuePair[] = Object.entries(runtime.env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  const secrets: Secret[] = [...(runtime.secrets ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => ({ name: s.name, valueFrom: s.valueFrom }));
  const container: ContainerDefinition = {
    name: CONTAINER_NAME,
    image: runtime.image,
    essential: true,
    portMappings: [{ containerPort: port, hostPort: port, protocol: 'tcp' }],
    environment,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(runtime.command !== undefined ? { entryPoint: [...runtime.command] } : {}),
    ...(runtime.args !== undefined ? { command: [...runtime.args] } : {}),
    ...(config.logGroup !== undefined
      ? { logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': config.logGroup, 'awslogs-region': config.region, 'awslogs-stream-prefix': desired.name } } }
      : {}),
  };
  const taskDefinition: TaskDefinitionInput = {
    family,
    containerDefinitions: [container],
    cpu: String(runtime.cpu ?? 256),
    memory: String(runtime.memory ?? 512),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    ...(config.executionRoleArn !== undefined ? { executionRoleArn: config.executionRoleArn } : {}),
    ...(config.taskRoleArn !== undefined ? { taskRoleArn: config.taskRoleArn } : {}),
  };
  const taskDefinitionHash = specHash(taskDefinition);

  const identity: TargetGroupIdentity = { protocol: 'HTTP', port, vpcId: config.vpcId, targetType: 'ip' };
  const interval = hc.intervalSeconds ?? 10;
  const healthCheck: HealthCheckSettings = {
    path: hc.path ?? mcpPath,
    intervalSeconds: interval,
    timeoutSeconds: Math.min(hc.timeoutSeconds ?? 5, interval - 1),
    healthyThreshold: clamp(hc.healthyThreshold ?? 2, 2, 10),
    unhealthyThreshold: clamp(hc.unhealthyThreshold ?? 3, 2, 10),
    // An MCP endpoint asked with a plain GET often answers 405/406: that still proves the process serves HTTP.
    matcher: hc.path !== undefined ? '200-399' : '200-499',
  };
  const tgName = targetGroupName(desired.name, identity);
  const attributes = `deregistration_delay=${config.deregistrationDelaySeconds}`;
  const tgHash = specHash({ tgName, identity, healthCheck, attributes });

  const { path, host } = serverRoute({ metadata: { name: desired.name }, spec: desired.spec });
  const ruleConditions = conditionsFor(path, host);
  const ruleHash = specHash({ conditions: ruleConditions, targetGroup: tgName });

  const desiredCount = runtime.replicas ?? 1;
  const healthCheckGracePeriodSeconds = hc.gracePeriodSeconds ?? 30;
  const subnets = [...config.subnets].sort();
  const securityGroups = [...config.securityGroups].sort();
  const assignPublicIp = config.assignPublicIp ? 'ENABLED' : 'DISABLED';
  const serviceHash = specHash({ taskDefinitionHash, tgHash, desiredCount, healthCheckGracePeriodSeconds, containerPort: port, subnets, securityGroups, assignPublicIp });

  return {
    name: desired.name,
    family,
    serviceName: serviceName(desired.name),
    taskDefinition,
    taskDefinitionHash,
    targetGroup: { name: tgName, identity, healthCheck, attributes, deregistrationDelaySeconds: config.deregistrationDelaySeconds, hash: tgHash },
    ruleConditions,
    ruleHash,
    service: { desiredCount, healthCheckGracePeriodSeconds, containerPort: port, subnets, securityGroups, assignPublicIp, hash: serviceHash },
    ...(host !== undefined ? { host } : {}),
    path,
    extraTags: { ...config.tags },
  };
}

/**
 * Path (the path itself and everything below it) and, when set, host conditions,
 * in the `*Config` shape only: ModifyRule refuses a condition carrying both shapes.
 * `path` and `host` come normalised from the manifest's route rule (`serverRoute`).
 */
export function conditionsFor(path: string, host: string | undefined): RuleCondition[] {
  const values = path === '/' ? ['/*'] : [path, `${path}/*`];
  const out: RuleCondition[] = [{ Field: 'path-pattern', PathPatternConfig: { Values: values } }];
  if (host !== undefined) out.push({ Field: 'host-header', HostHeaderConfig: { Values: [host] } });
  return out;
}

/**
 * Conditions as observed (DescribeRules returns `Values` and `*Config` both) reduced
 * to a comparable canonical form: field → sorted lower-cased values for host, as-is for paths.
 */
export function canonicalConditions(conditions: readonly RuleCondition[] | undefined): string {
  const parts = (conditions ?? []).map((c) => {
    const field = c.Field ?? '';
    const values =
      field === 'path-pattern'
        ? (c.PathPatternConfig?.Values ?? c.Values ?? [])
        : field === 'host-header'
          ? (c.HostHeaderConfig?.Values ?? c.Values ?? []).map((v) => v.toLowerCase())
          : [JSON.stringify(c)];
    return `${field}=${[...values].sort().join(',')}`;
  });
  return parts.sort().join(';');
}

function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n));
}
