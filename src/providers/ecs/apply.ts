/**
 * Carries out an ECS plan one action at a time, through the SDK clients.
 * ARNs created earlier in the same plan (target group, task definition) are
 * bound as it goes. It stops and asks to be called again (`requeueAfterMs`)
 * when a step must wait on AWS: a service not visible yet or draining, a
 * target group still in use, a zone busy with a prior change, a load balancer
 * another worker filled since the plan was made. AWS errors are
 * rethrown as ProviderError with the AWS code and what Berth was doing.
 * Every write tells the {@link AwsView} what changed, so the next observation
 * never serves a listing older than the write.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type CreateTargetGroupCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { ProviderError, type ApplyOutcome, type Plan } from '../provider.ts';
import type { AwsView, EcsClients } from './aws-view.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { choosePriority, CONTAINER_NAME, serviceName, TAG } from './naming.ts';
import type { KeyedLock } from '../../kit/keyed-lock.ts';
import { ecsTags, elbTags } from './ownership.ts';
import { fullness, loadBalancerName, usageOf } from './quota.ts';
import type { EcsAction } from './types.ts';

/** What apply remembers across passes (per provider instance). */
export interface ApplyMemory {
  /** Service name → when this provider created it (MISSING right after means "not visible yet"). */
  createdAt: Map<string, number>;
  /** Server → last AWS error. */
  lastError: Map<string, { code: string; message: string; at: string }>;
}

/** Retry delays when AWS says "not now". */
const BUSY_MS = { targetGroupInUse: 5_000, zoneBusy: 2_000, serviceNotReady: 3_000, listenerFull: 1_000 } as const;
/** CreateRule attempts when priorities collide with another writer. */
const PRIORITY_ATTEMPTS = 5;

/** Carries out `plan`. */
export async function applyEcs(
  plan: Plan<EcsAction>,
  deps: { clients: EcsClients; view: AwsView; config: EcsEnvironmentConfig; memory: ApplyMemory; now: () => number; placementLock: KeyedLock },
  signal?: AbortSignal,
): Promise<ApplyOutcome<EcsAction>> {
  const { clients, view, config, memory } = deps;
  const done: ApplyOutcome<EcsAction>['done'] = [];
  const bound: { targetGroupArn?: string; taskDefinitionArn?: string } = {};
  const opts = signal !== undefined ? { abortSignal: signal } : {};

  for (const action of plan.actions) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('apply aborted');
    if (action.kind === 'wait') return { done, requeueAfterMs: action.waitMs };
    try {
      const result = await run(action);
      if (typeof result === 'object') {
        done.push({ action, result: result.result });
        return { done, requeueAfterMs: result.requeueAfterMs };
      }
      done.push({ action, result });
    } catch (err) {
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      memory.lastError.set(plan.server, { code, message, at: new Date(deps.now()).toISOString() });
      if (err instanceof ProviderError) throw err;
      throw new ProviderError(`${action.op} ${action.resource} for MCPServer "${plan.server}": ${code}: ${message}`, { code, retryable: true, cause: err });
    }
  }
  memory.lastError.delete(plan.server);
  return { done };

  /** CreateRule, moving to the next free priority when another writer took the chosen one. */
  async function createRule(action: Extract<EcsAction, { kind: 'create-rule' }>, tg: string | undefined): Promise<string> {
    const used = new Set(action.usedPriorities);
    let priority = action.priority;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await clients.elbv2.send(
          new CreateRuleCommand({
            ListenerArn: action.listenerArn,
            Priority: priority,
            Conditions: action.conditions,
            Actions: [{ Type: 'forward', TargetGroupArn: tg }],
            Tags: elbTags(action.tags),
          }),
          opts,
        );
        const created = out.Rules?.[0];
        if (created !== undefined) view.ruleCreated(action.listenerArn, created, action.tags);
        else {
          view.rulesChanged(action.listenerArn);
          view.targetGroupsChanged();
        }
        return priority === action.priority ? 'created' : `created at priority ${priority}`;
      } catch (err) {
        if (errorCode(err) !== 'PriorityInUseException' || attempt >= PRIORITY_ATTEMPTS) throw err;
        // Another writer took it: look at the listener again and take the next free one.
        used.add(priority);
        view.rulesChanged(action.listenerArn);
        for (const r of await view.rules(action.listenerArn)) used.add(r.priority);
        const next = choosePriority(plan.server, used);
        if (next === undefined) throw err;
        priority = next;
      }
    }
  }

  async function run(action: EcsAction): Promise<string | { result: string; requeueAfterMs: number }> {
    switch (action.kind) {
      case 'create-target-group': {
        const out = await clients.elbv2.send(new CreateTargetGroupCommand({ ...(action.input as unknown as CreateTargetGroupCommandInput), Tags: elbTags(action.tags) }), opts);
        view.targetGroupsChanged();
        bound.targetGroupArn = out.TargetGroups?.[0]?.TargetGroupArn;
        return 'created';
      }
      case 'set-target-group-attributes': {
        const arn = action.targetGroupArn ?? bound.targetGroupArn;
        if (arn === undefined) throw new ProviderError(`no target group ARN to set attributes on for "${plan.server}"`, { code: 'internal' });
        await clients.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(action.deregistrationDelaySeconds) }] }), opts);
        await clients.elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: elbTags({ [TAG.attributes]: action.marker }) }), opts);
        view.targetGroupsChanged(arn);
        return 'updated';
      }
      case 'modify-target-group': {
        if (action.op !== 'tag') {
          const h = action.healthCheck;
          await clients.elbv2.send(
            new ModifyTargetGroupCommand({
              TargetGroupArn: action.targetGroupArn,
              HealthCheckPath: h.path,
              HealthCheckIntervalSeconds: h.intervalSeconds,
              HealthCheckTimeoutSeconds: h.timeoutSeconds,
              HealthyThresholdCount: h.healthyThreshold,
              UnhealthyThresholdCount: h.unhealthyThreshold,
              Matcher: { HttpCode: h.matcher },
            }),
            opts,
          );
        }
        await clients.elbv2.send(new AddTagsCommand({ ResourceArns: [action.targetGroupArn], Tags: elbTags({ [TAG.specHash]: action.tagHash }) }), opts);
        view.targetGroupsChanged(action.targetGroupArn);
        return action.op === 'tag' ? 'tagged' : 'updated';
      }
      case 'create-rule': {
        const tg = action.targetGroupArn ?? bound.targetGroupArn;
        const listener = config.listeners.find((l) => l.arn === action.listenerArn);
        // Workers placing other servers plan from the same listing: recheck the room and create under one
        // lock per load balancer, so the last slot goes to one server and the others re-plan (Berth's
        // QuotaExceeded, or another listener) instead of AWS answering TooManyRules.
        return deps.placementLock.run(listener?.loadBalancerArn ?? action.listenerArn, async () => {
          if (listener !== undefined) {
            const sameLb = config.listeners.filter((l) => l.loadBalancerArn === listener.loadBalancerArn);
            const rulesByListener = Object.fromEntries(await Promise.all(sameLb.map(async (l) => [l.arn, await view.rules(l.arn)] as const)));
            const full = fullness(usageOf(listener, config.listeners, rulesByListener), tg);
            if (full !== undefined) return { result: `not created: load balancer ${loadBalancerName(listener)} now has ${full}; placing it again`, requeueAfterMs: BUSY_MS.listenerFull };
          }
          return createRule(action, tg);
        });
      }
      case 'modify-rule': {
        const tg = action.targetGroupArn ?? bound.targetGroupArn;
        if (action.op !== 'tag') {
          await clients.elbv2.send(new ModifyRuleCommand({ RuleArn: action.ruleArn, Conditions: action.conditions, Actions: [{ Type: 'forward', TargetGroupArn: tg }] }), opts);
        }
        await clients.elbv2.send(new AddTagsCommand({ ResourceArns: [action.ruleArn], Tags: elbTags({ [TAG.specHash]: action.tagHash }) }), opts);
        invalidateRule(action.ruleArn);
        return action.op === 'tag' ? 'tagged' : 'updated';
      }
      case 'delete-rule': {
        try {
          await clients.elbv2.send(new DeleteRuleCommand({ RuleArn: action.ruleArn }), opts);
        } catch (err) {
          if (errorCode(err) !== 'RuleNotFoundException') throw err;
        }
        invalidateRule(action.ruleArn);
        view.targetGroupsChanged();
        return 'deleted';
      }
      case 'register-task-definition': {
        const out = await clients.ecs.send(new RegisterTaskDefinitionCommand({ ...action.input, tags: ecsTags(action.tags) }), opts);
        const td = out.taskDefinition;
        if (td?.taskDefinitionArn === undefined) throw new ProviderError('RegisterTaskDefinition returned no ARN', { code: 'internal' });
        bound.taskDefinitionArn = td.taskDefinitionArn;
        view.rememberTaskDefinition({
          arn: td.taskDefinitionArn,
          family: td.family ?? '',
          revision: td.revision ?? 0,
          status: td.status ?? 'ACTIVE',
          tags: action.tags,
          ...(td.containerDefinitions?.[0]?.image !== undefined ? { image: td.containerDefinitions[0].image } : {}),
        });
        return `registered revision ${td.revision}`;
      }
      case 'create-service': {
        const td = action.taskDefinitionArn ?? bound.taskDefinitionArn;
        const tg = action.targetGroupArn ?? bound.targetGroupArn;
        try {
          await clients.ecs.send(
            new CreateServiceCommand({
              cluster: config.clusterArn,
              serviceName: action.serviceName,
              taskDefinition: td,
              desiredCount: action.desiredCount,
              launchType: 'FARGATE',
              networkConfiguration: { awsvpcConfiguration: { subnets: action.subnets, securityGroups: action.securityGroups, assignPublicIp: action.assignPublicIp } },
              loadBalancers: [{ targetGroupArn: tg, containerName: CONTAINER_NAME, containerPort: action.containerPort }],
              healthCheckGracePeriodSeconds: action.healthCheckGracePeriodSeconds,
              deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
              propagateTags: 'SERVICE',
              enableECSManagedTags: true,
              clientToken: action.clientToken,
              tags: ecsTags(action.tags),
            }),
            opts,
          );
        } catch (err) {
          // A create from before a crash (other parameters) or a DRAINING predecessor: not an error, just not yet.
          if (errorCode(err) === 'InvalidParameterException' && /idempotent|draining/i.test(String((err as Error).message))) {
            view.serviceChanged(action.serviceName);
            return { result: 'waiting', requeueAfterMs: BUSY_MS.serviceNotReady };
          }
          throw err;
        }
        memory.createdAt.set(action.serviceName, deps.now());
        view.serviceChanged(action.serviceName);
        return 'created';
      }
      case 'update-service': {
        const c = action.changes;
        const input: UpdateServiceCommandInput = { cluster: config.clusterArn, service: action.serviceArn };
        if (c.taskDefinition !== undefined) input.taskDefinition = c.taskDefinition === 'desired' ? bound.taskDefinitionArn : c.taskDefinition;
        if (c.desiredCount !== undefined) input.desiredCount = c.desiredCount;
        if (c.healthCheckGracePeriodSeconds !== undefined) input.healthCheckGracePeriodSeconds = c.healthCheckGracePeriodSeconds;
        if (c.loadBalancers !== undefined) input.loadBalancers = [{ targetGroupArn: c.loadBalancers.targetGroupArn ?? bound.targetGroupArn, containerName: CONTAINER_NAME, containerPort: c.loadBalancers.containerPort }];
        if (c.network !== undefined) input.networkConfiguration = { awsvpcConfiguration: { subnets: c.network.subnets, securityGroups: c.network.securityGroups, assignPublicIp: c.network.assignPublicIp } };
        if (c.circuitBreaker) input.deploymentConfiguration = { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 };
        const name = serviceName(plan.server);
        try {
          await clients.ecs.send(new UpdateServiceCommand(input), opts);
        } catch (err) {
          if (errorCode(err) === 'ServiceNotActiveException') {
            view.serviceChanged(name);
            return { result: 'waiting', requeueAfterMs: BUSY_MS.serviceNotReady };
          }
          throw err;
        }
        // After the update, so a crash in between leaves a stale tag (re-tagged next pass), never a false drift report.
        await clients.ecs.send(new TagResourceCommand({ resourceArn: action.serviceArn, tags: ecsTags({ [TAG.specHash]: action.tagHash }) }), opts);
        view.serviceChanged(name);
        return 'updated';
      }
      case 'tag-service': {
        await clients.ecs.send(new TagResourceCommand({ resourceArn: action.serviceArn, tags: ecsTags(action.tags) }), opts);
        view.serviceChanged(serviceName(plan.server));
        return 'tagged';
      }
      case 'untag-service': {
        await clients.ecs.send(new UntagResourceCommand({ resourceArn: action.serviceArn, tagKeys: action.tagKeys }), opts);
        view.serviceChanged(serviceName(plan.server));
        return 'untagged';
      }
      case 'scale-service-to-zero': {
        try {
          await clients.ecs.send(new UpdateServiceCommand({ cluster: config.clusterArn, service: action.serviceArn, desiredCount: 0 }), opts);
        } catch (err) {
          if (errorCode(err) !== 'ServiceNotActiveException' && errorCode(err) !== 'ServiceNotFoundException') throw err;
        }
        view.serviceChanged(serviceName(plan.server));
        return 'updated';
      }
      case 'delete-service': {
        try {
          await clients.ecs.send(new DeleteServiceCommand({ cluster: config.clusterArn, service: action.serviceArn, force: true }), opts);
        } catch (err) {
          if (errorCode(err) !== 'ServiceNotActiveException' && errorCode(err) !== 'ServiceNotFoundException') throw err;
        }
        view.serviceChanged(serviceName(plan.server));
        return 'deleted';
      }
      case 'delete-target-group': {
        try {
          await clients.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: action.targetGroupArn }), opts);
        } catch (err) {
          if (errorCode(err) === 'ResourceInUseException') return { result: 'in use; retrying later', requeueAfterMs: BUSY_MS.targetGroupInUse };
          throw err;
        }
        view.targetGroupsChanged(action.targetGroupArn);
        return 'deleted';
      }
      case 'deregister-task-definition': {
        const out = await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: action.taskDefinitionArn }), opts);
        const td = out.taskDefinition;
        view.rememberTaskDefinition({
          arn: action.taskDefinitionArn,
          family: td?.family ?? '',
          revision: td?.revision ?? 0,
          status: td?.status ?? 'INACTIVE',
          tags: {},
        });
        return 'deregistered';
      }
      case 'change-dns': {
        try {
          await clients.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: action.hostedZoneId,
              ChangeBatch: { Comment: `berth: ${action.op} ${plan.server}`, Changes: action.changes.map((c) => ({ Action: c.action, ResourceRecordSet: c.record })) },
            }),
            opts,
          );
        } catch (err) {
          const code = errorCode(err);
          view.recordsChanged();
          if (code === 'PriorRequestNotComplete') return { result: 'zone busy; retrying later', requeueAfterMs: BUSY_MS.zoneBusy };
          throw err;
        }
        view.recordsChanged();
        return action.op === 'create' ? 'created' : action.op === 'delete' ? 'deleted' : 'updated';
      }
      case 'wait':
        return 'waiting';
    }
  }

  function invalidateRule(ruleArn: string): void {
    for (const l of config.listeners) if (ruleArn.includes(l.arn.split(':listener/')[1] ?? '\u0000')) view.rulesChanged(l.arn, ruleArn);
  }
}

/** The AWS error code of an SDK exception (its `name`), or a generic one. */
export function errorCode(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e?.Code === 'string') return e.Code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e?.code === 'string') return e.code;
  return 'UnknownError';
}
