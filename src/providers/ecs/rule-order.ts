/**
 * Listener rule priorities by specificity, and overlaps between rules. Pure.
 *
 * An ALB evaluates a listener's rules lowest priority first and the first rule
 * whose conditions all hold wins. Berth's rule for a route `P` (optional host
 * `H`) matches `P` and `P/*`, so a rule for `/mcp/nest` also matches
 * `/mcp/nest/deep/…`: the rule for the deeper path must come first. Berth
 * orders its rules by **specificity** = 2 × path length + (1 if it has a host):
 * - if two of Berth's rules overlap with different paths, one path is an
 *   ancestor of the other, hence strictly shorter, so the deeper one is more
 *   specific (a longer path beats a host, as the gateway matches the path first);
 * - with the same path, a host rule beats a rule for every host (the route
 *   rule, `routeCollision`, refuses every other same-path pair).
 * Each specificity has its own band of {@link BAND_WIDTH} priorities, more
 * specific bands first. Two of Berth's rules in one band never overlap, so a
 * new rule goes in any free slot of its band and is at once correctly ordered
 * against every other rule of Berth's: no renumbering, no window in which
 * traffic goes to the wrong service. A band (198 slots) can't fill, since a
 * load balancer holds at most 100 rules. Rules written before bands (hash
 * priorities) are moved into their bands in one atomic SetRulePriorities.
 *
 * Overlap is decided on the conditions as AWS matches them (path patterns
 * case-sensitive, hosts case-insensitive, `*` and `?` wildcards), which also
 * serves foreign rules: see {@link foreignRuleProblem}.
 */
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { shortHash } from './naming.ts';

/** Highest listener rule priority AWS accepts. */
export const MAX_PRIORITY = 50_000;
/** Longest condition value AWS accepts (path pattern or host). */
export const MAX_CONDITION_VALUE = 128;
/** Longest routing.path whose pattern `<path>/*` still fits {@link MAX_CONDITION_VALUE}. */
export const MAX_ROUTE_PATH = MAX_CONDITION_VALUE - 2;
const MAX_SPECIFICITY = 2 * MAX_ROUTE_PATH + 1;
const BANDS = MAX_SPECIFICITY - 1; // specificities 2 … MAX_SPECIFICITY
/** Priorities per specificity band: 198, more than the 100 rules a load balancer can hold. */
export const BAND_WIDTH = Math.floor(MAX_PRIORITY / BANDS);

/** A band of priorities, both ends included. */
export interface PriorityBand {
  first: number;
  last: number;
}

/**
 * How specific a route is: 2 × path length (capped at {@link MAX_ROUTE_PATH}) + 1 with a host.
 * @example specificity('/mcp/nest/deep', undefined) > specificity('/mcp/nest', 'a.example.com') // true
 */
export function specificity(path: string, host: string | undefined): number {
  return 2 * Math.min(Math.max(path.length, 1), MAX_ROUTE_PATH) + (host !== undefined ? 1 : 0);
}

/**
 * The priorities a route's rule may take: more specific routes get lower numbers.
 * @example bandOf('/mcp/a', undefined) // { first: 47719, last: 47916 }
 */
export function bandOf(path: string, host: string | undefined): PriorityBand {
  const index = MAX_SPECIFICITY - specificity(path, host);
  const first = index * BAND_WIDTH + 1;
  return { first, last: first + BAND_WIDTH - 1 };
}

/** True when `priority` lies in `band`. */
export function inBand(priority: number, band: PriorityBand): boolean {
  return priority >= band.first && priority <= band.last;
}

/**
 * The first free priority of `band`, probing from an offset hashed from the
 * server's name (wrapping inside the band): two reconcilers choose alike, and
 * servers placed at the same time rarely race for one slot. Undefined when the
 * band is full (it can't be while a load balancer holds at most 100 rules).
 */
export function choosePriorityInBand(server: string, band: PriorityBand, used: ReadonlySet<number>): number | undefined {
  const width = band.last - band.first + 1;
  const start = parseInt(shortHash('priority', server).slice(0, 8), 16) % width;
  for (let i = 0; i < width; i++) {
    const p = band.first + ((start + i) % width);
    if (!used.has(p)) return p;
  }
  return undefined;
}

/**
 * The route a rule in Berth's shape stands for (`[P, P/*]` or `['/*']`, plus an
 * optional host), read back from observed conditions; undefined when the
 * conditions aren't in that shape.
 */
export function routeOfConditions(conditions: readonly RuleCondition[]): { path: string; host?: string } | undefined {
  const paths = valuesOf(conditions, 'path-pattern');
  const hosts = valuesOf(conditions, 'host-header');
  if (paths === undefined || (hosts !== undefined && hosts.length !== 1)) return undefined;
  const path = paths.length === 1 && paths[0] === '/*' ? '/' : paths.find((p) => !p.endsWith('/*'));
  if (path === undefined) return undefined;
  return { path, ...(hosts !== undefined ? { host: hosts[0]!.toLowerCase() } : {}) };
}

/** The values of a condition field (either shape DescribeRules returns), undefined when the rule has no such condition. */
export function valuesOf(conditions: readonly RuleCondition[], field: 'path-pattern' | 'host-header'): string[] | undefined {
  const c = conditions.find((x) => x.Field === field);
  if (c === undefined) return undefined;
  return field === 'path-pattern' ? (c.PathPatternConfig?.Values ?? c.Values ?? []) : (c.HostHeaderConfig?.Values ?? c.Values ?? []);
}

/**
 * True when some request could match both rules. Path patterns compare with
 * case, hosts without; a field only one rule tests doesn't separate them, nor do
 * fields other than path and host (counted as overlapping: deny by default).
 */
export function conditionsOverlap(a: readonly RuleCondition[], b: readonly RuleCondition[]): boolean {
  for (const field of ['path-pattern', 'host-header'] as const) {
    const va = valuesOf(a, field);
    const vb = valuesOf(b, field);
    if (va === undefined || vb === undefined) continue;
    const fold = field === 'host-header';
    if (!va.some((x) => vb.some((y) => patternsIntersect(x, y, fold)))) return false;
  }
  return true;
}

/**
 * True when every request `inner` (Berth's rule for `path`, `host`) matches also
 * matches `outer`: `outer` tests only path and host, one of its paths is `<prefix>*`
 * with `path` under the prefix, and it tests no host or one matching `host`.
 */
export function conditionsCover(outer: readonly RuleCondition[], path: string, host: string | undefined): boolean {
  if (outer.some((c) => c.Field !== 'path-pattern' && c.Field !== 'host-header')) return false;
  const paths = valuesOf(outer, 'path-pattern');
  const pathCovered = paths === undefined || paths.some((p) => p.endsWith('*') && !/[*?]/.test(p.slice(0, -1)) && path.startsWith(p.slice(0, -1)));
  const hosts = valuesOf(outer, 'host-header');
  const hostCovered = hosts === undefined || hosts.includes('*') || (host !== undefined && hosts.some((h) => patternsIntersect(h, host, true) && !/[*?]/.test(host)));
  return pathCovered && hostCovered;
}

/** A rule Berth does not own, as far as the overlap check needs it. */
export interface ForeignRule {
  arn: string;
  priority: number;
  conditions: readonly RuleCondition[];
  conditionsKey: string;
}

/**
 * Why a foreign rule on the listener stands in the way of Berth's rule for
 * `path`/`host` at `priority`, or undefined when it doesn't: it overlaps and is
 * evaluated first (it takes some of the server's requests), or it overlaps,
 * comes later and is not a catch-all around the route (Berth's rule would take
 * requests meant for it). A broader rule evaluated after Berth's (`/*`, `/mcp/*`)
 * is fine: the route is carved out of it, which is what such a rule is for.
 */
export function foreignRuleProblem(foreign: ForeignRule, conditions: readonly RuleCondition[], path: string, host: string | undefined, priority: number): string | undefined {
  if (!conditionsOverlap(foreign.conditions, conditions)) return undefined;
  const route = `${host ?? ''}${path}`;
  const what = `listener rule ${foreign.arn} (priority ${foreign.priority}, conditions ${foreign.conditionsKey})`;
  if (foreign.priority < priority) return `${what} overlaps route ${route} and is evaluated before Berth's rule (priority ${priority}), so it takes requests meant for this server; remove or narrow it, or change spec.routing`;
  if (!conditionsCover(foreign.conditions, path, host)) return `${what} overlaps route ${route} and is evaluated after Berth's rule (priority ${priority}), which would take requests meant for it; remove or narrow it, or change spec.routing`;
  return undefined;
}

/**
 * True when some string matches both AWS wildcard patterns (`*`: any run of
 * characters, `?`: one character), optionally ignoring case. Walks the product
 * of the two patterns (at most 129 × 129 states for AWS's 128-character values).
 * @example patternsIntersect('/mcp/nest/*', '/mcp/nest/deep', false) // true
 */
export function patternsIntersect(a: string, b: string, ignoreCase: boolean): boolean {
  const x = ignoreCase ? a.toLowerCase() : a;
  const y = ignoreCase ? b.toLowerCase() : b;
  const seen = new Set<number>();
  const stack: Array<[number, number]> = [[0, 0]];
  const width = y.length + 1;
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (seen.has(i * width + j)) continue;
    seen.add(i * width + j);
    if (i === x.length && j === y.length) return true;
    const ci = x[i];
    const cj = y[j];
    // A star may match nothing.
    if (ci === '*') stack.push([i + 1, j]);
    if (cj === '*') stack.push([i, j + 1]);
    // Both consume one character (a star stays where it is).
    if (ci !== undefined && cj !== undefined && !(ci === '*' && cj === '*')) {
      const compatible = ci === '*' || cj === '*' || ci === '?' || cj === '?' || ci === cj;
      if (compatible) stack.push([ci === '*' ? i : i + 1, cj === '*' ? j : j + 1]);
    }
  }
  return false;
}

