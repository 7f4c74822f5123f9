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
import { routeLengthReason, serverRoute } from '../../manifest/route.ts';
import { specHash } from '../../manifest/spec-hash.ts';
import { RESTARTED_AT_ANNOTATION } from '../../manifest/restart.ts';
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
 * for specs ECS can't run as they stand (no runtime, a stdio server without
 * `runtime.command`, a route longer than a load-balancer rule holds), before
 * anything is created.
 */
export function renderServer(desired: DesiredServer, config: EcsEnvironmentConfig): RenderedServer {
  const runtime = desired.spec.runtime;
  if (runtime === undefined) {
    throw new ProviderError(`MCPServer "${desired.name}" has no spec.runtime; the ECS runtime runs container images only`, { code: 'invalid_spec', retryable: false });
  }
  const port = runtime.port ?? 8080;
  const mcpPath = runtime.mcpPath ?? '/mcp';
  const launch = containerProcess(desired, port, mcpPath, config);
  const hc = runtime.healthCheck ?? {};
  const family = familyName(desired.name);
  const environment: KeyValuePair[] = Object.entries(runtime.env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  const local = (runtime.secrets ?? []).find((s) => !s.valueFrom.startsWith('arn:'));
  if (local !== undefined) {
    // ECS reads secrets itself, from Secrets Manager or SSM only; an env:/file: reference names something on Berth's machine.
    throw new ProviderError(
      `MCPServer "${desired.name}": secret ${local.name} has valueFrom ${local.valueFrom}, which only the local runtime can read; on ECS use the ARN of a Secrets Manager secret or an SSM parameter`,
      { code: 'invalid_spec', retryable: false },
    );
  }
  const secrets: Secret[] = [...(runtime.secrets ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => ({ name: s.name, valueFrom: s.valueFrom }));
  const container: ContainerDefinition = {
    name: CONTAINER_NAME,
    image: runtime.image,
    essential: true,
    portMappings: [{ containerPort: port, hostPort: port, protocol: 'tcp' }],
    environment,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...launch,
    // The restart marker (src/manifest/restart.ts): a new value renders a new task definition, so ECS rolls the tasks.
    ...(desired.restartedAt !== undefined ? { dockerLabels: { [RESTARTED_AT_ANNOTATION]: desired.restartedAt } } : {}),
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

  const route = serverRoute({ metadata: { name: desired.name }, spec: desired.spec });
  const tooLong = routeLengthReason(route);
  if (tooLong !== undefined) throw new ProviderError(`MCPServer "${desired.name}": ${tooLong.message}`, { code: 'route_too_long', retryable: false });
  const { path, host } = route;
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
 * The container's entry point and command. A streamable-HTTP server runs as its
 * image says (or as `runtime.command` / `runtime.args` override). A stdio
 * server runs behind Berth's stdio-to-HTTP bridge in the same container: the
 * bridge is the entry point (`config.stdioBridgeEntryPoint`, `berth bridge` by
 * default, so the image must contain Berth — build it `FROM` Berth's image or
 * copy Berth in) and starts `runtime.command` + `runtime.args` once per MCP
 * session, with the bridge's limits from `runtime.stdio`. ECS can't tell Berth
 * the image's own ENTRYPOINT, so a stdio server on ECS must name its command.
 * The flags are the bridge's (stdio-limits.ts in the local provider parses them).
 */
function containerProcess(desired: DesiredServer, port: number, mcpPath: string, config: EcsEnvironmentConfig): Pick<ContainerDefinition, 'entryPoint' | 'command'> {
  const runtime = desired.spec.runtime!;
  if (runtime.transport !== 'stdio') {
    return { ...(runtime.command !== undefined ? { entryPoint: [...runtime.command] } : {}), ...(runtime.args !== undefined ? { command: [...runtime.args] } : {}) };
  }
  if (runtime.command === undefined || runtime.command.length === 0) {
    throw new ProviderError(
      `MCPServer "${desired.name}" uses transport 'stdio' and sets no spec.runtime.command; on ECS Berth's bridge is the container's entry point and starts the server's command once per session, and it can't read the image's own ENTRYPOINT — set spec.runtime.command (e.g. [node, /app/server.js]) and spec.runtime.args`,
      { code: 'stdio_command_missing', retryable: false },
    );
  }
  const limits = runtime.stdio ?? {};
  const bridge = [
    ...config.stdioBridgeEntryPoint,
    ...['--host', '0.0.0.0', '--port', String(port), '--path', mcpPath],
    ...['--max-sessions', String(limits.maxSessions ?? 8), '--max-memory-mib', String(limits.maxMemoryMiB ?? 512), '--idle-timeout-s', String(limits.idleTimeoutSeconds ?? 300)],
    '--',
  ];
  return { entryPoint: bridge, command: [...runtime.command, ...(runtime.args ?? [])] };
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
