/** Deploy plan for the server's listener rule: create it at a free priority, or rewrite its routing, and remove duplicates. */
import type { DeployAnalysis } from './analyse.ts';
import { choosePriority, TAG } from './naming.ts';
import { creationTags } from './ownership.ts';
import { shortArn, type PlanSection } from './plan-section.ts';
import { canonicalConditions } from './render.ts';
import type { EcsAction } from './types.ts';

/**
 * The rule's actions, then deletes of duplicate rules Berth owns (CreateRule is
 * not idempotent). Halts, with nothing planned, when no listener has room or no
 * priority is free: a service nothing routes to must not be created. Pure.
 */
export function planListenerRule(a: DeployAnalysis): PlanSection {
  if (a.listener === undefined) return { actions: [], halt: true };
  const { r } = a;
  const tgArn = a.targetGroup?.arn;
  const out: EcsAction[] = [];
  if (a.rule === undefined) {
    const priority = choosePriority(r.name, new Set(a.usedPriorities));
    if (priority === undefined) return { actions: [], halt: true };
    out.push({
      kind: 'create-rule',
      op: 'create',
      resource: `listener rule for ${r.host ?? ''}${r.path}`,
      reason: `route ${r.host ?? ''}${r.path} to ${r.targetGroup.name} (priority ${priority} on ${shortArn(a.listener.arn)})`,
      listenerArn: a.listener.arn,
      priority,
      conditions: r.ruleConditions,
      ...(tgArn !== undefined ? { targetGroupArn: tgArn } : {}),
      tags: creationTags(a.owner, r.ruleHash, r.extraTags),
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
  return { actions: out, halt: false };
}
