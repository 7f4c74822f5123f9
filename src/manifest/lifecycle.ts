/**
 * The lifecycle gates, written once: "may this server run in environment E?" and
 * "may it receive traffic?". The reconciler (what to deploy), the gateway (what to
 * route), `berth up`'s summary (what to wait for) and `berth plan` all ask here, so
 * they give one answer. The gates decide on the EFFECTIVE stage (approval.ts):
 * what approvals for the current spec support, never what `spec.lifecycle`
 * merely requests. Only `approved-dev` (outside production), `approved-production`,
 * `monitored` and `deprecated` (with the approval of the stage it deprecates)
 * run and receive traffic; `retired` — and `deprecated` past its date — is torn down.
 *
 * Whether a server is Ready and has an endpoint is status, not lifecycle: the
 * gateway checks that itself after these gates.
 */
import { effectiveStageOf, type ApprovalPolicy, type ApprovalSubject, type EffectiveStage } from './approval.ts';
import { Reason, type ReasonName } from './conditions.ts';
import type { Environment, LifecycleStage } from './types.ts';

/** A gate's answer, with the condition reason code and a sentence saying why. */
export interface LifecycleVerdict {
  allowed: boolean;
  /**
   * Condition reason: `LifecycleAllows` when allowed; `LifecycleDraft` (not
   * requested for deployment yet), `ApprovalMissing` (requested, not approved for
   * the current spec), `LifecycleRetired` (torn down), `NotDeployed` (not requested
   * for this environment) or `Deleting` (traffic gate only) when not.
   */
  reason: ReasonName;
  /** e.g. "requested approved-production, effective approved-dev: no approval of spec 1a2b3c4d for approved-production; ask an approver: berth approve server quote --stage approved-production". */
  message: string;
  /** Requested vs effective stage behind the verdict. */
  stage: EffectiveStage;
}

/** What the run gate reads: the name (for the hint), approvals and spec. */
export interface LifecycleSubject extends ApprovalSubject {
  metadata: ApprovalSubject['metadata'] & { name: string };
}

/** What the traffic gate reads. */
export interface TrafficSubject extends LifecycleSubject {
  metadata: LifecycleSubject['metadata'] & { deletionTimestamp?: string | undefined };
}

const NOT_DEPLOYED: ReadonlySet<LifecycleStage> = new Set(['draft', 'submitted', 'security-review']);
const PRODUCTION: ReadonlySet<LifecycleStage> = new Set(['approved-production', 'monitored']);

function missingMessage(name: string, st: EffectiveStage): string {
  const m = st.missing!;
  return `requested ${st.requested}, effective ${st.effective}: ${m.reason}; ask an approver: berth approve server ${name} --stage ${m.stage}`;
}

/**
 * May a server run in `environment` at `now`? On its effective stage
 * ({@link effectiveStageOf}): `draft`, `submitted`, `security-review`: never (and
 * when that is a fallback, the message names the approval missing); `retired` or
 * deprecated past its date: never, and what ran is torn down; `approved-dev`:
 * everywhere but production; `approved-production`, `monitored`: everywhere;
 * `deprecated`: where the approval it keeps allows (its message gives its date
 * and replacement).
 * @example mayRun(quoteRequestingProductionWithoutApproval, 'production', now).message
 * // "requested approved-production, effective security-review: no approval of spec 1a2b3c4d for approved-production; ask an approver: berth approve server quote --stage approved-production"
 */
export function mayRun(server: LifecycleSubject, environment: Environment, now: Date, policy?: ApprovalPolicy): LifecycleVerdict {
  const st = effectiveStageOf(server, now, policy);
  const name = server.metadata.name;
  const stage = st.effective;
  const verdict = (allowed: boolean, reason: ReasonName, message: string): LifecycleVerdict => ({ allowed, reason, message, stage: st });
  if (stage === 'retired') {
    if (st.expired !== undefined) {
      const r = server.spec.deprecation?.replacement;
      return verdict(false, Reason.LifecycleRetired, `deprecated until ${st.expired}${r ? ` (use ${r} instead)` : ''}: past its date it is retired; what it ran is torn down`);
    }
    return verdict(false, Reason.LifecycleRetired, "lifecycle stage 'retired' is not deployed; what it ran is torn down");
  }
  if (st.missing !== undefined && (NOT_DEPLOYED.has(stage) || environment === 'production')) {
    return verdict(false, Reason.ApprovalMissing, missingMessage(name, st));
  }
  if (NOT_DEPLOYED.has(stage)) {
    const next = environment === 'production' ? 'approved-production' : 'approved-dev';
    return verdict(false, Reason.LifecycleDraft, `lifecycle stage '${stage}' is not deployed; request ${next} in spec.lifecycle and ask an approver to approve it`);
  }
  if (environment === 'production') {
    if (stage === 'deprecated' && st.approvedFor !== 'production') {
      return verdict(
        false,
        Reason.ApprovalMissing,
        `requested deprecated, approved for dev only: no approval of spec ${st.spec8} for approved-production; ask an approver: berth approve server ${name} --stage approved-production`,
      );
    }
    if (stage !== 'deprecated' && !PRODUCTION.has(stage)) {
      return verdict(false, Reason.NotDeployed, `lifecycle stage '${stage}' is not deployed to production; request approved-production and ask an approver to approve it`);
    }
  }
  if (stage === 'deprecated') {
    const d = server.spec.deprecation;
    const detail = d ? ` (until ${d.date}${d.replacement ? `; use ${d.replacement} instead` : ''})` : '';
    return verdict(true, Reason.LifecycleAllows, `lifecycle stage 'deprecated' still runs${detail}`);
  }
  const partly = st.missing !== undefined ? ` (requested ${st.requested}: ${st.missing.reason})` : '';
  return verdict(true, Reason.LifecycleAllows, `lifecycle stage '${stage}' allows deployment to ${environment}${partly}`);
}

/**
 * May a server receive traffic at `now`? When it may run in its own environment
 * ({@link mayRun}) and is not being deleted.
 * @example mayReceiveTraffic(deletingServer, now)
 * // { allowed: false, reason: 'Deleting', message: 'it is being deleted (since 2026-01-01T00:00:00Z)', … }
 */
export function mayReceiveTraffic(server: TrafficSubject, now: Date, policy?: ApprovalPolicy): LifecycleVerdict {
  const gate = mayRun(server, server.spec.environment, now, policy);
  const deleted = server.metadata.deletionTimestamp;
  if (deleted !== undefined) return { ...gate, allowed: false, reason: Reason.Deleting, message: `it is being deleted (since ${deleted})` };
  return gate;
}
