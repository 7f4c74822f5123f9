/**
 * What a caller holds: the union of the AccessPolicies that name it, kept as
 * patterns with the policy each came from, so a refusal can name the policy that
 * caused it. The decisions that read these grants are in `policy.ts`.
 */
import type { AccessPolicy, RateLimitSpec } from './types.ts';

/** Who is asking. An anonymous caller has no `agent` (its groups, if any, are ignored). */
export interface Caller {
  /** Agent identity (API key name or token subject); absent: anonymous. */
  agent?: string;
  /** Groups the identity carries (API key groups or the token's `groups` claim). */
  groups: readonly string[];
}

/** One scope pattern of one policy. */
export interface ScopeGrant {
  /** `quote.read`, `quote.*` or `*`. */
  pattern: string;
  /** metadata.name of the AccessPolicy it comes from. */
  policy: string;
}

/** A token bucket the gateway enforces, with the policies that set it. */
export interface RateLimitGrant {
  requestsPerMinute: number;
  /** Bucket size (the policy's `burst`, or its `requestsPerMinute` when it set none). */
  burst: number;
  /** Policies whose values make up this bucket. */
  policies: string[];
}

/** Everything the policies give one caller. Built by {@link grantsFor}; read by the decisions in `policy.ts`. */
export interface Grants {
  /** The caller's agent, for reasons; absent for an anonymous caller. */
  agent?: string;
  allow: ScopeGrant[];
  requireApproval: ScopeGrant[];
  deny: ScopeGrant[];
  /** Names of the policies that apply, in the order given. */
  policies: string[];
  /** Tightest per-agent bucket of those policies; absent: none sets one (the gateway's default holds). */
  rateLimit?: RateLimitGrant;
  /** Tightest per-agent-and-server bucket; absent: none sets one. */
  serverRateLimit?: RateLimitGrant;
}

/**
 * Does a policy's scope pattern cover `scope`? Exact match, or a trailing `*`:
 * `*` covers every scope, `p.*` every scope below `p` (not `p` itself, and never
 * `px.…`: the wildcard starts after a dot). The schema admits no other `*`; a
 * pattern with one anywhere else only matches itself.
 * @example scopeMatches('salesforce.*', 'salesforce.opportunity.update') // true
 * @example scopeMatches('salesforce.*', 'salesforcex.read') // false
 */
export function scopeMatches(pattern: string, scope: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return scope.startsWith(pattern.slice(0, -1));
  return pattern === scope;
}

/**
 * The union of every policy whose subjects name the caller's agent or one of its
 * groups: all their allow, requireApproval and deny patterns, the policies' names,
 * and the tightest rate limits (the smallest `requestsPerMinute` and the smallest
 * `burst` among them, each on its own). An anonymous caller matches no policy.
 * @example
 * const g = grantsFor(policies, { agent: 'deal-desk', groups: ['deal-desk-analysts'] });
 * g.policies // ['deal-desk']
 * g.allow.map((a) => a.pattern) // ['salesforce.*', 'quote.*', 'product.search']
 */
export function grantsFor(policies: readonly AccessPolicy[], caller: Caller): Grants {
  const grants: Grants = { allow: [], requireApproval: [], deny: [], policies: [] };
  const agent = caller.agent;
  if (agent === undefined) return grants;
  grants.agent = agent;
  const groups = new Set(caller.groups);
  const limits: Limit[] = [];
  const serverLimits: Limit[] = [];
  for (const p of policies) {
    const names = p.spec.subjects.some((s) => ('agent' in s ? s.agent === agent : groups.has(s.group)));
    if (!names) continue;
    const policy = p.metadata.name;
    grants.policies.push(policy);
    for (const pattern of p.spec.allow) grants.allow.push({ pattern, policy });
    for (const pattern of p.spec.requireApproval ?? []) grants.requireApproval.push({ pattern, policy });
    for (const pattern of p.spec.deny ?? []) grants.deny.push({ pattern, policy });
    if (p.spec.rateLimit) limits.push({ spec: p.spec.rateLimit, policy });
    if (p.spec.serverRateLimit) serverLimits.push({ spec: p.spec.serverRateLimit, policy });
  }
  const rateLimit = tightest(limits);
  if (rateLimit) grants.rateLimit = rateLimit;
  const serverRateLimit = tightest(serverLimits);
  if (serverRateLimit) grants.serverRateLimit = serverRateLimit;
  return grants;
}

interface Limit {
  spec: RateLimitSpec;
  policy: string;
}

/** The smallest rate and the smallest burst, each on its own, and the policies that set either. */
function tightest(limits: readonly Limit[]): RateLimitGrant | undefined {
  if (limits.length === 0) return undefined;
  const burstOf = (l: Limit): number => l.spec.burst ?? l.spec.requestsPerMinute;
  const requestsPerMinute = Math.min(...limits.map((l) => l.spec.requestsPerMinute));
  const burst = Math.min(...limits.map(burstOf));
  const policies = limits.filter((l) => l.spec.requestsPerMinute === requestsPerMinute || burstOf(l) === burst).map((l) => l.policy);
  return { requestsPerMinute, burst, policies: [...new Set(policies)] };
}
