/**
 * Where a server's tasks on ECS write their output: read from the task
 * definition its service runs (the awslogs driver's options Berth rendered in
 * render.ts), never worked out from the environment config, so a server deployed
 * before a change of `logGroup` is still read where its tasks write. The awslogs
 * driver names each task's stream `<awslogs-stream-prefix>/<container>/<task id>`.
 *
 * @example
 * await findLogSource('weather', { ecs, config, signal })
 * // { group: '/berth/production/servers', region: 'eu-west-1', streamPrefix: 'weather/mcp/', taskDefinition: 'arn:…:task-definition/berth-weather:7' }
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { ServerLogsError } from '../server-logs.ts';
import { errorCode } from './aws-error.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { CONTAINER_NAME, serviceName } from './naming.ts';

/** The CloudWatch Logs place of one server's output. */
export interface LogSource {
  group: string;
  /** The region the driver writes to (`awslogs-region`). */
  region: string;
  /** Prefix of the server's streams, ending in `/`. */
  streamPrefix: string;
  /** The task definition it was read from. */
  taskDefinition: string;
}

/** A refusal of an ECS read, as a {@link ServerLogsError} naming the IAM action; other errors as read_failed. */
export function ecsReadError(err: unknown, action: string, resource: string, what: string): ServerLogsError {
  const code = errorCode(err);
  const detail = (err as Error).message;
  if (code === 'AccessDeniedException' || code === 'AccessDenied' || code === 'UnauthorizedOperation') {
    return new ServerLogsError('access_denied', `AWS refused ${action} on ${resource}: the AWS identity running berth logs needs IAM permission ${action} on it (${detail})`, { cause: err });
  }
  return new ServerLogsError('read_failed', `${what} failed (${code}: ${detail})`, { cause: err });
}

/** Reads the service's current task definition and its awslogs options. @throws ServerLogsError */
export async function findLogSource(server: string, opts: { ecs: ECSClient; config: EcsEnvironmentConfig; signal?: AbortSignal }): Promise<LogSource> {
  const { config } = opts;
  const name = serviceName(server);
  const send = { ...(opts.signal ? { abortSignal: opts.signal } : {}) };
  let taskDefinition: string | undefined;
  try {
    const out = await opts.ecs.send(new DescribeServicesCommand({ cluster: config.clusterArn, services: [name] }), send);
    const svc = (out.services ?? []).find((s) => s.status !== 'INACTIVE');
    taskDefinition = svc?.taskDefinition;
  } catch (err) {
    throw ecsReadError(err, 'ecs:DescribeServices', `service ${name} in ${config.clusterArn}`, `reading ECS service ${name}`);
  }
  if (taskDefinition === undefined) {
    throw new ServerLogsError(
      'not_found',
      `no ECS service ${name} in cluster ${config.clusterArn} (environment "${config.environment}"): "${server}" is not deployed there; \`berth get server ${server}\` shows where it runs`,
    );
  }
  let container;
  try {
    const out = await opts.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }), send);
    const defs = out.taskDefinition?.containerDefinitions ?? [];
    container = defs.find((c) => c.name === CONTAINER_NAME) ?? defs[0];
  } catch (err) {
    throw ecsReadError(err, 'ecs:DescribeTaskDefinition', taskDefinition, `reading task definition ${taskDefinition}`);
  }
  const log = container?.logConfiguration;
  const group = log?.options?.['awslogs-group'];
  if (log?.logDriver !== 'awslogs' || group === undefined) {
    throw new ServerLogsError(
      'no_log_configuration',
      `task definition ${taskDefinition} sends "${server}"'s output ${log ? `to the ${log.logDriver} driver` : 'nowhere'}, not to CloudWatch Logs: set logGroup in the ECS environment config of "${config.environment}" and let the reconciler roll the server out again`,
    );
  }
  const prefix = log.options?.['awslogs-stream-prefix'];
  return {
    group,
    region: log.options?.['awslogs-region'] ?? config.region,
    // Berth always renders a prefix; a task definition without one (made by hand) names streams by task id alone.
    streamPrefix: prefix === undefined ? '' : `${prefix}/${container?.name ?? CONTAINER_NAME}/`,
    taskDefinition,
  };
}
