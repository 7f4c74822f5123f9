/**
 * What each role may do. One function per question; each returns the reason it
 * refuses, so the 403 says why. `test/registry-authz-matrix.test.ts` holds every
 * cell of this table to a real registry; the README's security notes repeat it.
 *
 * | role       | read/watch | spec, labels, annotations                         | finalizers | status, leases, audit append | approve/reject a stage | prune (delete with reason=prune) |
 * |------------|------------|---------------------------------------------------|------------|------------------------------|------------------------|----------------------------------|
 * | admin      | yes        | everything                                        | yes        | yes                          | yes                    | any object                       |
 * | controller | yes        | no                                                | yes        | yes                          | no                     | no                               |
 * | publisher  | yes        | MCPServers whose spec.owner.team is its team,     | no         | no                           | no                     | its team's MCPServers only       |
 * |            |            | before AND after the write; no AccessPolicies     |            |                              |                        |                                  |
 * | approver   | yes        | only `spec.lifecycle` of an existing MCPServer    | no         | no                           | yes                    | no                               |
 * | reader     | yes        | no                                                | no         | no                           | no                     | no                               |
 * | agent      | yes        | no                                                | no         | no                           | no                     | no                               |
 * | gateway    | yes        | no                                                | no         | no; only what a gateway does | no                     | no                               |
 *
 * A publisher's `spec.lifecycle` is a REQUEST: what runs is the effective stage
 * (src/manifest/approval.ts), which only approvals recorded through
 * {@link mayDecideStage} grant. The controller role is the reconciler's: it adds
 * and removes finalizers and writes status, leases and drift audit records, and
 * nothing else; `berth up`'s in-process reconciler acts as one.
 * A gateway token is what `berth gateway` runs with: it reads servers and
 * policies, and ({@link mayActAsGateway}) reviews agent keys, files and consumes
 * approvals and appends call records — nothing else.
 * An agent token is an agent key: what one agent (its `agent` name) presents to a
 * gateway, which learns that name through a token review (routes-token-reviews.ts).
 * AccessPolicies grant scopes to agents, so only admins write them.
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

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => jsonEqual([...(a ?? [])].sort(), [...(b ?? [])].sort());

/** Refuses a write by anyone but admin and controller that changes finalizers. */
function finalizersUnchanged(who: Principal, before: Resource | undefined, after: Resource | undefined): Decision {
  if (!after || sameList(before?.metadata.finalizers, after.metadata.finalizers)) return allow;
  return { allowed: false, reason: `only the controller (the reconciler) and admins write metadata.finalizers; token ${who.tokenId} is ${who.role}` };
}

/** May `who` write spec/metadata of `kind`, turning `before` (absent on create) into `after` (absent on delete)? */
export function mayWriteObject(who: Principal, kind: Kind, before: Resource | undefined, after: Resource | undefined): Decision {
  switch (who.role) {
    case 'admin':
      return allow;
    case 'controller': {
      if (kind !== 'MCPServer' || !before || !after) return { allowed: false, reason: 'the controller only adds and removes finalizers of existing MCPServers' };
      const user = (o: Resource): unknown => ({ labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {}, spec: o.spec });
      return jsonEqual(user(before), user(after)) ? allow : { allowed: false, reason: 'the controller only adds and removes finalizers; this write changes labels, annotations or spec' };
    }
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
      return finalizersUnchanged(who, before, after);
    }
    case 'approver': {
      if (kind !== 'MCPServer' || !before || !after) {
        return { allowed: false, reason: 'approvers may only change spec.lifecycle of an existing MCPServer (approve a stage with berth approve)' };
      }
      const strip = (o: Resource): unknown => ({
        labels: o.metadata.labels ?? {},
        annotations: o.metadata.annotations ?? {},
        spec: { ...(o.spec as object), lifecycle: undefined },
      });
      if (!jsonEqual(strip(before), strip(after))) {
        return { allowed: false, reason: 'approvers may only change spec.lifecycle; this write changes other fields' };
      }
      return finalizersUnchanged(who, before, after);
    }
    default:
      return { allowed: false, reason: `role ${who.role} is read-only` };
  }
}

/** May `who` use admin-only endpoints (tokens)? */
export function mayAdminister(who: Principal): Decision {
  return who.role === 'admin' ? allow : { allowed: false, reason: `this needs an admin token; ${who.tokenId} is ${who.role}` };
}

/** May `who` do what the reconciler does: write status, hold leases, append audit records? The controller and admins. */
export function mayControl(who: Principal): Decision {
  return who.role === 'controller' || who.role === 'admin'
    ? allow
    : { allowed: false, reason: `only the controller (the reconciler) and admins write status, leases and audit records; token ${who.tokenId} is ${who.role}` };
}

/**
 * May `who` approve or reject a lifecycle stage of an MCPServer? Approvers and
 * admins. A publisher never: its `spec.lifecycle` is a request, and approving it
 * is someone else's act.
 */
export function mayDecideStage(who: Principal): Decision {
  if (who.role === 'approver' || who.role === 'admin') return allow;
  const hint = who.role === 'publisher' ? ': a publisher requests a stage in spec.lifecycle; an approver approves it (berth approve)' : '';
  return { allowed: false, reason: `approving or rejecting a lifecycle stage needs an approver or admin token; ${who.tokenId} is ${who.role}${hint}` };
}

/**
 * May `who` prune `obj` (`berth apply --source S --prune`)? Admins any object;
 * others only objects their team owns, so another team labelling its objects with
 * this team's `berth.dev/source` cannot make this team's prune delete — or fail on — them.
 */
export function mayPrune(who: Principal, obj: Resource): Decision {
  if (who.role === 'admin') return allow;
  const team = teamOf(obj);
  if (who.team !== undefined && team === who.team) return allow;
  return {
    allowed: false,
    reason: `prune acts only on objects your team owns: ${obj.kind}/${obj.metadata.name} belongs to team ${JSON.stringify(team ?? '(none)')}; token ${who.tokenId} is ${who.role}${who.team ? ` of team ${JSON.stringify(who.team)}` : ' with no team'}`,
  };
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

/**
 * May `who` read who may call what (`…/mcpservers/<name>/access`, `…/agents`)?
 * Every role but agent and gateway: the answer names agents of every agent key
 * (never a token id), which an agent or gateway token could not list before.
 */
export function mayReadAccess(who: Principal): Decision {
  if (who.role === 'agent' || who.role === 'gateway') return { allowed: false, reason: `${who.role} tokens may not read the access matrix; use an admin, approver, publisher or reader token` };
  return allow;
}

/**
 * May `who` read a server's own output (`…/mcpservers/<name>/logs`)? Admins,
 * approvers, and publishers of the team that owns it: a server's output can hold
 * what its env values hold, so who sees its secrets (read-redaction.ts) less the
 * controller, which never needs it.
 */
export function mayReadServerLogs(who: Principal, server: Resource): Decision {
  if (who.role === 'admin' || who.role === 'approver') return allow;
  const team = teamOf(server);
  if (who.role === 'publisher' && who.team !== undefined && who.team === team) return allow;
  return {
    allowed: false,
    reason: `a server's logs are read by its owner team's publishers, approvers and admins; MCPServer/${server.metadata.name} belongs to team ${JSON.stringify(team ?? '(none)')} and token ${who.tokenId} is ${who.role}${who.team ? ` of team ${JSON.stringify(who.team)}` : ''}`,
  };
}
