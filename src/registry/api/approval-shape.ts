/**
 * What the approval endpoints accept in their bodies: a request names the call
 * (and may name the user and session), a consume names the call it is for, a
 * decision may give a reason. Checked before the store sees anything; every
 * problem is reported at once in a 422.
 */
import { RegistryError, type FieldError } from '../../client/errors.ts';
import type { ApprovalCall, ApprovalRequest } from '../../client/wire.ts';
import { matching, shapeProblems, text, type Fields } from '../record-shape.ts';
import { isDnsLabel } from './names.ts';

/** What an `argumentsHash` looks like (see `argumentsHash` in src/manifest/policy-payload.ts): 64 lower-case hex characters. */
const ARGUMENTS_HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The fields naming a call, all required. */
const CALL: Fields = {
  agent: [text(253), 'required'],
  server: [(v) => (typeof v === 'string' && isDnsLabel(v) ? undefined : 'must be the name of an MCPServer (a DNS label)'), 'required'],
  tool: [matching(/^[A-Za-z0-9_.-]{1,128}$/, "an MCP tool name: 1–128 letters, digits, '_', '-' and '.'"), 'required'],
  argumentsHash: [matching(ARGUMENTS_HASH_PATTERN, 'the SHA-256 hex (64 lower-case hex characters) of the canonical JSON of the arguments'), 'required'],
};

/** A request: the call, and who and where it came from. */
const REQUEST: Fields = { ...CALL, user: [text(253), 'optional'], sessionId: [text(256), 'optional'] };

/** A decision: an optional reason. */
const DECISION: Fields = { reason: [(v) => (typeof v === 'string' && v.length <= 1024 ? undefined : 'must be a string of at most 1024 characters'), 'optional'] };

function refuse(problems: FieldError[], what: string): void {
  if (problems.length === 0) return;
  throw new RegistryError(422, {
    type: 'invalid-approval-request',
    title: `Invalid ${what}`,
    detail: `the ${what} has ${problems.length} problem(s): ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    errors: problems,
  });
}

/** The body of `POST …/approvals` as an {@link ApprovalRequest}. @throws 422 listing every problem */
export function approvalRequestOf(body: Record<string, unknown>): ApprovalRequest {
  refuse(shapeProblems(body, REQUEST, ''), 'approval request');
  return body as unknown as ApprovalRequest;
}

/** The body of `POST …/approvals/<id>/consume` as the {@link ApprovalCall} it is for. @throws 422 listing every problem */
export function approvalCallOf(body: Record<string, unknown>): ApprovalCall {
  refuse(shapeProblems(body, CALL, ''), 'consume request');
  const { agent, server, tool, argumentsHash } = body as unknown as ApprovalCall;
  return { agent, server, tool, argumentsHash };
}

/** The reason in the body of an approve or deny. @throws 422 when it is not a short string */
export function decisionReasonOf(body: Record<string, unknown>): string | undefined {
  refuse(shapeProblems(body, DECISION, ''), 'decision');
  return body.reason as string | undefined;
}
