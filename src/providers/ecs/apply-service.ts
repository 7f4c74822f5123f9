/**
 * Apply steps for the server's ECS service: create (idempotent by client
 * token), update only the planned fields, tag, untag, scale to zero, delete.
 * A service that is not visible yet or draining is "not now", never an error.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { BUSY_MS, type ActionOf, type ApplyContext, type StepResult } from './apply-context.ts';
import { errorCode } from './aws-error.ts';
import { CONTAINER_NAME, serviceName, TAG } from './naming.ts';
import { ecsTags } from './ownership.ts';

/** Rollback on a failed deployment, so a bad revision never replaces a working one. A fresh object per call: the SDK input is never shared. */
function deploymentConfiguration() {
  return { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 };
}

/**
 * CreateService with the plan's deterministic client token and Berth's tags,
 * on the planned (or bound) task definition and target group. Records when it
 * was created, so observe reads a MISSING answer right after as "not visible yet".
 */
export async function createService(action: ActionOf<'create-service'>, ctx: ApplyContext): Promise<StepResult> {
  const td = action.taskDefinitionArn ?? ctx.bound.taskDefinitionArn;
  const tg = action.targetGroupArn ?? ctx.bound.targetGroupArn;
  try {
    await ctx.clients.ecs.send(
      new CreateServiceCommand({
        cluster: ctx.config.clusterArn,
        serviceName: action.serviceName,
        taskDefinition: td,
        desiredCount: action.desiredCount,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: action.subnets, securityGroups: action.securityGroups, assignPublicIp: action.assignPublicIp } },
        loadBalancers: [{ targetGroupArn: tg, containerName: CONTAINER_NAME, containerPort: action.containerPort }],
        healthCheckGracePeriodSeconds: action.healthCheckGracePeriodSeconds,
        deploymentConfiguration: deploymentConfiguration(),
        propagateTags: 'SERVICE',
        enableECSManagedTags: true,
        clientToken: action.clientToken,
        tags: ecsTags(action.tags),
      }),
      ctx.sendOptions,
    );
  } catch (err) {
    // A create from before a crash (other parameters) or a DRAINING predecessor: not an error, just not yet.
    if (errorCode(err) === 'InvalidParameterException' && /idempotent|draining/i.test(String((err as Error).message))) {
      ctx.view.serviceChanged(action.serviceName);
      return { result: 'waiting', requeueAfterMs: BUSY_MS.serviceNotReady };
    }
    throw err;
  }
  ctx.memory.createdAt.set(action.serviceName, ctx.now());
  ctx.view.serviceChanged(action.serviceName);
  return 'created';
}

/** UpdateService with only the changed fields, then the spec-hash tag; a service not ACTIVE asks to be called again. */
export async function updateService(action: ActionOf<'update-service'>, ctx: ApplyContext): Promise<StepResult> {
  const name = serviceName(ctx.server);
  try {
    await ctx.clients.ecs.send(new UpdateServiceCommand(updateInput(action, ctx)), ctx.sendOptions);
  } catch (err) {
    if (errorCode(err) === 'ServiceNotActiveException') {
      ctx.view.serviceChanged(name);
      return { result: 'waiting', requeueAfterMs: BUSY_MS.serviceNotReady };
    }
    throw err;
  }
  // After the update, so a crash in between leaves a stale tag (re-tagged next pass), never a false drift report.
  await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: action.serviceArn, tags: ecsTags({ [TAG.specHash]: action.tagHash }) }), ctx.sendOptions);
  ctx.view.serviceChanged(name);
  return 'updated';
}

/** The UpdateService input: only the fields the plan changes, since a changed field may start a deployment. */
function updateInput(action: ActionOf<'update-service'>, ctx: ApplyContext): UpdateServiceCommandInput {
  const c = action.changes;
  const { bound } = ctx;
  const input: UpdateServiceCommandInput = { cluster: ctx.config.clusterArn, service: action.serviceArn };
  if (c.taskDefinition !== undefined) input.taskDefinition = c.taskDefinition === 'desired' ? bound.taskDefinitionArn : c.taskDefinition;
  if (c.desiredCount !== undefined) input.desiredCount = c.desiredCount;
  if (c.healthCheckGracePeriodSeconds !== undefined) input.healthCheckGracePeriodSeconds = c.healthCheckGracePeriodSeconds;
  if (c.loadBalancers !== undefined) input.loadBalancers = [{ targetGroupArn: c.loadBalancers.targetGroupArn ?? bound.targetGroupArn, containerName: CONTAINER_NAME, containerPort: c.loadBalancers.containerPort }];
  if (c.network !== undefined) input.networkConfiguration = { awsvpcConfiguration: { subnets: c.network.subnets, securityGroups: c.network.securityGroups, assignPublicIp: c.network.assignPublicIp } };
  if (c.circuitBreaker) input.deploymentConfiguration = deploymentConfiguration();
  return input;
}

/** TagResource on the service (spec hash, or the failed spec hash after a rollback). */
export async function tagService(action: ActionOf<'tag-service'>, ctx: ApplyContext): Promise<StepResult> {
  await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: action.serviceArn, tags: ecsTags(action.tags) }), ctx.sendOptions);
  ctx.view.serviceChanged(serviceName(ctx.server));
  return 'tagged';
}

/** UntagResource on the service. */
export async function untagService(action: ActionOf<'untag-service'>, ctx: ApplyContext): Promise<StepResult> {
  await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: action.serviceArn, tagKeys: action.tagKeys }), ctx.sendOptions);
  ctx.view.serviceChanged(serviceName(ctx.server));
  return 'untagged';
}

/** desiredCount 0 before the delete; a service already draining or gone counts as done. */
export async function scaleServiceToZero(action: ActionOf<'scale-service-to-zero'>, ctx: ApplyContext): Promise<StepResult> {
  try {
    await ctx.clients.ecs.send(new UpdateServiceCommand({ cluster: ctx.config.clusterArn, service: action.serviceArn, desiredCount: 0 }), ctx.sendOptions);
  } catch (err) {
    if (!isServiceGoneOrGoing(err)) throw err;
  }
  ctx.view.serviceChanged(serviceName(ctx.server));
  return 'updated';
}

/** DeleteService with force; a service already draining or gone counts as deleted. The plan waits for INACTIVE after. */
export async function deleteService(action: ActionOf<'delete-service'>, ctx: ApplyContext): Promise<StepResult> {
  try {
    await ctx.clients.ecs.send(new DeleteServiceCommand({ cluster: ctx.config.clusterArn, service: action.serviceArn, force: true }), ctx.sendOptions);
  } catch (err) {
    if (!isServiceGoneOrGoing(err)) throw err;
  }
  ctx.view.serviceChanged(serviceName(ctx.server));
  return 'deleted';
}

function isServiceGoneOrGoing(err: unknown): boolean {
  return errorCode(err) === 'ServiceNotActiveException' || errorCode(err) === 'ServiceNotFoundException';
}
