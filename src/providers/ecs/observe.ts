/**
 * Builds the observation of one server from the shared, per-pass {@link AwsView}.
 * Reads only. Per-server AWS calls happen only while something moves: a
 * service in a rollout or draining is described on its own, and target health
 * is read until a deployment has been seen healthy once.
 */
import type { AwsView } from './aws-view.ts';
import { inMotion } from './aws-view.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { familyName, serviceName } from './naming.ts';
import { ownedBy } from './ownership.ts';
import type { EcsObservation, ObservedRule, ObservedTaskDefinition, TargetHealthSummary } from './types.ts';

/** What observe remembers across passes (per provider instance). */
export interface ObserveMemory {
  /** Service name → when this provider created it. */
  createdAt: Map<string, number>;
  /** Server → last AWS error. */
  lastError: Map<string, { code: string; message: string; at: string; resolvedAt?: string }>;
  /** `serviceArn|deploymentId` whose targets were all seen healthy: no need to ask again. */
  healthyDeployments: Set<string>;
  /** Server → the last DescribeTargetHealth summary read, and when (status shows it as read, never made up). */
  lastTargetHealth: Map<string, { summary: TargetHealthSummary; at: string }>;
}

/** How long after CreateService a MISSING answer still means "not visible yet". */
export const MISSING_GRACE_MS = 60_000;

/** Observes server `name`. */
export async function observeServer(
  name: string,
  deps: { view: AwsView; config: EcsEnvironmentConfig; memory: ObserveMemory; now: () => number },
  signal?: AbortSignal,
): Promise<EcsObservation> {
  const { view, config, memory } = deps;
  const svcName = serviceName(name);
  const [service, allGroups, ruleLists, records, familyArns] = await Promise.all([
    view.service(svcName, signal),
    view.targetGroups(),
    Promise.all(config.listeners.map(async (l) => [l.arn, await view.rules(l.arn)] as const)),
    view.records(),
    view.familyRevisions(familyName(name)),
  ]);
  const owner = { installationId: config.installationId, server: name };
  const stem = `b-${name.slice(0, 23).replace(/-+$/, '')}-`;
  const targetGroups = allGroups.filter((tg) => ownedBy(tg.tags, owner) || (tg.name.startsWith(stem) && tg.name.length === stem.length + 6));
  const deploymentTaskDefinitions = (
    await Promise.all([...new Set(service?.deployments.map((d) => d.taskDefinitionArn) ?? [])].map((arn) => view.taskDefinition(arn, signal)))
  ).filter((td): td is ObservedTaskDefinition => td !== undefined);
  const family = (await Promise.all(familyArns.map((arn) => view.taskDefinition(arn, signal)))).filter(
    (td): td is ObservedTaskDefinition => td !== undefined && td.status === 'ACTIVE',
  );

  let targetHealth: EcsObservation['targetHealth'];
  const primary = service?.deployments.find((d) => d.status === 'PRIMARY');
  const tgArn = service?.loadBalancers[0]?.targetGroupArn;
  if (service !== undefined && service.status === 'ACTIVE' && primary !== undefined && tgArn !== undefined && ownedBy(service.tags, owner)) {
    const key = `${service.arn}|${primary.id}`;
    if (inMotion(service) || !memory.healthyDeployments.has(key)) {
      try {
        targetHealth = await view.targetHealth(tgArn, signal);
        memory.lastTargetHealth.set(name, { summary: targetHealth, at: new Date(deps.now()).toISOString() });
        if (!inMotion(service) && targetHealth.healthy >= service.desiredCount && targetHealth.unhealthy === 0) memory.healthyDeployments.add(key);
      } catch (err) {
        if ((err as { name?: string }).name !== 'TargetGroupNotFoundException') throw err;
      }
    }
  }
  const created = memory.createdAt.get(svcName);
  const serviceRecentlyCreated = service === undefined && created !== undefined && deps.now() - created < MISSING_GRACE_MS;
  if (service !== undefined) memory.createdAt.delete(svcName);
  const lastError = memory.lastError.get(name);
  const targetHealthSeen = memory.lastTargetHealth.get(name);
  const rulesByListener: Record<string, ObservedRule[]> = Object.fromEntries(ruleLists);
  return {
    name,
    ...(service !== undefined ? { service } : {}),
    serviceRecentlyCreated,
    deploymentTaskDefinitions,
    family,
    targetGroups,
    rulesByListener,
    records,
    ...(targetHealth !== undefined ? { targetHealth } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
    ...(targetHealthSeen !== undefined ? { targetHealthSeen } : {}),
  };
}
