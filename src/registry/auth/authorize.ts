/**
 * What each role may do. One function per question; each returns the reason it
 * refuses, so the 403 says why.
 *
 * | role      | read/watch | audit read | spec writes                                     | status, tokens, leases, audit append |
 * |-----------|------------|------------|-------------------------------------------------|--------------------------------------|
 * | admin     | yes        | yes        | everything                                      | yes                                  |
 * | publisher | yes        | yes        | MCPServers whose spec.owner.team is its team,   | no                                   |
 * |           |            |            | before AND after the write; no AccessPolicies   |                                      |
 * | approver  | yes        | yes        | only `spec.lifecycle` of an existing MCPServer  | no                                   |
 * | reader    | yes        | yes        | no                                              | no                                   |
 * | agent     | yes        | no         | no                                              | no                                   |
 * | gateway   | yes        | no         | no                                              | no; only what a gateway process does |
 *
 * A gateway token is what `berth gateway` runs with: it reads servers and
 * policies, and ({@link mayActAsGateway}) reviews agent keys, files and consumes
 * approvals and appends call records — nothing else.
 * An agent token is an agent key: what one agent (its `agent` name) presents to a
 * gateway, which learns that name through a token review (routes-token-reviews.ts).
 * AccessPolicies grant scopes to agents, so only admins write them. Status is
 * written by the reconciler, which runs with an admin token (or in-process).
 */
import type { Kind, Resource } from '../../manifest/resource.ts';
import { ForbiddenError } from '../../client/errors.ts';
import { jsonEqual } from '../api/equality.ts';
import type { Principal } from './authenticate.ts';

/** Outcome of an authorization question: allowed, or refused with the reason. */
export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };

function teamOf(obj: Resource | undefined): string | undefined {
  const spec = obj?.spec as { owner?: { team?: unknown } } | undefined;
  return typeof spec?.owner?.team === 'string' ? spec.owner.team : undefined;
}

/** May `who` write spec/metadata of `kind`, turning `before` (absent on create) into `after` (absent on delete)? */
export function mayWriteObject(who: Principal, kind: Kind, before: Resource | undefined, after: Resource | undefined): Decision {
  switch (who.role) {
    case 'admin':
      return allow;
    case 'publisher': {
      if (kind !== 'MCPServer') return { allowed: false, reason: `publishers may not write ${kind} objects; ask an admin` };
      if (!who.team) return { allowed: false, reason: `publisher token ${who.tokenId} has no team` };
      for (const [label, obj] of [['stored', before], ['submitted', after]] as const) {
        if (obj && teamOf(obj) !== who.team) {
          return {
            allowed: false,
            reason: `the ${label} object belongs to team ${JSON.stringify(teamOf(obj) ?? '(none)')}; token ${who.tokenId} publishes for team ${JSON.stringify(who.team)}`,
          };
        }
      }
      return allow;
    }
    case 'approver': {
      if (kind !== 'MCPServer' || !before || !after) {
        return { allowed: false, reason: 'approvers may only change spec.lifecycle of an existing MCPServer' };
      }
      const strip = (o: Resource): unknown => ({
        labels: o.metadata.labels ?? {},
        annotations: o.metadata.annotations ?? {},
        spec: { ...(o.spec as object), lifecycle: undefined },
      });
      if (!jsonEqual(strip(before), strip(after))) {
        return { allowed: false, reason: 'approvers may only change spec.lifecycle; this write changes other fields' };
      }
      return allow;
    }
    default:
      return { allowed: false, reason: `role ${who.role} is read-only` };
  }
}

/** May `who` use admin-only endpoints (status writes, tokens, leases, audit append)? */
export function mayAdminister(who: Principal): Decision {
  return who.role === 'admin' ? allow : { allowed: false, reason: `this needs an admin token; ${who.tokenId} is ${who.role}` };
}

/** May `who` read the audit log? */
export function mayReadAudit(who: Principal): Decision {
  if (who.role === 'agent' || who.role === 'gateway') return { allowed: false, reason: `${who.role} tokens may not read the audit log` };
  return allow;
}

/** May `who` do what a gateway process does (review agent keys, file and consume approvals, append call records)? */
export function mayActAsGateway(who: Principal): Decision {
  return who.role === 'gateway' || who.role === 'admin' ? allow : { allowed: false, reason: `this needs a gateway or admin token; ${who.tokenId} is ${who.role}` };
}

/** Throws a 403 problem carrying the reason when `decision` refuses. */
export function enforce(decision: Decision): void {
  if (!decision.allowed) {
    throw new ForbiddenError(decision.reason);
  }
}

/**
 * May `who` read approvals and call records (which name agents, users, tools and,
 * where policy records them, arguments)? Admins, approvers and readers: the
 * people who govern. Not publishers, agents or gateways.
 */
export function mayReadCallAudit(who: Principal): Decision {
  return who.role === 'admin' || who.role === 'approver' || who.role === 'reader'
    ? allow
    : { allowed: false, reason: `approvals and call records are read with an admin, approver or reader token; ${who.tokenId} is ${who.role}` };
}

/** May `who` approve or deny a pending approval? Approvers and admins; never the agent or gateway that asked. */
export function mayDecideApprovals(who: Principal): Decision {
  return who.role === 'approver' || who.role === 'admin' ? allow : { allowed: false, reason: `approving or denying needs an approver or admin token; ${who.tokenId} is ${who.role}` };
}

/** May `who` read one approval by id? Those who may list them, and gateways (which poll the requests they filed). */
export function mayReadApproval(who: Principal): Decision {
  return who.role === 'gateway' ? allow : mayReadCallAudit(who);
}
