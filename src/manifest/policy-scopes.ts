/**
 * The verdict of one request that needs a set of scopes, and the words of every
 * reason. Per scope, deny beats requireApproval, which beats allow, across all the
 * caller's policies; the server's anonymous scopes count as allowed. `policy.ts`
 * decides which scopes a request needs and asks here.
 */
import { scopeMatches, type Grants } from './policy-grants.ts';
import type { MCPServerSpec } from './types.ts';

/** What happens to the request. */
export type Verdict = 'allow' | 'deny' | 'approval';

/**
 * Why, for metrics and for the gateway's status: `anonymous-refused` is a 401, every
 * other `deny` a 403 (or a JSON-RPC error inside a session the caller may use).
 */
export type DecisionCode =
  | 'allowed'
  | 'approval-by-manifest'
  | 'approval-by-policy'
  | 'denied-by-policy'
  | 'missing-scope'
  | 'undeclared-tool'
  | 'not-exposed'
  | 'approval-unavailable'
  | 'anonymous-refused'
  | 'no-access'
  | 'unknown-method';

/**
 * One decision and its reason.
 * @example
 * { verdict: 'deny', code: 'denied-by-policy', deniedBy: 'sales-copilot', scopes: ['discount.approve'],
 *   reason: 'tool `applyDiscount` on MCPServer `quote` needs `discount.approve`, which AccessPolicy `sales-copilot` denies to agent `sales-copilot` (deny `discount.approve`); deny beats allow and approval' }
 */
export interface Decision {
  verdict: Verdict;
  code: DecisionCode;
  /** A sentence for the caller: what was decided, why, and how to change it. */
  reason: string;
  /** Scopes the request needs (all of them); empty for session methods. */
  scopes: string[];
  /** Needed scopes the caller does not hold (code `missing-scope`). */
  missing?: string[];
  /** The AccessPolicy whose deny refused the request (code `denied-by-policy`). */
  deniedBy?: string;
}

/** Options of every decision. */
export interface DecideOptions {
  /** The caller presented no credentials: it holds only the server's `access.anonymousScopes`. */
  anonymous?: boolean;
}

/** The fields of a server the decisions read; any MCPServer fits. */
export interface GovernedServer {
  metadata: { name: string };
  spec: Pick<MCPServerSpec, 'tools' | 'defaultScopes' | 'access'>;
}

/** What else shapes the verdict besides the scopes. */
export interface ScopeOptions extends DecideOptions {
  /** The manifest says `approval: required`. */
  approvalByManifest?: boolean;
  /** No approval can be given for this request (resources, prompts): approval-only scopes refuse. */
  approvalUnavailable?: boolean;
}

/** How a caller holds each needed scope. */
interface ScopeCheck {
  denied?: { scope: string; pattern: string; policy: string };
  missing: string[];
  /** Scopes held only through requireApproval, and the policies that say so. */
  approvalOnly: string[];
  approvalPolicies: string[];
  /** Where the allowed scopes come from: policy names, or the anonymous scopes. */
  sources: string[];
}

const ANONYMOUS_SOURCE = 'spec.access.anonymousScopes';

/** Deny beats requireApproval beats allow, per scope; the anonymous scopes count as allowed. */
function checkScopes(grants: Grants, server: GovernedServer, required: readonly string[], anonymous: boolean): ScopeCheck {
  const open = server.spec.access?.anonymousScopes ?? [];
  const check: ScopeCheck = { missing: [], approvalOnly: [], approvalPolicies: [], sources: [] };
  for (const scope of required) {
    if (!anonymous) {
      const deny = grants.deny.find((g) => scopeMatches(g.pattern, scope));
      if (deny) {
        check.denied ??= { scope, ...deny };
        continue;
      }
      const approval = grants.requireApproval.filter((g) => scopeMatches(g.pattern, scope));
      if (approval.length > 0) {
        check.approvalOnly.push(scope);
        check.approvalPolicies.push(...approval.map((g) => g.policy));
        continue;
      }
      const allow = grants.allow.filter((g) => scopeMatches(g.pattern, scope));
      if (allow.length > 0) {
        check.sources.push(...allow.map((g) => g.policy));
        continue;
      }
    }
    if (open.includes(scope)) check.sources.push(ANONYMOUS_SOURCE);
    else check.missing.push(scope);
  }
  return check;
}

/**
 * The verdict for needing `required` (all of them) for `subject`, which names the
 * request in the reason: a denied scope, then scopes not held, then approvals.
 * @example decideScopes(grants, quote, 'tool `getQuote` on MCPServer `quote`', ['quote.read'], {}).verdict // 'allow'
 */
export function decideScopes(grants: Grants, server: GovernedServer, subject: string, required: string[], opts: ScopeOptions): Decision {
  const anonymous = opts.anonymous === true;
  const who = callerLabel(grants, opts);
  const check = checkScopes(grants, server, required, anonymous);
  const scopes = [...required];
  if (check.denied) {
    const { scope, pattern, policy } = check.denied;
    return {
      verdict: 'deny',
      code: 'denied-by-policy',
      reason: `${subject} needs \`${scope}\`, which AccessPolicy \`${policy}\` denies to ${who} (deny \`${pattern}\`); deny beats allow and approval`,
      scopes,
      deniedBy: policy,
    };
  }
  if (check.missing.length > 0) {
    const fix = anonymous
      ? ` (it holds only ${codeList(server.spec.access?.anonymousScopes ?? [])}); authenticate as an agent whose AccessPolicy allows ${both(check.missing)}`
      : `; ask for an AccessPolicy that allows ${both(check.missing)}`;
    return {
      verdict: 'deny',
      code: 'missing-scope',
      reason: `${subject} needs ${scopeWord(check.missing)} ${codeList(check.missing)}, which ${who} does not hold${fix}`,
      scopes,
      missing: check.missing,
    };
  }
  const byPolicy = check.approvalOnly.length > 0;
  if (opts.approvalByManifest || byPolicy) {
    if (anonymous) {
      return { verdict: 'deny', code: 'approval-unavailable', reason: `${subject} needs a human approval of each call, which an anonymous caller cannot get; authenticate as an agent`, scopes };
    }
    const why = `${who} holds ${both(check.approvalOnly)} only with approval (${policyList(check.approvalPolicies)} requireApproval)`;
    if (opts.approvalUnavailable) {
      return { verdict: 'deny', code: 'approval-unavailable', reason: `${subject} is refused: ${why}, and approvals are given per tool call; ask for an AccessPolicy that allows ${both(check.approvalOnly)}`, scopes };
    }
    return opts.approvalByManifest
      ? { verdict: 'approval', code: 'approval-by-manifest', reason: `${subject} waits for a human approval of each call (its manifest says approval: required)`, scopes }
      : { verdict: 'approval', code: 'approval-by-policy', reason: `${subject} waits for a human approval of each call: ${why}`, scopes };
  }
  const from = required.length > 0 ? ` (${policyList(check.sources)})` : '';
  return { verdict: 'allow', code: 'allowed', reason: `${who} holds ${required.length > 0 ? both(required) : 'every scope'} for ${subject}${from}`, scopes };
}

/**
 * The caller as reasons name it.
 * @example callerLabel(grants, {}) // "agent `deal-desk`"
 */
export function callerLabel(grants: Grants, opts: DecideOptions): string {
  if (opts.anonymous) return 'an anonymous caller';
  return grants.agent !== undefined ? `agent \`${grants.agent}\`` : 'the caller';
}

function scopeWord(scopes: readonly string[]): string {
  return scopes.length === 1 ? 'scope' : 'scopes';
}

/**
 * Items in backticks, comma-separated.
 * @example codeList(['a', 'b']) // "`a`, `b`"
 */
export function codeList(items: readonly string[]): string {
  return items.map((s) => `\`${s}\``).join(', ');
}

/** `a` / `a` and `b` / `a`, `b` and `c` */
function both(items: readonly string[]): string {
  const quoted = items.map((s) => `\`${s}\``);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/**
 * Where grants come from, each once: policies, and the anonymous scopes.
 * @example policyList(['deal-desk', 'deal-desk']) // "AccessPolicy `deal-desk`"
 */
export function policyList(sources: readonly string[]): string {
  const unique = [...new Set(sources)];
  const policies = unique.filter((s) => s !== ANONYMOUS_SOURCE);
  const parts: string[] = [];
  if (policies.length > 0) parts.push(`${policies.length === 1 ? 'AccessPolicy' : 'AccessPolicies'} ${codeList(policies)}`);
  if (unique.includes(ANONYMOUS_SOURCE)) parts.push(ANONYMOUS_SOURCE);
  return parts.join(' and ');
}
