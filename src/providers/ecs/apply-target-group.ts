/**
 * Apply steps for the server's ELBv2 target group: create it tagged, set its
 * attributes, bring its health check back to the manifest, delete it once
 * nothing routes to it.
 */
import {
  AddTagsCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type CreateTargetGroupCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ProviderError } from '../provider.ts';
import { BUSY_MS, type ActionOf, type ApplyContext, type StepResult } from './apply-context.ts';
import { errorCode } from './aws-error.ts';
import { TAG } from './naming.ts';
import { elbTags } from './ownership.ts';

/** CreateTargetGroup with Berth's tags in the call; binds the new ARN for the rule and service steps after it. */
export async function createTargetGroup(action: ActionOf<'create-target-group'>, ctx: ApplyContext): Promise<StepResult> {
  const out = await ctx.clients.elbv2.send(new CreateTargetGroupCommand({ ...(action.input as unknown as CreateTargetGroupCommandInput), Tags: elbTags(action.tags) }), ctx.sendOptions);
  ctx.view.targetGroupsChanged();
  ctx.bound.targetGroupArn = out.TargetGroups?.[0]?.TargetGroupArn;
  return 'created';
}

/**
 * Sets the deregistration delay, then tags the group with the attributes marker
 * (after, so a crash in between only repeats the write). Throws when no ARN is
 * planned or bound.
 */
export async function setTargetGroupAttributes(action: ActionOf<'set-target-group-attributes'>, ctx: ApplyContext): Promise<StepResult> {
  const arn = action.targetGroupArn ?? ctx.bound.targetGroupArn;
  if (arn === undefined) throw new ProviderError(`no target group ARN to set attributes on for "${ctx.server}"`, { code: 'internal' });
  await ctx.clients.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(action.deregistrationDelaySeconds) }] }), ctx.sendOptions);
  await ctx.clients.elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: elbTags({ [TAG.attributes]: action.marker }) }), ctx.sendOptions);
  ctx.view.targetGroupsChanged(arn);
  return 'updated';
}

/** Writes the planned health check (unless the action only tags), then the spec-hash tag. */
export async function modifyTargetGroup(action: ActionOf<'modify-target-group'>, ctx: ApplyContext): Promise<StepResult> {
  if (action.op !== 'tag') {
    const h = action.healthCheck;
    await ctx.clients.elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: action.targetGroupArn,
        HealthCheckPath: h.path,
        HealthCheckIntervalSeconds: h.intervalSeconds,
        HealthCheckTimeoutSeconds: h.timeoutSeconds,
        HealthyThresholdCount: h.healthyThreshold,
        UnhealthyThresholdCount: h.unhealthyThreshold,
        Matcher: { HttpCode: h.matcher },
      }),
      ctx.sendOptions,
    );
  }
  await ctx.clients.elbv2.send(new AddTagsCommand({ ResourceArns: [action.targetGroupArn], Tags: elbTags({ [TAG.specHash]: action.tagHash }) }), ctx.sendOptions);
  ctx.view.targetGroupsChanged(action.targetGroupArn);
  return action.op === 'tag' ? 'tagged' : 'updated';
}

/** DeleteTargetGroup; while a rule or service still uses it (ResourceInUse) asks to be called again later. */
export async function deleteTargetGroup(action: ActionOf<'delete-target-group'>, ctx: ApplyContext): Promise<StepResult> {
  try {
    await ctx.clients.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: action.targetGroupArn }), ctx.sendOptions);
  } catch (err) {
    if (errorCode(err) === 'ResourceInUseException') return { result: 'in use; retrying later', requeueAfterMs: BUSY_MS.targetGroupInUse };
    throw err;
  }
  ctx.view.targetGroupsChanged(action.targetGroupArn);
  return 'deleted';
}
