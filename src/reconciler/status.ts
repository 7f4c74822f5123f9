/**
 * Building MCPServer status, PURE: conditions with stable transition times, the
 * phase summary, and the "did anything change?" test that lets the reconciler
 * skip no-op status writes.
 */
import { redactUserinfo } from '../kit/redact.ts';
import { ConditionType, Reason } from '../manifest/conditions.ts';
import type { Condition, ConditionStatus } from '../manifest/resource.ts';
import type { MCPServerStatus, ServerPhase } from '../manifest/types.ts';
import type { RuntimeState } from '../providers/provider.ts';
import type { Approval, TerminalFailureRecord } from './decide.ts';
import { canonicalJson } from '../manifest/spec-hash.ts';

/** A condition before its transition time is decided. */
export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Sets one condition. `lastTransitionTime` moves to `now` only when the status
 * flips (or the condition is new); reason, message and observedGeneration follow
 * the input. Other conditions keep their place.
 * @example setCondition([], { type: 'Ready', status: 'True', reason: 'Ready', message: 'serving' }, now, 3)
 */
export function setCondition(conditions: readonly Condition[], input: ConditionInput, now: string, generation?: number): Condition[] {
  const existing = conditions.find((c) => c.type === input.type);
  const next: Condition = {
    ...input,
    // Whatever a runtime said, a URL's userinfo (a password) never reaches status, which every reader sees.
    message: redactUserinfo(input.message),
    lastTransitionTime: existing !== undefined && existing.status === input.status ? existing.lastTransitionTime : now,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return existing === undefined ? [...conditions, next] : conditions.map((c) => (c.type === input.type ? next : c));
}

/** Removes a condition type (used for Conflict once the conflict is gone). */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** The condition of `type`, if set. */
export function findCondition(status: MCPServerStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** Inputs of {@link statusFromRuntime}. */
export interface RuntimeStatusInput {
  generation: number;
  approval: Approval;
  state: RuntimeState;
  provider: string;
  /** Drift found this pass (already corrected by the apply). */
  drift: readonly string[];
  now: string;
}

/**
 * Status of a server the reconciler deployed, from the provider's assessment.
 * Ready/Progressing/Degraded always say something; Conflict appears only while
 * a foreign resource blocks; Drifted stays as the record of the last correction.
 */
export function statusFromRuntime(prior: MCPServerStatus | undefined, input: RuntimeStatusInput): MCPServerStatus {
  const { state, generation: g, now } = input;
  let c = setCondition(prior?.conditions ?? [], { type: ConditionType.Approved, ...input.approval }, now, g);
  const ready = state.phase === 'Ready';
  const progressing = state.phase === 'Progressing' || state.phase === 'Absent';
  const degraded = state.phase === 'Degraded' || state.phase === 'Conflict';
  const reason = state.reason || (ready ? Reason.Ready : progressing ? Reason.Starting : Reason.ProviderError);
  c = setCondition(c, { type: ConditionType.Ready, status: ready ? 'True' : 'False', reason, message: state.message }, now, g);
  c = setCondition(
    c,
    {
      type: ConditionType.Progressing,
      status: progressing ? 'True' : 'False',
      reason: progressing ? reason : ready ? Reason.Ready : reason,
      message: progressing ? state.message : ready ? 'the runtime matches the manifest' : state.message,
    },
    now,
    g,
  );
  c = setCondition(
    c,
    {
      type: ConditionType.Degraded,
      status: degraded ? 'True' : 'False',
      reason: degraded ? reason : Reason.Healthy,
      message: degraded ? state.message : 'no failure observed',
    },
    now,
    g,
  );
  c =
    state.phase === 'Conflict'
      ? setCondition(c, { type: ConditionType.Conflict, status: 'True', reason: Reason.ForeignResource, message: state.message }, now, g)
      : removeCondition(c, ConditionType.Conflict);
  // Deployed again: whatever held its retirement no longer applies.
  c = removeCondition(c, ConditionType.RetirementHeld);
  if (input.drift.length > 0) {
    c = setCondition(
      c,
      { type: ConditionType.Drifted, status: 'True', reason: Reason.DriftCorrected, message: `changed outside Berth and put back: ${input.drift.join('; ')}` },
      now,
      g,
    );
  }
  const phase: ServerPhase = ready ? 'Ready' : degraded ? 'Degraded' : state.phase === 'Absent' ? 'Pending' : 'Progressing';
  const tools = state.tools ?? (state.phase === 'Absent' ? undefined : prior?.tools);
  return compact({
    observedGeneration: g,
    phase,
    conditions: c,
    endpoint: state.endpoint === undefined ? undefined : redactUserinfo(state.endpoint),
    tools,
    health: state.health === undefined ? undefined : { ...state.health, ...(state.health.message !== undefined ? { message: redactUserinfo(state.health.message) } : {}) },
    runtime: { provider: input.provider, ...state.details },
  });
}

/** Inputs of {@link statusForRetirement}. */
export interface RetirementStatusInput {
  generation: number;
  /** `retired`: lifecycle retired. `not-deployed`: a gate keeps it from running. */
  cause: 'retired' | 'not-deployed';
  approval?: Approval;
  /** Why, shown on Ready. */
  message: string;
  /** True while a provider still has something to remove (requeued). */
  inProgress: boolean;
  /** Set while a provider holds the retirement until an operator acts: why, and how to release it. */
  held?: string;
  now: string;
}

/** Status of a server that must not run: Retiring while removal is under way, then Retired or NotDeployed. */
export function statusForRetirement(prior: MCPServerStatus | undefined, input: RetirementStatusInput): MCPServerStatus {
  const { generation: g, now } = input;
  let c = prior?.conditions ?? [];
  if (input.approval) c = setCondition(c, { type: ConditionType.Approved, ...input.approval }, now, g);
  const done = input.cause === 'retired' ? Reason.Retired : Reason.NotDeployed;
  const reason = input.inProgress ? Reason.Retiring : done;
  const message = input.inProgress ? `removing what the runtime still has: ${input.message}` : input.message;
  c = setCondition(c, { type: ConditionType.Ready, status: 'False', reason, message }, now, g);
  c = setCondition(c, { type: ConditionType.Progressing, status: input.inProgress ? 'True' : 'False', reason, message }, now, g);
  c = setCondition(c, { type: ConditionType.Degraded, status: 'False', reason, message: 'no failure observed' }, now, g);
  c = removeCondition(c, ConditionType.Conflict);
  c =
    input.held !== undefined && input.inProgress
      ? setCondition(c, { type: ConditionType.RetirementHeld, status: 'True', reason: Reason.MassDeletionGuard, message: input.held }, now, g)
      : removeCondition(c, ConditionType.RetirementHeld);
  const phase: ServerPhase = input.inProgress ? 'Retiring' : input.cause === 'retired' ? 'Retired' : 'NotDeployed';
  return compact({ observedGeneration: g, phase, conditions: c });
}

/** Inputs of {@link statusForFailure}. */
export interface FailureStatusInput {
  generation: number;
  message: string;
  code: string;
  /** Terminal: recorded as not retried until the spec changes or a rollout restart. */
  terminal: boolean;
  now: string;
  /** Retryable failures: ms until the work queue tries again (said in the Degraded message). */
  retryInMs?: number;
  /** Restart marker of the object (src/manifest/restart.ts), recorded with a terminal failure. */
  restartedAt?: string;
}

/**
 * Status after a failed reconcile. A retryable failure sets Degraded and leaves
 * Ready alone (a transient runtime error must not pull a serving server out of
 * the gateway). A terminal one also sets Ready=False and records the generation
 * so the reconciler does not try it again until the manifest changes.
 */
export function statusForFailure(prior: MCPServerStatus | undefined, input: FailureStatusInput): MCPServerStatus {
  const { generation: g, now } = input;
  let c = prior?.conditions ?? [];
  if (!input.terminal) {
    const retry = input.retryInMs !== undefined ? `; next retry in ${Math.ceil(input.retryInMs / 1000)} s, at ${new Date(Date.parse(now) + input.retryInMs).toISOString()}` : '; retrying with backoff';
    c = setCondition(c, { type: ConditionType.Degraded, status: 'True', reason: Reason.ProviderError, message: `${input.message}${retry}` }, now, g);
    // A server that is not serving and fails to start is Degraded; a serving one keeps its phase (and Ready).
    const serving = c.some((x) => x.type === ConditionType.Ready && x.status === 'True');
    return compact({ ...prior, ...(serving ? {} : { phase: 'Degraded' as const }), conditions: c });
  }
  const message = `${input.message}; not retried until the manifest changes or \`berth rollout restart\``;
  c = setCondition(c, { type: ConditionType.Ready, status: 'False', reason: Reason.ProviderError, message }, now, g);
  c = setCondition(c, { type: ConditionType.Progressing, status: 'False', reason: Reason.ProviderError, message }, now, g);
  c = setCondition(c, { type: ConditionType.Degraded, status: 'True', reason: Reason.ProviderError, message }, now, g);
  const terminalError: TerminalFailureRecord = {
    generation: g,
    code: input.code,
    message: redactUserinfo(input.message),
    ...(input.restartedAt !== undefined ? { restartedAt: input.restartedAt } : {}),
  };
  return compact({ ...prior, observedGeneration: g, phase: 'Degraded', conditions: c, runtime: { ...prior?.runtime, terminalError } });
}

/**
 * True when writing `next` over `prior` would change something a reader cares
 * about. `health.lastChecked` alone is not a change (it moves every pass).
 */
export function statusChanged(prior: MCPServerStatus | undefined, next: MCPServerStatus): boolean {
  return canonicalJson(comparable(prior)) !== canonicalJson(comparable(next));
}

function comparable(status: MCPServerStatus | undefined): unknown {
  if (status === undefined) return {};
  if (status.health === undefined) return status;
  const { lastChecked: _ignored, ...health } = status.health;
  return { ...status, health };
}

/** Drops undefined members so the stored status and the computed one compare equal. */
function compact(status: MCPServerStatus): MCPServerStatus {
  return JSON.parse(JSON.stringify(status)) as MCPServerStatus;
}
