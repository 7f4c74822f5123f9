/** Deploy plan for the server's ECS service: create it, wait for it, or update only the fields that differ. */
import type { DeployAnalysis } from './analyse.ts';
import { serviceClientToken, TAG } from './naming.ts';
import { creationTags } from './ownership.ts';
import { WAIT_DRAINING_MS, WAIT_MISSING_MS, type PlanSection } from './plan-section.ts';
import type { EcsAction, EcsObservation, ObservedService } from './types.ts';

type ServiceChanges = Extract<EcsAction, { kind: 'update-service' }>['changes'];

/**
 * Create the service (deterministic client token), or update and tag the one
 * Berth owns. Halts behind a wait while a service of this name is not visible
 * yet (created moments ago) or still DRAINING, since ECS refuses to create it
 * again until then. `needsTaskDefinition`: see `needsNewTaskDefinition`. Pure.
 */
export function planService(a: DeployAnalysis, obs: EcsObservation, needsTaskDefinition: boolean): PlanSection {
  const { r } = a;
  const tgArn = a.targetGroup?.arn;
  const seen = obs.service !== undefined && obs.service.status !== 'INACTIVE' ? obs.service : undefined;
  if (seen === undefined) {
    if (obs.serviceRecentlyCreated) {
      return { actions: [{ kind: 'wait', op: 'wait', resource: `ecs service ${r.serviceName}`, reason: 'created moments ago; DescribeServices reports MISSING until it is visible', waitMs: WAIT_MISSING_MS }], halt: true };
    }
    const create: EcsAction = {
      kind: 'create-service',
      op: 'create',
      resource: `ecs service ${r.serviceName}`,
      reason: `run ${r.service.desiredCount} task(s) of ${r.taskDefinition.containerDefinitions?.[0]?.image ?? ''} behind ${r.targetGroup.name}`,
      serviceName: r.serviceName,
      clientToken: serviceClientToken(a.owner.installationId, r.name, r.service.hash),
      ...(a.desiredTaskDefinition !== undefined ? { taskDefinitionArn: a.desiredTaskDefinition.arn } : {}),
      ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
      desiredCount: r.service.desiredCount,
      healthCheckGracePeriodSeconds: r.service.healthCheckGracePeriodSeconds,
      containerPort: r.service.containerPort,
      subnets: r.service.subnets,
      securityGroups: r.service.securityGroups,
      assignPublicIp: r.service.assignPublicIp,
      tags: creationTags(a.owner, r.service.hash, r.extraTags),
    };
    return { actions: [create], halt: false };
  }
  if (seen.status === 'DRAINING') {
    return { actions: [{ kind: 'wait', op: 'wait', resource: `ecs service ${r.serviceName}`, reason: 'the previous service of this name is still DRAINING; ECS refuses to re-create it until INACTIVE', waitMs: WAIT_DRAINING_MS }], halt: true };
  }
  // A service Berth doesn't own is a conflict: the plan never gets here with one.
  return { actions: a.service !== undefined ? planServiceUpdate(a, a.service, needsTaskDefinition) : [], halt: false };
}

/**
 * UpdateService with the differing fields (or only the spec-hash tag when none
 * differ), and after a rollback the failed-spec-hash tag, so the rolled-back
 * configuration is not redeployed until the manifest changes.
 */
function planServiceUpdate(a: DeployAnalysis, svc: ObservedService, needsTaskDefinition: boolean): EcsAction[] {
  const { r } = a;
  const out: EcsAction[] = [];
  const { changes, why } = serviceChanges(a, svc, needsTaskDefinition);
  if (Object.keys(changes).length > 0) {
    out.push({ kind: 'update-service', op: 'update', resource: `ecs service ${r.serviceName}`, reason: why.join('; '), serviceArn: svc.arn, changes, tagHash: r.service.hash });
  } else if (!a.guarded && svc.tags[TAG.specHash] !== r.service.hash) {
    out.push({ kind: 'tag-service', op: 'tag', resource: `ecs service ${r.serviceName}`, reason: 'record the applied settings in berth:spec-hash', serviceArn: svc.arn, tags: { [TAG.specHash]: r.service.hash } });
  }
  if (a.rolledBack && svc.tags[TAG.specHash] === r.service.hash && svc.tags[TAG.failedSpecHash] !== r.service.hash) {
    out.push({
      kind: 'tag-service',
      op: 'tag',
      resource: `ecs service ${r.serviceName}`,
      reason: 'the circuit breaker rolled this configuration back: record it so it is not redeployed until the manifest changes',
      serviceArn: svc.arn,
      tags: { [TAG.failedSpecHash]: r.service.hash },
    });
  }
  return out;
}

/**
 * The fields of `svc` that differ from the manifest, each with why. A change
 * while the spec-hash tag still matches was made outside Berth, and says so.
 */
function serviceChanges(a: DeployAnalysis, svc: ObservedService, needsTaskDefinition: boolean): { changes: ServiceChanges; why: string[] } {
  const { r } = a;
  const tgArn = a.targetGroup?.arn;
  const changes: ServiceChanges = {};
  const why: string[] = [];
  const drift = svc.tags[TAG.specHash] === r.service.hash;
  if (needsTaskDefinition) {
    changes.taskDefinition = a.desiredTaskDefinition?.arn ?? 'desired';
    why.push(drift && !a.rolledBack ? 'task definition changed outside Berth' : `new task definition (${r.taskDefinition.containerDefinitions?.[0]?.image ?? ''})`);
  }
  if (svc.desiredCount !== r.service.desiredCount) {
    changes.desiredCount = r.service.desiredCount;
    why.push(`desiredCount ${svc.desiredCount} → ${r.service.desiredCount}${drift ? ' (changed outside Berth)' : ''}`);
  }
  if (svc.healthCheckGracePeriodSeconds !== r.service.healthCheckGracePeriodSeconds) {
    changes.healthCheckGracePeriodSeconds = r.service.healthCheckGracePeriodSeconds;
    why.push(`health-check grace period → ${r.service.healthCheckGracePeriodSeconds}s`);
  }
  const lb = svc.loadBalancers[0];
  if (tgArn === undefined || lb?.targetGroupArn !== tgArn || lb.containerPort !== r.service.containerPort || svc.loadBalancers.length !== 1) {
    changes.loadBalancers = { ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}), containerPort: r.service.containerPort };
    why.push(`load balancer → ${r.targetGroup.name}:${r.service.containerPort}`);
  }
  if (svc.subnets.join() !== r.service.subnets.join() || svc.securityGroups.join() !== r.service.securityGroups.join() || (svc.assignPublicIp ?? 'DISABLED') !== r.service.assignPublicIp) {
    changes.network = { subnets: r.service.subnets, securityGroups: r.service.securityGroups, assignPublicIp: r.service.assignPublicIp };
    why.push('network configuration');
  }
  if (!svc.circuitBreaker.enable || !svc.circuitBreaker.rollback) {
    changes.circuitBreaker = true;
    why.push('enable the deployment circuit breaker with rollback');
  }
  return { changes, why };
}
