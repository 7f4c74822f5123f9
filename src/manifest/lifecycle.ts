/**
 * The lifecycle gates, written once: "may this server run in environment E?" and
 * "may it receive traffic?". The reconciler (what to deploy), the gateway (what to
 * route) and `berth up`'s summary (what to wait for) all ask here, so they give
 * one answer. As the schema says: only `approved-dev` (outside production),
 * `approved-production` and `deprecated` servers run and receive traffic;
 * `retired` servers are torn down.
 *
 * Whether a server is Ready and has an endpoint is status, not lifecycle: the
 * gateway checks that itself after these gates.
 */
import { Reason, type ReasonName } from './conditions.ts';
import type { Environment, LifecycleStage, MCPServerSpec } from './types.ts';

/** A gate's answer, with the condition reason code and a sentence saying why. */
export interface LifecycleVerdict {
  allowed: boolean;
  /**
   * Condition reason: `LifecycleAllows` when allowed; `LifecycleDraft` (not approved
   * yet), `LifecycleRetired` (torn down), `NotDeployed` (not approved for this
   * environment) or `Deleting` (traffic gate only) when not.
   */
  reason: ReasonName;
  /** e.g. "lifecycle stage 'approved-dev' is not deployed to production; move it to approved-production to deploy". */
  message: string;
}

/** The fields of a spec the run gate reads. */
export type LifecycleFields = Pick<MCPServerSpec, 'lifecycle' | 'deprecation'>;

/** The fields of a server the traffic gate reads. */
export interface TrafficSubject {
  metadata: { deletionTimestamp?: string };
  spec: Pick<MCPServerSpec, 'lifecycle' | 'deprecation' | 'environment'>;
}

const NOT_APPROVED: ReadonlySet<LifecycleStage> = new Set(['draft', 'submitted', 'security-review']);
const PRODUCTION: ReadonlySet<LifecycleStage> = new Set(['approved-production', 'deprecated']);

/**
 * May a server with this lifecycle run in `environment`? `draft`, `submitted`,
 * `security-review`: never; `retired`: never, and what ran is torn down;
 * `approved-dev`: everywhere but production; `approved-production`, `deprecated`:
 * everywhere (a deprecated server's message gives its date and replacement).
 * @example mayRun({ lifecycle: 'approved-dev' }, 'production')
 * // { allowed: false, reason: 'NotDeployed', message: "lifecycle stage 'approved-dev' is not deployed to production; move it to approved-production to deploy" }
 * @example mayRun({ lifecycle: 'deprecated', deprecation: { date: '2026-12-31', replacement: 'quote-v2' } }, 'dev')
 * // { allowed: true, reason: 'LifecycleAllows', message: "lifecycle stage 'deprecated' still runs (until 2026-12-31; use quote-v2 instead)" }
 */
export function mayRun(spec: LifecycleFields, environment: Environment): LifecycleVerdict {
  const stage = spec.lifecycle;
  if (stage === 'retired') {
    return { allowed: false, reason: Reason.LifecycleRetired, message: "lifecycle stage 'retired' is not deployed; what it ran is torn down" };
  }
  if (NOT_APPROVED.has(stage)) {
    const next = environment === 'production' ? 'approved-production' : 'approved-dev';
    return { allowed: false, reason: Reason.LifecycleDraft, message: `lifecycle stage '${stage}' is not deployed; move it to ${next} to deploy` };
  }
  if (environment === 'production' && !PRODUCTION.has(stage)) {
    return {
      allowed: false,
      reason: Reason.NotDeployed,
      message: `lifecycle stage '${stage}' is not deployed to production; move it to approved-production to deploy`,
    };
  }
  if (stage === 'deprecated') {
    const d = spec.deprecation;
    const detail = d ? ` (until ${d.date}${d.replacement ? `; use ${d.replacement} instead` : ''})` : '';
    return { allowed: true, reason: Reason.LifecycleAllows, message: `lifecycle stage 'deprecated' still runs${detail}` };
  }
  return { allowed: true, reason: Reason.LifecycleAllows, message: `lifecycle stage '${stage}' allows deployment to ${environment}` };
}

/**
 * May a server receive traffic? When it may run in its own environment
 * ({@link mayRun}) and is not being deleted.
 * @example mayReceiveTraffic({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { lifecycle: 'approved-dev', environment: 'dev' } })
 * // { allowed: false, reason: 'Deleting', message: 'it is being deleted (since 2026-01-01T00:00:00Z)' }
 */
export function mayReceiveTraffic(server: TrafficSubject): LifecycleVerdict {
  const deleted = server.metadata.deletionTimestamp;
  if (deleted !== undefined) return { allowed: false, reason: Reason.Deleting, message: `it is being deleted (since ${deleted})` };
  return mayRun(server.spec, server.spec.environment);
}
