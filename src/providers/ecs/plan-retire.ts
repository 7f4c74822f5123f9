/**
 * The ECS plan for a server no longer desired. Order: DNS → rules → service
 * (scale to 0, delete with force, wait until INACTIVE) → target groups → task
 * definitions. Only what carries Berth's tags for this server is touched.
 */
import { ownedRecords } from './analyse.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { ownedBy, type Owner } from './ownership.ts';
import { deleteOwnedRecords } from './plan-dns.ts';
import { shortArn, WAIT_DRAINING_MS, WAIT_MISSING_MS } from './plan-section.ts';
import type { EcsAction, EcsObservation } from './types.ts';

/**
 * The retirement steps still to do. Ends with a wait while the service drains
 * or is not visible yet: target groups and task definitions go only once it is gone. Pure.
 */
export function planRetire(obs: EcsObservation, config: EcsEnvironmentConfig): EcsAction[] {
  const owner: Owner = { installationId: config.installationId, server: obs.name };
  const out: EcsAction[] = [];
  if (config.hostedZoneId !== undefined) {
    for (const rec of ownedRecords(obs.records, owner, config.listeners)) {
      out.push(deleteOwnedRecords(rec, config.hostedZoneId, 'retiring: DNS first, so no client is sent to a server that is going away'));
    }
  }
  for (const rule of Object.values(obs.rulesByListener).flat()) {
    if (ownedBy(rule.tags, owner)) out.push({ kind: 'delete-rule', op: 'delete', resource: `listener rule ${shortArn(rule.arn)}`, reason: 'retiring: stop routing before the service goes', ruleArn: rule.arn });
  }
  const svc = obs.service !== undefined && ownedBy(obs.service.tags, owner) ? obs.service : undefined;
  if (svc !== undefined && svc.status === 'ACTIVE') {
    if (svc.desiredCount > 0) out.push({ kind: 'scale-service-to-zero', op: 'update', resource: `ecs service ${svc.name}`, reason: 'retiring: scale to 0 before deleting', serviceArn: svc.arn });
    out.push({ kind: 'delete-service', op: 'delete', resource: `ecs service ${svc.name}`, reason: 'retiring', serviceArn: svc.arn });
    out.push({ kind: 'wait', op: 'wait', resource: `ecs service ${svc.name}`, reason: 'draining: waiting for ECS to mark it INACTIVE', waitMs: WAIT_DRAINING_MS });
    return out;
  }
  if (svc !== undefined && svc.status === 'DRAINING') {
    out.push({ kind: 'wait', op: 'wait', resource: `ecs service ${svc.name}`, reason: 'draining: waiting for ECS to mark it INACTIVE', waitMs: WAIT_DRAINING_MS });
    return out;
  }
  if (obs.service === undefined && obs.serviceRecentlyCreated) {
    out.push({ kind: 'wait', op: 'wait', resource: `ecs service berth-${obs.name}`, reason: 'created moments ago and not visible yet; waiting before retiring it', waitMs: WAIT_MISSING_MS });
    return out;
  }
  for (const tg of obs.targetGroups) {
    if (ownedBy(tg.tags, owner)) out.push({ kind: 'delete-target-group', op: 'delete', resource: `target group ${tg.name}`, reason: 'retiring (after the rule and the service are gone)', targetGroupArn: tg.arn });
  }
  for (const td of obs.family) {
    if (td.status === 'ACTIVE' && ownedBy(td.tags, owner)) out.push({ kind: 'deregister-task-definition', op: 'deregister', resource: `task definition ${td.family}:${td.revision}`, reason: 'retiring', taskDefinitionArn: td.arn });
  }
  return out;
}
