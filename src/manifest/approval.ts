/**
 * Requested vs effective lifecycle stage, PURE. `spec.lifecycle` is what the
 * owning team requests in Git; approvals (`metadata.approvals`, recorded by the
 * registry when an approver runs `berth approve`) are what grant it. The
 * effective stage is the highest stage at or below the requested one that the
 * approvals for the *current* spec support. The lifecycle gates (lifecycle.ts)
 * decide on it, so a publisher writing `approved-production` grants nothing.
 *
 * Stage order: draft → submitted → security-review → approved-dev →
 * approved-production → monitored → deprecated → retired. draft, submitted and
 * security-review need no approval; approved-dev needs an approved-dev (or
 * approved-production) approval; approved-production and monitored need an
 * approved-production approval; deprecated keeps whichever of the two it has;
 * retired, and deprecated past its date, are retired.
 */
import { codeHash, reviewHash } from './approval-hash.ts';
import type { ApprovableStage, LifecycleStage, MCPServerSpec, Risk, StageApproval } from './types.ts';

/** What one approvable stage needs at one risk level. */
export interface StagePolicy {
  /** Distinct approvers whose latest decision on the bound spec is `approved`. */
  approvers: number;
  /**
   * What the approval is bound to: `review` — the whole reviewed spec
   * ({@link reviewHash}); `code` — only what runs ({@link codeHash}), so capacity,
   * routing or tool changes keep it. A changed image or command voids either.
   */
  binding: 'review' | 'code';
}

/** The approval rules per risk level and stage. */
export type ApprovalPolicy = Readonly<Record<Risk, Readonly<Record<ApprovableStage, StagePolicy>>>>;

/**
 * Defaults: production approvals are bound to the reviewed spec at every risk
 * level, and a high-risk server needs two distinct approvers for production; dev
 * approvals of low and medium risk servers survive changes that leave the code
 * alone, a high-risk server's do not.
 */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  low: { 'approved-dev': { approvers: 1, binding: 'code' }, 'approved-production': { approvers: 1, binding: 'review' } },
  medium: { 'approved-dev': { approvers: 1, binding: 'code' }, 'approved-production': { approvers: 1, binding: 'review' } },
  high: { 'approved-dev': { approvers: 1, binding: 'review' }, 'approved-production': { approvers: 2, binding: 'review' } },
};

/** Which environments the approvals for the current spec allow. */
export type ApprovedFor = 'none' | 'dev' | 'production';

/** The effective stage of a server and, when it is below the request, the approval missing. */
export interface EffectiveStage {
  requested: LifecycleStage;
  effective: LifecycleStage;
  approvedFor: ApprovedFor;
  /** First 8 hex digits of the current spec's review hash, as `berth describe` shows it. */
  spec8: string;
  /** Why `effective` is below `requested`: the stage to approve and a sentence naming what is missing. */
  missing?: { stage: ApprovableStage; reason: string };
  /** Set when a deprecated server is past its date (effective `retired`). */
  expired?: string;
}

/** Inputs of {@link effectiveStage}. */
export interface EffectiveStageInput {
  requested: LifecycleStage;
  approvals: readonly StageApproval[];
  /** {@link reviewHash} and {@link codeHash} of the current spec. */
  hashes: { review: string; code: string };
  risk: Risk;
  deprecation?: { date: string; replacement?: string } | undefined;
  now: Date;
  policy?: ApprovalPolicy;
}

const DAY_MS = 86_400_000;
const NO_APPROVAL_NEEDED: ReadonlySet<LifecycleStage> = new Set(['draft', 'submitted', 'security-review']);

interface Standing {
  ok: boolean;
  rejected: boolean;
  reason: string;
}

/** Whether the approvals support `stage` for the current spec, and why not. */
function standing(stage: ApprovableStage, input: EffectiveStageInput): Standing {
  const rule = (input.policy ?? DEFAULT_APPROVAL_POLICY)[input.risk][stage];
  const spec8 = input.hashes.review.slice(0, 8);
  // An approval for production approves dev too (a rejection of production does not reject dev).
  const ofStage = input.approvals.filter((a) => a.stage === stage || (stage === 'approved-dev' && a.stage === 'approved-production' && a.decision === 'approved'));
  const bound = ofStage.filter((a) => a.codeHash === input.hashes.code && (rule.binding === 'code' || a.specHash === input.hashes.review));
  // Each approver's latest decision counts once: two approvals by one person are one.
  const latest = new Map<string, StageApproval>();
  for (const a of bound) latest.set(a.by, a);
  const decisions = [...latest.values()];
  const rejection = decisions.find((a) => a.decision === 'rejected');
  if (rejection) {
    return { ok: false, rejected: true, reason: `${stage} of spec ${spec8} was rejected by ${rejection.by} at ${rejection.at}${rejection.note ? ` (${rejection.note})` : ''}` };
  }
  const count = decisions.filter((a) => a.decision === 'approved').length;
  if (count >= rule.approvers) return { ok: true, rejected: false, reason: '' };
  const stale = ofStage.length > bound.length ? `; approvals of an earlier spec no longer count (${ofStage.some((a) => a.codeHash !== input.hashes.code) ? 'what runs changed' : 'the spec changed'} since)` : '';
  const need =
    rule.approvers > 1
      ? `${count} of ${rule.approvers} distinct approvals (${input.risk} risk) of spec ${spec8} for ${stage}`
      : `no approval of spec ${spec8} for ${stage}`;
  return { ok: false, rejected: false, reason: `${need}${stale}` };
}

/**
 * The effective stage: the highest stage ≤ `requested` that the approvals for
 * the current spec support (see the module comment and {@link DEFAULT_APPROVAL_POLICY}).
 * A rejection (an approver's latest decision on the bound spec) vetoes its stage,
 * and a rejected approved-dev vetoes production too.
 * @example effectiveStage({ requested: 'approved-production', approvals: [], hashes, risk: 'low', now })
 * // { requested: 'approved-production', effective: 'security-review', approvedFor: 'none',
 * //   missing: { stage: 'approved-production', reason: 'no approval of spec 1a2b3c4d for approved-production' }, … }
 */
export function effectiveStage(input: EffectiveStageInput): EffectiveStage {
  const { requested, deprecation, now } = input;
  const dev = standing('approved-dev', input);
  const prod = standing('approved-production', input);
  const approvedFor: ApprovedFor = dev.rejected ? 'none' : prod.ok ? 'production' : dev.ok ? 'dev' : 'none';
  const base = { requested, approvedFor, spec8: input.hashes.review.slice(0, 8) };
  if (requested === 'retired') return { ...base, effective: 'retired' };
  // The date is the last day it runs ("after which the server may be retired"): retired from the next day, UTC.
  if (requested === 'deprecated' && deprecation !== undefined && now.getTime() >= Date.parse(deprecation.date) + DAY_MS) {
    return { ...base, effective: 'retired', expired: deprecation.date };
  }
  if (NO_APPROVAL_NEEDED.has(requested)) return { ...base, effective: requested };
  if (requested === 'approved-dev') {
    return approvedFor === 'none' ? { ...base, effective: 'security-review', missing: { stage: 'approved-dev', reason: dev.reason } } : { ...base, effective: requested };
  }
  if (requested === 'deprecated') {
    return approvedFor === 'none' ? { ...base, effective: 'security-review', missing: { stage: 'approved-dev', reason: dev.reason } } : { ...base, effective: requested };
  }
  // approved-production, monitored
  if (approvedFor === 'production') return { ...base, effective: requested };
  const reason = dev.rejected ? dev.reason : prod.reason;
  return { ...base, effective: approvedFor === 'dev' ? 'approved-dev' : 'security-review', missing: { stage: 'approved-production', reason } };
}

/** The parts of a server {@link effectiveStageOf} reads. */
export interface ApprovalSubject {
  metadata: { approvals?: readonly StageApproval[] | undefined; specHashes?: { review: string; code: string } | undefined };
  spec: MCPServerSpec;
}

/**
 * {@link effectiveStage} of a stored server at `now`: its request, approvals, hashes, risk and deprecation.
 * The hashes are computed from the spec, or — on an object the registry sent with its env values redacted
 * (gateway, readers) — taken from the `metadata.specHashes` it stamped from the unredacted spec.
 */
export function effectiveStageOf(server: ApprovalSubject, now: Date, policy?: ApprovalPolicy): EffectiveStage {
  const { spec } = server;
  return effectiveStage({
    requested: spec.lifecycle,
    approvals: server.metadata.approvals ?? [],
    hashes: server.metadata.specHashes ?? { review: reviewHash(spec), code: codeHash(spec) },
    risk: spec.risk,
    deprecation: spec.deprecation,
    now,
    ...(policy ? { policy } : {}),
  });
}
