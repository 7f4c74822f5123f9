/**
 * Condition types and reasons, in one place so that the reconciler writes and the
 * gateway and CLI read exactly the same strings.
 */

/** Condition types written on MCPServer status. */
export const ConditionType = {
  /** The server is running, healthy and routable. */
  Ready: 'Ready',
  /** A change is being rolled out or the runtime is converging. */
  Progressing: 'Progressing',
  /** Something failed and needs attention (rollback, crash loop, health). */
  Degraded: 'Degraded',
  /** The lifecycle stage allows (or forbids) deployment. */
  Approved: 'Approved',
  /** A resource Berth would manage already exists and is not Berth's. */
  Conflict: 'Conflict',
  /** The runtime differed from the last applied state and was put back. */
  Drifted: 'Drifted',
  /** A retirement the runtime holds back until an operator acts (the mass-deletion guard). */
  RetirementHeld: 'RetirementHeld',
} as const;

/** Reasons used on conditions. CamelCase, stable: tooling may match on them. */
export const Reason = {
  Ready: 'Ready',
  Healthy: 'Healthy',
  Unhealthy: 'Unhealthy',
  Starting: 'Starting',
  RollingOut: 'RollingOut',
  RolledBack: 'RolledBack',
  CrashLoop: 'CrashLoop',
  Retiring: 'Retiring',
  Retired: 'Retired',
  /** The object is marked for deletion: it gets no traffic while its runtime is removed. */
  Deleting: 'Deleting',
  NotDeployed: 'NotDeployed',
  LifecycleDraft: 'LifecycleDraft',
  /** The requested stage is not approved for the current spec: the message names the approval missing. */
  ApprovalMissing: 'ApprovalMissing',
  LifecycleRetired: 'LifecycleRetired',
  LifecycleAllows: 'LifecycleAllows',
  ForeignResource: 'ForeignResource',
  QuotaExceeded: 'QuotaExceeded',
  ProviderError: 'ProviderError',
  InvalidSpec: 'InvalidSpec',
  DriftCorrected: 'DriftCorrected',
  OtherEnvironment: 'OtherEnvironment',
  MassDeletionGuard: 'MassDeletionGuard',
} as const;
/** One of {@link Reason}. */
export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** Finalizer the reconciler puts on MCPServers before creating anything outside the registry. */
export const RECONCILER_FINALIZER = 'berth.dev/runtime';
