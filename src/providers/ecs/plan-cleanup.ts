/** Deploy plan's last piece: clear what the previous configuration left, once the desired one runs steadily. */
import type { DeployAnalysis } from './analyse.ts';
import { TAG } from './naming.ts';
import { cleanupTaskDefinitions } from './plan-task-definition.ts';
import { HOLD_TAG } from './retirement-guard.ts';
import type { EcsAction, EcsObservation } from './types.ts';

/**
 * Nothing until the service's only deployment COMPLETED on the desired
 * revision (until then a rollback may still need the old pieces). Then: forget
 * an old rollback, delete replaced target groups no longer attached, and
 * deregister old revisions. Pure.
 */
export function planCleanup(a: DeployAnalysis, obs: EcsObservation): EcsAction[] {
  const { r } = a;
  const svc = a.service;
  // The manifest came back: a retirement hold recorded on the service no longer applies.
  const unhold: EcsAction[] =
    svc !== undefined && svc.status === 'ACTIVE' && svc.tags[HOLD_TAG] !== undefined
      ? [{ kind: 'untag-service', op: 'untag', resource: `ecs service ${r.serviceName}`, reason: 'deployed again: forget the mass-deletion guard\'s hold on its retirement (berth:retirement-held)', serviceArn: svc.arn, tagKeys: [HOLD_TAG] }]
      : [];
  const steady =
    svc !== undefined &&
    svc.status === 'ACTIVE' &&
    svc.deployments.length === 1 &&
    svc.deployments[0]!.rolloutState === 'COMPLETED' &&
    a.runningTaskDefinition?.tags[TAG.specHash] === r.taskDefinitionHash;
  if (!steady) return unhold;
  const out: EcsAction[] = [...unhold];
  const failed = svc.tags[TAG.failedSpecHash];
  if (failed !== undefined && failed !== r.service.hash) {
    // A different configuration rolled out fine: the old failure no longer describes this service.
    out.push({ kind: 'untag-service', op: 'untag', resource: `ecs service ${r.serviceName}`, reason: 'a later configuration rolled out successfully: forget the rolled-back one (berth:failed-spec-hash)', serviceArn: svc.arn, tagKeys: [TAG.failedSpecHash] });
  }
  for (const tg of a.staleTargetGroups) {
    if (svc.loadBalancers.some((lb) => lb.targetGroupArn === tg.arn)) continue;
    out.push({ kind: 'delete-target-group', op: 'delete', resource: `target group ${tg.name}`, reason: `replaced by ${r.targetGroup.name}`, targetGroupArn: tg.arn });
  }
  out.push(...cleanupTaskDefinitions(obs, a.owner, a));
  return out;
}
