/**
 * The ECS plan for one server, PURE: ordered AWS actions with reasons.
 *
 * Deploy order: target group → its attributes → listener rule (→ remove
 * duplicate rules Berth owns) → task definition (an ACTIVE revision whose
 * spec-hash tag matches is reused: a crash after RegisterTaskDefinition never
 * registers a second one) → service (create with a deterministic clientToken,
 * or update only the fields that differ) → DNS aliases (A, AAAA) + ownership TXT →
 * clean-up (old records, old target groups, old task definition revisions not
 * used by any deployment, keeping the last known-good one).
 * Retire order: DNS → rules → service (scale to 0, delete with force, wait
 * until INACTIVE) → target groups → task definitions.
 * While a foreign resource blocks (Conflict) nothing is written.
 */
import type { DesiredServer, Plan } from '../provider.ts';
import { analyseDeploy, healthCheckMatches, ownedRecords, type DeployAnalysis } from './analyse.ts';
import { ALIAS_TYPES, presentAliases, sameAlias, type AliasesByType, type AliasType } from './dns.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { choosePriority, CONTAINER_NAME, serviceClientToken, TAG } from './naming.ts';
import { creationTags, ownedBy, type Owner } from './ownership.ts';
import { canonicalConditions } from './render.ts';
import type { EcsAction, EcsObservation } from './types.ts';

/** How long to wait before looking again at a service that isn't visible yet or still draining. */
export const WAIT_MISSING_MS = 3_000;
/** Wait while a service drains. */
export const WAIT_DRAINING_MS = 10_000;

/** Plans `desired` (undefined: retire) against `obs`. Pure. */
export function planEcs(desired: DesiredServer | undefined, obs: EcsObservation, config: EcsEnvironmentConfig): Plan<EcsAction> {
  // Marked so the provider's mass-deletion guard can tell a retirement from a deploy's clean-up.
  if (desired === undefined) return { server: obs.name, actions: planRetire(obs, config).map((a) => ({ ...a, retiring: true as const })) };
  const a = analyseDeploy(desired, obs, config);
  if (a.conflicts.length > 0) return { server: obs.name, actions: [] };
  return { server: obs.name, actions: planDeploy(a, obs, config) };
}

function planDeploy(a: DeployAnalysis, obs: EcsObservation, config: EcsEnvironmentConfig): EcsAction[] {
  const { r, owner } = a;
  const out: EcsAction[] = [];
  const tgRes = `target group ${r.targetGroup.name}`;

  // 1. Target group.
  if (a.targetGroup === undefined) {
    out.push({
      kind: 'create-target-group',
      op: 'create',
      resource: tgRes,
      reason: a.staleTargetGroups.length > 0 ? `port, protocol or VPC changed (was ${a.staleTargetGroups.map((t) => t.name).join(', ')})` : 'does not exist',
      tgName: r.targetGroup.name,
      input: {
        Name: r.targetGroup.name,
        Protocol: r.targetGroup.identity.protocol,
        Port: r.targetGroup.identity.port,
        VpcId: r.targetGroup.identity.vpcId,
        TargetType: r.targetGroup.identity.targetType,
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: r.targetGroup.healthCheck.path,
        HealthCheckIntervalSeconds: r.targetGroup.healthCheck.intervalSeconds,
        HealthCheckTimeoutSeconds: r.targetGroup.healthCheck.timeoutSeconds,
        HealthyThresholdCount: r.targetGroup.healthCheck.healthyThreshold,
        UnhealthyThresholdCount: r.targetGroup.healthCheck.unhealthyThreshold,
        Matcher: { HttpCode: r.targetGroup.healthCheck.matcher },
      },
      tags: creationTags(owner, r.targetGroup.hash, r.extraTags),
    });
  } else if (!healthCheckMatches(a.targetGroup, r.targetGroup.healthCheck)) {
    out.push({
      kind: 'modify-target-group',
      op: 'update',
      resource: tgRes,
      reason: a.targetGroup.tags[TAG.specHash] === r.targetGroup.hash ? 'health check changed outside Berth' : 'health check changed in the manifest',
      targetGroupArn: a.targetGroup.arn,
      healthCheck: r.targetGroup.healthCheck,
      tagHash: r.targetGroup.hash,
    });
  } else if (a.targetGroup.tags[TAG.specHash] !== r.targetGroup.hash && a.targetGroup.tags[TAG.attributes] === r.targetGroup.attributes) {
    out.push({ kind: 'modify-target-group', op: 'tag', resource: tgRes, reason: 'record the applied settings in berth:spec-hash', targetGroupArn: a.targetGroup.arn, healthCheck: r.targetGroup.healthCheck, tagHash: r.targetGroup.hash });
  }
  if (a.targetGroup === undefined || a.targetGroup.tags[TAG.attributes] !== r.targetGroup.attributes) {
    out.push({
      kind: 'set-target-group-attributes',
      op: 'update',
      resource: tgRes,
      reason: `deregistration delay ${r.targetGroup.deregistrationDelaySeconds}s (AWS default 300s slows every rollout)`,
      ...(a.targetGroup !== undefined ? { targetGroupArn: a.targetGroup.arn } : {}),
      deregistrationDelaySeconds: r.targetGroup.deregistrationDelaySeconds,
      marker: r.targetGroup.attributes,
    });
  }

  // 2. Listener rule (needs a listener with room).
  if (a.listener === undefined) return out;
  const tgArn = a.targetGroup?.arn;
  if (a.rule === undefined) {
    const priority = choosePriority(r.name, new Set(a.usedPriorities));
    if (priority === undefined) return out;
    out.push({
      kind: 'create-rule',
      op: 'create',
      resource: `listener rule for ${r.host ?? ''}${r.path}`,
      reason: `route ${r.host ?? ''}${r.path} to ${r.targetGroup.name} (priority ${priority} on ${shortArn(a.listener.arn)})`,
      listenerArn: a.listener.arn,
      priority,
      conditions: r.ruleConditions,
      ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
      tags: creationTags(owner, r.ruleHash, r.extraTags),
      usedPriorities: a.usedPriorities,
    });
  } else {
    const forwardsRight = tgArn !== undefined && a.rule.targetGroupArns.length === 1 && a.rule.targetGroupArns[0] === tgArn;
    const conditionsRight = a.rule.conditionsKey === canonicalConditions(r.ruleConditions);
    if (!forwardsRight || !conditionsRight) {
      const drifted = a.rule.tags[TAG.specHash] === r.ruleHash;
      out.push({
        kind: 'modify-rule',
        op: 'update',
        resource: `listener rule ${shortArn(a.rule.arn)}`,
        reason: !conditionsRight
          ? `${drifted ? 'conditions changed outside Berth' : 'routing changed'}: ${a.rule.conditionsKey} → ${canonicalConditions(r.ruleConditions)}`
          : `forward to ${r.targetGroup.name}`,
        ruleArn: a.rule.arn,
        conditions: r.ruleConditions,
        ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
        tagHash: r.ruleHash,
      });
    } else if (a.rule.tags[TAG.specHash] !== r.ruleHash) {
      out.push({ kind: 'modify-rule', op: 'tag', resource: `listener rule ${shortArn(a.rule.arn)}`, reason: 'record the applied conditions in berth:spec-hash', ruleArn: a.rule.arn, conditions: r.ruleConditions, ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}), tagHash: r.ruleHash });
    }
  }
  for (const dup of a.duplicateRules) {
    out.push({ kind: 'delete-rule', op: 'delete', resource: `listener rule ${shortArn(dup.arn)}`, reason: `duplicate of the rule Berth keeps for ${r.name} (priority ${dup.priority})`, ruleArn: dup.arn });
  }

  // 3. Task definition.
  const svc = a.service;
  const runningHash = a.runningTaskDefinition?.tags[TAG.specHash];
  const needsTaskDefinition = svc === undefined || svc.status !== 'ACTIVE' || (!a.guarded && runningHash !== r.taskDefinitionHash);
  if (needsTaskDefinition && a.desiredTaskDefinition === undefined) {
    out.push({
      kind: 'register-task-definition',
      op: 'register',
      resource: `task definition ${r.family}`,
      reason: svc === undefined ? 'first revision' : `image, command, env, secrets or size changed (running ${a.runningTaskDefinition?.image ?? 'unknown'}, manifest ${r.taskDefinition.containerDefinitions?.[0]?.image ?? ''})`,
      input: r.taskDefinition,
      tags: creationTags(owner, r.taskDefinitionHash, r.extraTags),
    });
  }

  // 4. Service.
  const seen = obs.service !== undefined && obs.service.status !== 'INACTIVE' ? obs.service : undefined;
  if (seen === undefined) {
    if (obs.serviceRecentlyCreated) {
      out.push({ kind: 'wait', op: 'wait', resource: `ecs service ${r.serviceName}`, reason: 'created moments ago; DescribeServices reports MISSING until it is visible', waitMs: WAIT_MISSING_MS });
      return out;
    }
    out.push({
      kind: 'create-service',
      op: 'create',
      resource: `ecs service ${r.serviceName}`,
      reason: `run ${r.service.desiredCount} task(s) of ${r.taskDefinition.containerDefinitions?.[0]?.image ?? ''} behind ${r.targetGroup.name}`,
      serviceName: r.serviceName,
      clientToken: serviceClientToken(owner.installationId, r.name, r.service.hash),
      ...(a.desiredTaskDefinition !== undefined ? { taskDefinitionArn: a.desiredTaskDefinition.arn } : {}),
      ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
      desiredCount: r.service.desiredCount,
      healthCheckGracePeriodSeconds: r.service.healthCheckGracePeriodSeconds,
      containerPort: r.service.containerPort,
      subnets: r.service.subnets,
      securityGroups: r.service.securityGroups,
      assignPublicIp: r.service.assignPublicIp,
      tags: creationTags(owner, r.service.hash, r.extraTags),
    });
  } else if (seen.status === 'DRAINING') {
    out.push({ kind: 'wait', op: 'wait', resource: `ecs service ${r.serviceName}`, reason: 'the previous service of this name is still DRAINING; ECS refuses to re-create it until INACTIVE', waitMs: WAIT_DRAINING_MS });
    return out;
  } else if (svc !== undefined) {
    const changes: Extract<EcsAction, { kind: 'update-service' }>['changes'] = {};
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
  }

  // 5. DNS aliases (A, AAAA) + ownership record, always in one batch; changes are a compare-and-swap on the TXT.
  if (a.dns !== undefined) {
    const cur = a.dnsCurrent;
    const want = a.dns.aliases;
    if (cur === undefined) {
      out.push({
        kind: 'change-dns',
        op: 'create',
        resource: `dns ${a.dns.name}`,
        reason: `alias A and AAAA to ${want.A.AliasTarget?.DNSName} with ownership record ${a.dns.ownership.Name}`,
        hostedZoneId: a.dns.hostedZoneId,
        changes: [...ALIAS_TYPES.map((t) => ({ action: 'CREATE' as const, record: want[t] })), { action: 'CREATE', record: a.dns.ownership }],
      });
    } else {
      // Only the records that differ are replaced: an A still right stays while a missing AAAA is added.
      const stale = ALIAS_TYPES.filter((t) => !sameAlias(cur.aliases[t], want[t]));
      if (stale.length > 0 || cur.hash !== a.dns.hash) {
        out.push({
          kind: 'change-dns',
          op: 'update',
          resource: `dns ${a.dns.name}`,
          reason: dnsUpdateReason(cur.hash === a.dns.hash, stale, cur.aliases, want.A.AliasTarget?.DNSName),
          hostedZoneId: a.dns.hostedZoneId,
          changes: [
            ...stale.flatMap((t) => (cur.aliases[t] !== undefined ? [{ action: 'DELETE' as const, record: cur.aliases[t] }] : [])),
            { action: 'DELETE', record: cur.ownership },
            ...stale.map((t) => ({ action: 'CREATE' as const, record: want[t] })),
            { action: 'CREATE', record: a.dns.ownership },
          ],
        });
      }
    }
  }
  if (config.hostedZoneId !== undefined) {
    for (const old of a.dnsElsewhere) {
      out.push({
        kind: 'change-dns',
        op: 'delete',
        resource: `dns ${presentAliases(old.aliases)[0]?.Name ?? old.ownership.Name}`,
        reason: 'spec.routing.host no longer names it',
        hostedZoneId: config.hostedZoneId,
        changes: [...presentAliases(old.aliases).map((rec) => ({ action: 'DELETE' as const, record: rec })), { action: 'DELETE', record: old.ownership }],
      });
    }
  }

  // 6. Clean-up once the service runs the desired configuration steadily.
  const steady =
    svc !== undefined &&
    svc.status === 'ACTIVE' &&
    svc.deployments.length === 1 &&
    svc.deployments[0]!.rolloutState === 'COMPLETED' &&
    runningHash === r.taskDefinitionHash;
  if (steady) {
    const failed = svc.tags[TAG.failedSpecHash];
    if (failed !== undefined && failed !== r.service.hash) {
      // A different configuration rolled out fine: the old failure no longer describes this service.
      out.push({ kind: 'untag-service', op: 'untag', resource: `ecs service ${r.serviceName}`, reason: 'a later configuration rolled out successfully: forget the rolled-back one (berth:failed-spec-hash)', serviceArn: svc.arn, tagKeys: [TAG.failedSpecHash] });
    }
    for (const tg of a.staleTargetGroups) {
      if (svc.loadBalancers.some((lb) => lb.targetGroupArn === tg.arn)) continue;
      out.push({ kind: 'delete-target-group', op: 'delete', resource: `target group ${tg.name}`, reason: `replaced by ${r.targetGroup.name}`, targetGroupArn: tg.arn });
    }
    out.push(...cleanupTaskDefinitions(obs, owner, a));
  }
  return out;
}

/** Why the aliases at the host are rewritten: put back after drift, added (an A-only installation gains its AAAA), or retargeted. */
function dnsUpdateReason(sameHash: boolean, stale: readonly AliasType[], have: AliasesByType, target: string | undefined): string {
  if (sameHash) return `record changed outside Berth (${stale.join(', ')})`;
  const kept = ALIAS_TYPES.filter((t) => !stale.includes(t));
  if (stale.every((t) => have[t] === undefined) && kept.length > 0) {
    return `add alias ${stale.join(', ')} beside the unchanged ${kept.join(', ')}; the ownership record now vouches for both`;
  }
  return `alias target → ${target}`;
}

/** Old revisions Berth registered, except those a deployment uses, the desired one and the last known-good one. */
function cleanupTaskDefinitions(obs: EcsObservation, owner: Owner, a: DeployAnalysis): EcsAction[] {
  const inUse = new Set(a.service?.deployments.map((d) => d.taskDefinitionArn) ?? []);
  const running = a.runningTaskDefinition;
  const candidates = obs.family.filter((td) => td.status === 'ACTIVE' && ownedBy(td.tags, owner) && !inUse.has(td.arn) && td.arn !== a.desiredTaskDefinition?.arn);
  // Newest other revision below the running one: what a rollback would return to.
  const lastKnownGood = candidates.filter((td) => running === undefined || td.revision < running.revision).sort((x, y) => y.revision - x.revision)[0];
  return candidates
    .filter((td) => td.arn !== lastKnownGood?.arn)
    .map((td) => ({ kind: 'deregister-task-definition' as const, op: 'deregister', resource: `task definition ${td.family}:${td.revision}`, reason: 'no deployment uses it and it is not the last known-good revision', taskDefinitionArn: td.arn }));
}

function planRetire(obs: EcsObservation, config: EcsEnvironmentConfig): EcsAction[] {
  const owner: Owner = { installationId: config.installationId, server: obs.name };
  const out: EcsAction[] = [];
  if (config.hostedZoneId !== undefined) {
    for (const rec of ownedRecords(obs.records, owner, config.listeners)) {
      out.push({
        kind: 'change-dns',
        op: 'delete',
        resource: `dns ${presentAliases(rec.aliases)[0]?.Name ?? rec.ownership.Name}`,
        reason: 'retiring: DNS first, so no client is sent to a server that is going away',
        hostedZoneId: config.hostedZoneId,
        changes: [...presentAliases(rec.aliases).map((r) => ({ action: 'DELETE' as const, record: r })), { action: 'DELETE', record: rec.ownership }],
      });
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

/** The last two path segments of an ARN, for readable plans. */
export function shortArn(arn: string): string {
  return arn.split('/').slice(-2).join('/');
}

/** Name of the container the service's load balancer entry points at. */
export const LOAD_BALANCED_CONTAINER = CONTAINER_NAME;
