/**
 * AWS's per-load-balancer quotas (100 rules, 100 unique target groups per ALB;
 * not adjustable) and where a new rule may go. Pure. A load balancer's quota is
 * shared by all of its listeners, so usage is counted per load balancer over
 * the configured listeners. Used twice: by the analysis, to choose a listener
 * (or report QuotaExceeded) before anything is written, and by apply, right
 * before CreateRule, to recheck against what other workers created meanwhile.
 */
import type { ListenerConfig } from './config.ts';
import type { ObservedRule } from './types.ts';

/**
 * Rules per Application Load Balancer, default rules excluded: AWS's default
 * quota, used unless the environment config says `rulesPerLoadBalancer`.
 */
export const RULES_PER_LOAD_BALANCER = 100;
/** Unique target groups per Application Load Balancer (AWS quota, not adjustable). */
export const TARGET_GROUPS_PER_LOAD_BALANCER = 100;

/** What the configured listeners of one load balancer use. */
export interface LoadBalancerUsage {
  loadBalancerArn: string;
  rules: number;
  targetGroups: ReadonlySet<string>;
}

type RulesByListener = Readonly<Record<string, readonly ObservedRule[]>>;

/** Usage of the load balancer behind `listener`, summed over every configured listener on it. */
export function usageOf(listener: ListenerConfig, listeners: readonly ListenerConfig[], rulesByListener: RulesByListener): LoadBalancerUsage {
  let rules = 0;
  const targetGroups = new Set<string>();
  for (const l of listeners) {
    if (l.loadBalancerArn !== listener.loadBalancerArn) continue;
    for (const rule of rulesByListener[l.arn] ?? []) {
      rules += 1;
      for (const g of rule.targetGroupArns) targetGroups.add(g);
    }
  }
  return { loadBalancerArn: listener.loadBalancerArn, rules, targetGroups };
}

/**
 * Whether one more rule forwarding to `targetGroupArn` (undefined: a group not on
 * any load balancer yet) fits. Undefined when it does; otherwise what is full.
 */
export function fullness(usage: LoadBalancerUsage, targetGroupArn?: string, rulesLimit = RULES_PER_LOAD_BALANCER): string | undefined {
  const addsGroup = targetGroupArn === undefined || !usage.targetGroups.has(targetGroupArn);
  const full: string[] = [];
  if (usage.rules >= rulesLimit) full.push(`${usage.rules}/${rulesLimit} rules`);
  if (addsGroup && usage.targetGroups.size >= TARGET_GROUPS_PER_LOAD_BALANCER) full.push(`${usage.targetGroups.size}/${TARGET_GROUPS_PER_LOAD_BALANCER} target groups`);
  return full.length === 0 ? undefined : full.join(' and ');
}

/**
 * The first listener (config order) whose load balancer has room for one more
 * rule and target group; otherwise a message naming every listener, what it
 * uses, the limits and the fix. First-fit in config order keeps placement
 * deterministic: two reconcilers, or one restarted, choose alike.
 */
export function chooseListener(
  listeners: readonly ListenerConfig[],
  rulesByListener: RulesByListener,
  environment: string,
  targetGroupArn?: string,
  rulesLimit = RULES_PER_LOAD_BALANCER,
): { listener: ListenerConfig; problem?: undefined } | { listener?: undefined; problem: string } {
  const full: string[] = [];
  for (const l of listeners) {
    const why = fullness(usageOf(l, listeners, rulesByListener), targetGroupArn, rulesLimit);
    if (why === undefined) return { listener: l };
    full.push(`listener ${listenerLabel(l)} (load balancer ${loadBalancerName(l)}) has ${why}`);
  }
  return {
    problem:
      `no configured listener has room for this server's rule: ${full.join('; ')}. AWS allows ${rulesLimit} rules (rulesPerLoadBalancer) and ${TARGET_GROUPS_PER_LOAD_BALANCER} target groups per load balancer; ` +
      `add a listener on another ALB to environments.${environment}.listeners in the environment config (servers already placed stay where they are)`,
  };
}

/** `app/<lb>/<lb-id>/<listener-id>` of a listener ARN: short, and still unique. */
export function listenerLabel(l: ListenerConfig): string {
  return l.arn.slice(l.arn.indexOf(':listener/') + ':listener/'.length);
}

/** The load balancer's name, from `…:loadbalancer/app/<name>/<id>`. */
export function loadBalancerName(l: ListenerConfig): string {
  return l.loadBalancerArn.split('/').slice(-2, -1)[0] ?? l.loadBalancerArn;
}
