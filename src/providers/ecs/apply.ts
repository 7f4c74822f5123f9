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
 *
 * The steps themselves live per resource: apply-target-group.ts,
 * apply-listener-rule.ts, apply-task-definition.ts, apply-service.ts, apply-dns.ts.
 */
import { ProviderError, type ApplyOutcome, type Plan } from '../provider.ts';
import type { ApplyContext, ApplyDeps, StepResult } from './apply-context.ts';
import { changeDns } from './apply-dns.ts';
import { createListenerRule, deleteListenerRule, modifyListenerRule, setRulePriorities } from './apply-listener-rule.ts';
import { createService, deleteService, scaleServiceToZero, tagService, untagService, updateService } from './apply-service.ts';
import { deregisterTaskDefinition, registerTaskDefinition } from './apply-task-definition.ts';
import { createTargetGroup, deleteTargetGroup, modifyTargetGroup, setTargetGroupAttributes } from './apply-target-group.ts';
import { errorCode } from './aws-error.ts';
import type { EcsAction } from './types.ts';


/**
 * Carries out `plan` in order. Returns at the first `wait` action or step that
 * must wait on AWS, with `requeueAfterMs`; otherwise after the last action.
 * Records the server's last AWS error in `deps.memory` (cleared by a full run)
 * and throws it as a {@link ProviderError}: terminal for AWS's `ValidationError`
 * (the request breaks one of AWS's limits and fails the same way until the
 * manifest changes), retryable otherwise; an abort throws the signal's reason.
 */
export async function applyEcs(plan: Plan<EcsAction>, deps: ApplyDeps, signal?: AbortSignal): Promise<ApplyOutcome<EcsAction>> {
  const ctx: ApplyContext = { ...deps, server: plan.server, sendOptions: signal !== undefined ? { abortSignal: signal } : {}, bound: {} };
  const done: ApplyOutcome<EcsAction>['done'] = [];
  for (const action of plan.actions) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('apply aborted');
    if (action.kind === 'wait') return { done, requeueAfterMs: action.waitMs };
    try {
      const result = await runStep(action, ctx);
      if (typeof result === 'object') {
        done.push({ action, result: result.result });
        return { done, requeueAfterMs: result.requeueAfterMs };
      }
      done.push({ action, result });
    } catch (err) {
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      deps.memory.lastError.set(plan.server, { code, message, at: new Date(deps.now()).toISOString() });
      if (err instanceof ProviderError) throw err;
      const terminal = TERMINAL_AWS_CODES.has(code);
      const fix = terminal ? '; AWS refuses this request as it stands, so Berth will not retry it until the manifest changes: fix spec (see `berth validate`)' : '';
      throw new ProviderError(`${action.op} ${action.resource} for MCPServer "${plan.server}": ${code}: ${message}${fix}`, { code, retryable: !terminal, cause: err });
    }
  }
  // Kept (status shows the last AWS error with its time), marked resolved once.
  const last = deps.memory.lastError.get(plan.server);
  if (last !== undefined && last.resolvedAt === undefined) deps.memory.lastError.set(plan.server, { ...last, resolvedAt: new Date(deps.now()).toISOString() });
  return { done };
}

/**
 * AWS error codes retrying can't fix: the request itself breaks a limit (a
 * condition value over 128 characters, too many condition values, a name too
 * long). ECS's `InvalidParameterException` is not among them: ECS also answers it
 * for passing states (a service still draining), which the steps handle.
 */
const TERMINAL_AWS_CODES: ReadonlySet<string> = new Set(['ValidationError']);

/** The step that carries out `action`. */
async function runStep(action: EcsAction, ctx: ApplyContext): Promise<StepResult> {
  switch (action.kind) {
    case 'create-target-group':
      return createTargetGroup(action, ctx);
    case 'set-target-group-attributes':
      return setTargetGroupAttributes(action, ctx);
    case 'modify-target-group':
      return modifyTargetGroup(action, ctx);
    case 'create-rule':
      return createListenerRule(action, ctx);
    case 'modify-rule':
      return modifyListenerRule(action, ctx);
    case 'delete-rule':
      return deleteListenerRule(action, ctx);
    case 'set-rule-priorities':
      return setRulePriorities(action, ctx);
    case 'register-task-definition':
      return registerTaskDefinition(action, ctx);
    case 'create-service':
      return createService(action, ctx);
    case 'update-service':
      return updateService(action, ctx);
    case 'tag-service':
      return tagService(action, ctx);
    case 'untag-service':
      return untagService(action, ctx);
    case 'scale-service-to-zero':
      return scaleServiceToZero(action, ctx);
    case 'delete-service':
      return deleteService(action, ctx);
    case 'delete-target-group':
      return deleteTargetGroup(action, ctx);
    case 'deregister-task-definition':
      return deregisterTaskDefinition(action, ctx);
    case 'change-dns':
      return changeDns(action, ctx);
    case 'wait':
      return 'waiting';
  }
}
