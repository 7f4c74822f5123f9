/** Deploy plan for the server's target group: create it, or bring its health check and attributes back to the manifest. */
import { healthCheckMatches, type DeployAnalysis } from './analyse.ts';
import { TAG } from './naming.ts';
import { creationTags } from './ownership.ts';
import type { EcsAction } from './types.ts';

/**
 * Create (immutable fields changed: a new group beside the stale one), modify
 * the health check, or only record the applied settings in the spec-hash tag;
 * then the attributes, whenever their marker tag differs. Pure.
 */
export function planTargetGroup(a: DeployAnalysis): EcsAction[] {
  const { r } = a;
  const out: EcsAction[] = [];
  const tgRes = `target group ${r.targetGroup.name}`;
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
      tags: creationTags(a.owner, r.targetGroup.hash, r.extraTags),
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
  return out;
}
