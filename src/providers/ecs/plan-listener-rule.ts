/**
 * Deploy plan for the server's listener rule: move rules written before
 * priority bands into their bands, create the rule at a free priority of its
 * band (or rewrite its routing), and remove duplicates. See rule-order.ts for
 * why a rule placed in its band is at once correctly ordered.
 */
import type { DeployAnalysis } from './analyse.ts';
import { TAG } from './naming.ts';
import { creationTags } from './ownership.ts';
import { shortArn, type PlanSection } from './plan-section.ts';
import { canonicalConditions } from './render.ts';
import type { EcsAction } from './types.ts';

/**
 * The rule's actions, then deletes of duplicate rules Berth owns (CreateRule is
 * not idempotent). Halts, with nothing planned, when no listener has room or no
 * priority is free: a service nothing routes to must not be created. Pure.
 *
 * A routing change that moves the rule to another band creates the new rule
 * first and deletes the old one after, so there is no moment at which the old
 * route's rule sits at a priority wrong for its conditions.
 */
export function planListenerRule(a: DeployAnalysis): PlanSection {
  if (a.listener === undefined) return { actions: [], halt: true };
  const { r } = a;
  const tgArn = a.targetGroup?.arn;
  const out: EcsAction[] = [];
  if (a.ruleMoves.length > 0) {
    out.push({
      kind: 'set-rule-priorities',
      op: 'update',
      resource: `listener rule priorities on ${shortArn(a.listener.arn)}`,
      reason: `order rules by specificity: ${a.ruleMoves.map((m) => `${m.server} ${m.from} → ${m.to}`).join(', ')}`,
      listenerArn: a.listener.arn,
      moves: a.ruleMoves.map((m) => ({ ruleArn: m.ruleArn, priority: m.to })),
    });
  }
  if (a.rule === undefined || a.replaceRule) {
    const priority = a.newRulePriority;
    if (priority === undefined) return { actions: [], halt: true };
    out.push({
      kind: 'create-rule',
      op: 'create',
      resource: `listener rule for ${r.host ?? ''}${r.path}`,
      reason: `route ${r.host ?? ''}${r.path} to ${r.targetGroup.name} (priority ${priority} on ${shortArn(a.listener.arn)})`,
      listenerArn: a.listener.arn,
      priority,
      band: a.band,
      conditions: r.ruleConditions,
      ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
      tags: creationTags(a.owner, r.ruleHash, r.extraTags),
      usedPriorities: [...a.usedPriorities, ...a.ruleMoves.map((m) => m.to)],
    });
    if (a.rule !== undefined) {
      out.push({ kind: 'delete-rule', op: 'delete', resource: `listener rule ${shortArn(a.rule.arn)}`, reason: `routing changed: ${a.rule.conditionsKey} → ${canonicalConditions(r.ruleConditions)} (replaced by the rule created above)`, ruleArn: a.rule.arn });
    }
  } else {
    const rule = a.rule;
    const forwardsRight = tgArn !== undefined && rule.targetGroupArns.length === 1 && rule.targetGroupArns[0] === tgArn;
    const conditionsRight = rule.conditionsKey === canonicalConditions(r.ruleConditions);
    if (!forwardsRight || !conditionsRight) {
      const drifted = rule.tags[TAG.specHash] === r.ruleHash;
      out.push({
        kind: 'modify-rule',
        op: 'update',
        resource: `listener rule ${shortArn(rule.arn)}`,
        reason: !conditionsRight
          ? `${drifted ? 'conditions changed outside Berth' : 'routing changed'}: ${rule.conditionsKey} → ${canonicalConditions(r.ruleConditions)}`
          : `forward to ${r.targetGroup.name}`,
        ruleArn: rule.arn,
        conditions: r.ruleConditions,
        ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
        tagHash: r.ruleHash,
      });
    } else if (rule.tags[TAG.specHash] !== r.ruleHash) {
      out.push({ kind: 'modify-rule', op: 'tag', resource: `listener rule ${shortArn(rule.arn)}`, reason: 'record the applied conditions in berth:spec-hash', ruleArn: rule.arn, conditions: r.ruleConditions, ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}), tagHash: r.ruleHash });
    }
  }
  for (const dup of a.duplicateRules) {
    out.push({ kind: 'delete-rule', op: 'delete', resource: `listener rule ${shortArn(dup.arn)}`, reason: `duplicate of the rule Berth keeps for ${r.name} (priority ${dup.priority})`, ruleArn: dup.arn });
  }
  return { actions: out, halt: false };
}
