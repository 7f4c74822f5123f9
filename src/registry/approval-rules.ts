/**
 * The approval state machine as pure functions, so both store adapters keep the
 * same rules and say the same words, and differ only in how they compare and
 * set atomically. Nothing here touches a database or the clock.
 *
 *   pending ──approve──▶ approved ──consume (once, same call, before expiresAt)──▶ consumed
 *      └────deny──────▶ denied         └──TTL runs out──▶ expired (computed when read)
 */
import { randomBytes } from 'node:crypto';
import { ApprovalConflictError, ApprovalGoneError, type ApprovalRefusal, type RegistryError } from '../client/errors.ts';
import type { Approval, ApprovalCall, ApprovalRequest } from '../client/wire.ts';

/** A new pending approval for `request`, with a fresh id. */
export function newApproval(request: ApprovalRequest, now: Date): Approval {
  return {
    id: `apr_${randomBytes(12).toString('hex')}`,
    agent: request.agent,
    ...(request.user !== undefined ? { user: request.user } : {}),
    server: request.server,
    tool: request.tool,
    argumentsHash: request.argumentsHash,
    ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
    requestedAt: now.toISOString(),
    status: 'pending',
  };
}

/** What an approval id looks like. */
export const APPROVAL_ID_PATTERN = /^apr_[0-9a-f]{24}$/;

/**
 * One string per call (agent, server, tool, arguments hash), for the stores'
 * "is one already open for this call?" lookups. NUL separates the parts: no
 * part can contain it, so two different calls never share a key.
 */
export function approvalCallKey(call: ApprovalCall): string {
  return [call.agent, call.server, call.tool, call.argumentsHash].join('\u0000');
}

/** Epoch milliseconds a grant stops being usable, or undefined for one without a TTL. */
export function expiresMs(a: Approval): number | undefined {
  return a.expiresAt === undefined ? undefined : Date.parse(a.expiresAt);
}

/** True for a grant whose TTL has run out at `now`. */
function isExpired(a: Approval, now: number): boolean {
  const at = expiresMs(a);
  return a.status === 'approved' && at !== undefined && at <= now;
}

/** The approval as readers see it at `now`: a grant past its TTL reads `expired`. Stores keep `approved`. */
export function effectiveApproval(a: Approval, now: number): Approval {
  return isExpired(a, now) ? { ...a, status: 'expired' } : a;
}

/** True when `a` still stands for its call at `now`: pending, or approved and unexpired (a new request for the call gets it back). */
export function isOpen(a: Approval, now: number): boolean {
  return a.status === 'pending' || (a.status === 'approved' && !isExpired(a, now));
}

function refusal(reason: ApprovalRefusal, detail: string, a: Approval): RegistryError {
  const extensions = { reason, approvalStatus: a.status, approvalId: a.id };
  return reason === 'consumed' || reason === 'expired' ? new ApprovalGoneError(detail, { extensions }) : new ApprovalConflictError(detail, { extensions });
}

/** The 409 for approving or denying `a` (as read at `now`) when it is no longer pending. */
export function decisionRefusal(a: Approval, now: number): RegistryError {
  const seen = effectiveApproval(a, now);
  // "is denied by X at T", "is consumed (approved by X at T)": who decided, whatever happened since.
  const verdict = a.status === 'denied' ? 'denied' : 'approved';
  const decided = `${verdict} by ${seen.decidedBy ?? '?'} at ${seen.decidedAt ?? '?'}`;
  const state = seen.status === verdict ? `${seen.status} by ${seen.decidedBy ?? '?'} at ${seen.decidedAt ?? '?'}` : `${seen.status} (${decided})`;
  const detail = `approval ${a.id} is ${state}, not pending: only a pending request can be approved or denied; the agent may call again to file a new one`;
  return new ApprovalConflictError(detail, { extensions: { reason: 'decided', approvalStatus: seen.status, approvalId: a.id } });
}

/** The fields of `call` that differ from the call `a` was approved for. */
function differences(a: Approval, call: ApprovalCall): string[] {
  return (['agent', 'server', 'tool', 'argumentsHash'] as const).filter((k) => a[k] !== call[k]);
}

/**
 * Why `call` may not consume `a` at `now`, or undefined when it may: the grant
 * must be approved, unexpired, unused, and for exactly this call.
 */
export function consumeRefusal(a: Approval, call: ApprovalCall, now: number): RegistryError | undefined {
  switch (a.status) {
    case 'pending':
      return refusal('pending', `approval ${a.id} is not approved yet (pending since ${a.requestedAt}): ask an approver to run \`berth approvals approve ${a.id}\``, a);
    case 'denied':
      return refusal('denied', `approval ${a.id} was denied by ${a.decidedBy ?? 'an approver'}${a.reason ? ` (${a.reason})` : ''}: the call may not go through`, a);
    case 'consumed':
      return refusal('consumed', `approval ${a.id} was already used at ${a.consumedAt ?? '?'}: a grant lets one call through once; the agent must ask again`, a);
    case 'expired':
      return refusal('expired', `approval ${a.id} expired at ${a.expiresAt ?? '?'}: the agent must ask again`, a);
    case 'approved':
      break;
  }
  if (isExpired(a, now)) return refusal('expired', `approval ${a.id} expired at ${a.expiresAt}, unused: the agent must ask again`, { ...a, status: 'expired' });
  const differ = differences(a, call);
  if (differ.length > 0) {
    const what = differ.map((k) => (k === 'argumentsHash' ? 'arguments' : k)).join(', ');
    const verb = differ.length > 1 || what === 'arguments' ? 'differ' : 'differs';
    return refusal('mismatch', `approval ${a.id} is for another call (the ${what} ${verb}): a grant covers exactly the call that was approved`, a);
  }
  return undefined;
}

/** The approval after `call` consumed it at `now`. */
export function consumed(a: Approval, now: number): Approval {
  return { ...a, status: 'consumed', consumedAt: new Date(now).toISOString() };
}

/** The message of the NotFoundError for an approval id. */
export function approvalNotFoundMessage(id: string): string {
  return `approval ${id} does not exist: list them with \`berth approvals list\``;
}
