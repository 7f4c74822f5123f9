/**
 * Turns an observation into the state status shows, PURE. Ready only when the
 * PRIMARY deployment's rollout is COMPLETED on the desired task definition and
 * its targets are healthy; a rollout is judged by the deployment's id and
 * rolloutState, never by "running == desired" (which also holds right after a
 * rollback).
 */
import { Reason } from '../../manifest/conditions.ts';
import type { DesiredServer, RuntimeState } from '../provider.ts';
import { analyseDeploy, type DeployAnalysis } from './analyse.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { TAG } from './naming.ts';
import { planEcs } from './plan.ts';
import { HOLD_TAG, parseHold } from './retirement-guard.ts';
import type { EcsObservation } from './types.ts';

/** Polling interval while a rollout runs. */
export const ROLLOUT_POLL_MS = 10_000;
/** Polling interval while blocked by a foreign resource or a quota. */
export const BLOCKED_POLL_MS = 60_000;

/** Assesses `obs` against `desired` (undefined: being retired). */
export function assessEcs(desired: DesiredServer | undefined, obs: EcsObservation, config: EcsEnvironmentConfig): RuntimeState {
  if (desired === undefined) {
    const left = planEcs(undefined, obs, config).actions;
    const hold = parseHold(obs.service?.tags[HOLD_TAG]);
    // A hold recorded under the fraction still configured binds (see retirement-guard.ts): say so, e.g. in `berth plan`.
    if (left.length > 0 && hold !== undefined && config.maxRetirementFraction !== undefined && hold.fraction >= config.maxRetirementFraction) {
      return {
        phase: 'Progressing',
        reason: Reason.MassDeletionGuard,
        message: `retirement held by the mass-deletion guard since ${hold.since} (${hold.baseline} servers before the prune began, maxRetirementFraction ${hold.fraction}); raise maxRetirementFraction in the environment "${config.environment}" config and restart the reconciler to let it go, or apply its manifest again to keep it`,
        requeueAfterMs: BLOCKED_POLL_MS,
      };
    }
    return left.length === 0
      ? { phase: 'Absent', reason: Reason.Retired, message: 'nothing left on ECS' }
      : { phase: 'Progressing', reason: Reason.Retiring, message: `retiring: ${left.map((x) => `${x.op} ${x.resource}`).join('; ')}`, requeueAfterMs: ROLLOUT_POLL_MS };
  }
  const a = analyseDeploy(desired, obs, config);
  const details = detailsOf(a, obs);
  const base = { details, ...(a.drift.length > 0 ? { drift: a.drift } : {}) };
  if (a.conflicts.length > 0) {
    return { ...base, phase: 'Conflict', reason: Reason.ForeignResource, message: `blocked by resources Berth does not own; nothing was changed: ${a.conflicts.join('; ')}`, requeueAfterMs: BLOCKED_POLL_MS };
  }
  if (a.quota !== undefined && a.rule === undefined) {
    return { ...base, phase: 'Degraded', reason: Reason.QuotaExceeded, message: a.quota, requeueAfterMs: BLOCKED_POLL_MS };
  }
  const svc = a.service;
  if (svc === undefined) {
    return { ...base, phase: 'Progressing', reason: Reason.Starting, message: `creating ECS service ${a.r.serviceName}`, requeueAfterMs: 3_000 };
  }
  if (svc.status !== 'ACTIVE') {
    return { ...base, phase: 'Progressing', reason: Reason.Starting, message: `waiting for the previous ECS service ${svc.name} to finish ${svc.status}`, requeueAfterMs: ROLLOUT_POLL_MS };
  }
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
  const endpoint = a.endpoint !== undefined ? { endpoint: a.endpoint } : {};
  if (a.guarded || (a.rolledBack && svc.tags[TAG.specHash] === a.r.service.hash)) {
    return {
      ...base,
      ...endpoint,
      phase: 'Degraded',
      reason: Reason.RolledBack,
      message: `the deployment of ${a.r.taskDefinition.containerDefinitions?.[0]?.image ?? 'the new task definition'} failed and ECS rolled back to ${a.runningTaskDefinition?.image ?? primary?.taskDefinitionArn ?? 'the previous revision'} (${a.rollbackReason ?? 'deployment circuit breaker'}); Berth will not redeploy it until the manifest changes — fix the image or its health check`,
      health: { status: 'Unhealthy', message: a.rollbackReason ?? 'rolled back' },
    };
  }
  if (primary === undefined) {
    return { ...base, phase: 'Progressing', reason: Reason.Starting, message: `ECS service ${svc.name} has no deployment yet`, requeueAfterMs: ROLLOUT_POLL_MS };
  }
  if (primary.rolloutState === 'FAILED') {
    return {
      ...base,
      phase: 'Degraded',
      reason: 'RolloutFailed',
      message: `deployment ${primary.id} FAILED: ${primary.rolloutStateReason ?? 'tasks failed to start'}; change the manifest (image, command, health check) to try again`,
      health: { status: 'Unhealthy', message: primary.rolloutStateReason ?? 'rollout failed' },
    };
  }
  const runningHash = a.runningTaskDefinition?.tags[TAG.specHash];
  // AWS's own word for the rollout, or that it gave none: never a guess.
  const progress = `deployment ${primary.id} ${primary.rolloutState ?? 'rollout state unknown (AWS gave none)'}: ${primary.runningCount}/${svc.desiredCount} running`;
  if (runningHash !== a.r.taskDefinitionHash) {
    return { ...base, phase: 'Progressing', reason: Reason.RollingOut, message: `deploying the new task definition; ${progress}`, requeueAfterMs: 3_000 };
  }
  if (primary.rolloutState !== 'COMPLETED' || svc.deployments.length > 1) {
    return { ...base, ...endpoint, phase: 'Progressing', reason: Reason.RollingOut, message: progress, requeueAfterMs: ROLLOUT_POLL_MS };
  }
  if (svc.desiredCount === 0) {
    return { ...base, phase: 'Progressing', reason: 'ScaledToZero', message: 'spec.runtime.replicas is 0: the service exists with no tasks' };
  }
  const healthy = obs.targetHealth?.healthy ?? svc.runningCount;
  if (svc.runningCount < svc.desiredCount || healthy < svc.desiredCount) {
    return {
      ...base,
      ...endpoint,
      phase: 'Progressing',
      reason: Reason.Starting,
      message: `${healthy}/${svc.desiredCount} targets healthy${obs.targetHealth?.reason ? ` (${obs.targetHealth.reason})` : ''}`,
      health: { status: 'Unhealthy', message: `${healthy}/${svc.desiredCount} targets healthy` },
      requeueAfterMs: ROLLOUT_POLL_MS,
    };
  }
  return {
    ...base,
    ...endpoint,
    phase: 'Ready',
    reason: Reason.Ready,
    message: `${svc.desiredCount}/${svc.desiredCount} tasks healthy behind ${a.r.targetGroup.name}`,
    health: { status: 'Healthy' },
  };
}

/** What AWS reported as a rollout state when it reported none. */
export const ROLLOUT_UNKNOWN = 'unknown';

/**
 * status.runtime: ARNs owned, the listener rule, rollout (PRIMARY's rolloutState
 * exactly as AWS gave it, else "unknown"), running/desired, target health as last
 * read (with when), the last AWS error (with when). Stable between no-op passes:
 * nothing here moves unless AWS's answer did.
 */
function detailsOf(a: DeployAnalysis, obs: EcsObservation): Record<string, unknown> {
  const svc = a.service;
  const primary = svc?.deployments.find((d) => d.status === 'PRIMARY');
  const arns: Record<string, string> = {};
  if (svc) arns['service'] = svc.arn;
  if (a.runningTaskDefinition) arns['taskDefinition'] = a.runningTaskDefinition.arn;
  else if (primary !== undefined) arns['taskDefinition'] = primary.taskDefinitionArn;
  if (a.targetGroup) arns['targetGroup'] = a.targetGroup.arn;
  if (a.rule) arns['listenerRule'] = a.rule.arn;
  if (a.listener) arns['listener'] = a.listener.arn;
  const seen = obs.targetHealthSeen;
  const targets = seen?.summary ?? obs.targetHealth;
  return {
    arns,
    ...(a.rule !== undefined ? { rule: { arn: a.rule.arn, priority: a.rule.priority, conditions: a.rule.conditionsKey } } : {}),
    ...(primary !== undefined && svc !== undefined
      ? { rollout: { deploymentId: primary.id, rolloutState: primary.rolloutState ?? ROLLOUT_UNKNOWN, ...(primary.rolloutStateReason !== undefined ? { reason: primary.rolloutStateReason } : {}), running: primary.runningCount, desired: svc.desiredCount } }
      : {}),
    ...(svc !== undefined ? { service: { status: svc.status, running: svc.runningCount, pending: svc.pendingCount, desired: svc.desiredCount } } : {}),
    ...(targets !== undefined
      ? { targets: { healthy: targets.healthy, unhealthy: targets.unhealthy, initial: targets.initial, draining: targets.draining, ...(targets.reason !== undefined ? { reason: targets.reason } : {}), ...(seen !== undefined ? { checkedAt: seen.at } : {}) } }
      : {}),
    ...(a.dns !== undefined ? { dns: a.dns.name } : {}),
    ...(obs.lastError !== undefined ? { lastError: { ...obs.lastError } } : {}),
  };
}
