/**
 * Apply steps for the server's listener rule: place it on a load balancer
 * with room (one placement at a time per load balancer), rewrite its routing,
 * delete it.
 */
import { AddTagsCommand, CreateRuleCommand, DeleteRuleCommand, ModifyRuleCommand, SetRulePrioritiesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BUSY_MS, type ActionOf, type ApplyContext, type StepResult } from './apply-context.ts';
import { errorCode } from './aws-error.ts';
import { TAG } from './naming.ts';
import { elbTags } from './ownership.ts';
import { fullness, loadBalancerName, usageOf } from './quota.ts';
import { choosePriorityInBand } from './rule-order.ts';

/** CreateRule attempts when priorities collide with another writer. */
const PRIORITY_ATTEMPTS = 5;

/**
 * Creates the rule forwarding to the planned (or bound) target group, unless
 * the load balancer filled up since the plan was made: then nothing is written
 * and the outcome asks for a new plan soon.
 */
export async function createListenerRule(action: ActionOf<'create-rule'>, ctx: ApplyContext): Promise<StepResult> {
  const tg = action.targetGroupArn ?? ctx.bound.targetGroupArn;
  const listener = ctx.config.listeners.find((l) => l.arn === action.listenerArn);
  // Workers placing other servers plan from the same listing: recheck the room and create under one
  // lock per load balancer, so the last slot goes to one server and the others re-plan (Berth's
  // QuotaExceeded, or another listener) instead of AWS answering TooManyRules.
  return ctx.placementLock.run(listener?.loadBalancerArn ?? action.listenerArn, async () => {
    const taken: number[] = [];
    if (listener !== undefined) {
      const sameLb = ctx.config.listeners.filter((l) => l.loadBalancerArn === listener.loadBalancerArn);
      const rulesByListener = Object.fromEntries(await Promise.all(sameLb.map(async (l) => [l.arn, await ctx.view.rules(l.arn)] as const)));
      const full = fullness(usageOf(listener, ctx.config.listeners, rulesByListener), tg, ctx.config.rulesPerLoadBalancer);
      if (full !== undefined) return { result: `not created: load balancer ${loadBalancerName(listener)} now has ${full}; placing it again`, requeueAfterMs: BUSY_MS.listenerFull };
      // Servers of one band share its slots: skip those other workers took since the plan was made.
      for (const rule of rulesByListener[action.listenerArn] ?? []) taken.push(rule.priority);
    }
    return createAtFreePriority(action, tg, ctx, taken);
  });
}

/** CreateRule, moving to the next free priority of the same band when another writer took the chosen one. */
async function createAtFreePriority(action: ActionOf<'create-rule'>, tg: string | undefined, ctx: ApplyContext, taken: readonly number[]): Promise<string> {
  const { view } = ctx;
  const used = new Set([...action.usedPriorities, ...taken]);
  let priority = used.has(action.priority) ? (choosePriorityInBand(ctx.server, action.band, used) ?? action.priority) : action.priority;
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await ctx.clients.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: action.listenerArn,
          Priority: priority,
          Conditions: action.conditions,
          Actions: [{ Type: 'forward', TargetGroupArn: tg }],
          Tags: elbTags(action.tags),
        }),
        ctx.sendOptions,
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
      const next = choosePriorityInBand(ctx.server, action.band, used);
      if (next === undefined) throw err;
      priority = next;
    }
  }
}

/**
 * Moves rules into their priority bands in one SetRulePriorities call: AWS
 * applies the list atomically, so no request ever sees half of the moves.
 */
export async function setRulePriorities(action: ActionOf<'set-rule-priorities'>, ctx: ApplyContext): Promise<StepResult> {
  await ctx.clients.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: action.moves.map((m) => ({ RuleArn: m.ruleArn, Priority: m.priority })) }), ctx.sendOptions);
  ctx.view.rulesChanged(action.listenerArn);
  return `moved ${action.moves.length} rule(s)`;
}

/** Rewrites the rule's conditions and forward (unless the action only tags), then its spec-hash tag. */
export async function modifyListenerRule(action: ActionOf<'modify-rule'>, ctx: ApplyContext): Promise<StepResult> {
  const tg = action.targetGroupArn ?? ctx.bound.targetGroupArn;
  if (action.op !== 'tag') {
    await ctx.clients.elbv2.send(new ModifyRuleCommand({ RuleArn: action.ruleArn, Conditions: action.conditions, Actions: [{ Type: 'forward', TargetGroupArn: tg }] }), ctx.sendOptions);
  }
  await ctx.clients.elbv2.send(new AddTagsCommand({ ResourceArns: [action.ruleArn], Tags: elbTags({ [TAG.specHash]: action.tagHash }) }), ctx.sendOptions);
  invalidateRule(action.ruleArn, ctx);
  return action.op === 'tag' ? 'tagged' : 'updated';
}

/** DeleteRule; a rule already gone counts as deleted. */
export async function deleteListenerRule(action: ActionOf<'delete-rule'>, ctx: ApplyContext): Promise<StepResult> {
  try {
    await ctx.clients.elbv2.send(new DeleteRuleCommand({ RuleArn: action.ruleArn }), ctx.sendOptions);
  } catch (err) {
    if (errorCode(err) !== 'RuleNotFoundException') throw err;
  }
  invalidateRule(action.ruleArn, ctx);
  ctx.view.targetGroupsChanged();
  return 'deleted';
}

/** Tells the view the listener holding `ruleArn` changed; a rule ARN names its listener's id. */
function invalidateRule(ruleArn: string, ctx: ApplyContext): void {
  for (const l of ctx.config.listeners) if (ruleArn.includes(l.arn.split(':listener/')[1] ?? '\u0000')) ctx.view.rulesChanged(l.arn, ruleArn);
}
