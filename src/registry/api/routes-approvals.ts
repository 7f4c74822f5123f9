/**
 * `…/approvals`: approvals-in-the-loop. A gateway files a request for one tool
 * call, an approver approves or denies it, and a gateway consumes the grant to
 * let exactly that call through, once, before the grant expires.
 *
 *   POST …/approvals                  file (gateway, admin); 201 new, 200 the open one for the same call
 *   GET  …/approvals[?status&agent&server&limit]   list, newest first (admin, approver, reader)
 *   GET  …/approvals/<id>             one (those, and gateways)
 *   POST …/approvals/<id>/approve     {reason?} (approver, admin); only from pending, else 409
 *   POST …/approvals/<id>/deny        {reason?} (approver, admin); only from pending, else 409
 *   POST …/approvals/<id>/consume     {agent, server, tool, argumentsHash} (gateway, admin);
 *                                     once; 409 not approved / denied / another call, 410 used / expired
 *
 * The store compares and sets, so of several gateways consuming one grant one
 * wins. Every state change appends an audit entry (`approval.request|approve|deny|consume`)
 * naming the call, never its arguments.
 */
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import { APPROVAL_STATUSES, type Approval, type ApprovalQuery, type ApprovalStatus } from '../../client/wire.ts';
import { APPROVAL_ID_PATTERN, approvalNotFoundMessage, newApproval } from '../approval-rules.ts';
import type { Principal } from '../auth/authenticate.ts';
import { enforce, mayActAsGateway, mayDecideApprovals, mayReadApproval, mayReadCallAudit } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { approvalCallOf, approvalRequestOf, decisionReasonOf } from './approval-shape.ts';
import { badQuery, intQuery, PREFIX, type ApiApp, type ApiDeps } from './context.ts';

/** How long a grant stays usable when the registry is not told otherwise: 10 minutes. */
export const DEFAULT_APPROVAL_TTL_MS = 10 * 60_000;

/** Options of {@link approvalRoutes}. */
export interface ApprovalRouteOptions {
  /** How long a grant stays usable after it is approved. */
  ttlMs: number;
}

const BASE = `${PREFIX}/approvals`;

/** The `:id` path parameter, or a 400 for anything that is not an approval id. */
function approvalId(id: string): string {
  if (!APPROVAL_ID_PATTERN.test(id)) {
    throw new RegistryError(400, { type: 'invalid-name', title: 'Invalid approval id', detail: `${JSON.stringify(id)} is not an approval id (apr_ followed by 24 hex characters)` });
  }
  return id;
}

/** The audit entry of one state change: who did what to which approval, naming the call but never its arguments. */
function auditEntry(who: Principal, action: string, a: Approval): Parameters<ApiDeps['store']['appendAudit']>[0] {
  return {
    actor: who.tokenId,
    action: `approval.${action}`,
    kind: 'Approval',
    name: a.id,
    details: {
      role: who.role,
      agent: a.agent,
      ...(a.user !== undefined ? { user: a.user } : {}),
      server: a.server,
      tool: a.tool,
      status: a.status,
      ...(a.reason !== undefined && action !== 'request' ? { reason: a.reason } : {}),
    },
  };
}

/** Registers the approval routes; call before the generic resource routes. */
export function approvalRoutes(app: ApiApp, { store, clock }: ApiDeps, opts: ApprovalRouteOptions): void {
  app.post(BASE, async (c) => {
    const who = c.get('principal');
    enforce(mayActAsGateway(who));
    const request = approvalRequestOf(await readObjectBody(c.req.raw));
    const now = clock();
    // The audit record commits with the approval write (only a new request writes one).
    const { approval, created } = await store.requestApproval(newApproval(request, now), now.getTime(), { audit: (a) => auditEntry(who, 'request', a) });
    return c.json(approval, created ? 201 : 200);
  });

  app.get(BASE, async (c) => {
    enforce(mayReadCallAudit(c.get('principal')));
    const q: ApprovalQuery = {};
    const status = c.req.query('status');
    if (status) {
      if (!(APPROVAL_STATUSES as readonly string[]).includes(status)) throw badQuery(`status must be one of ${APPROVAL_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
      q.status = status as ApprovalStatus;
    }
    for (const key of ['agent', 'server'] as const) {
      const v = c.req.query(key);
      if (v) q[key] = v;
    }
    const limit = intQuery(c, 'limit', 1, 1000);
    if (limit !== undefined) q.limit = limit;
    return c.json({ items: await store.listApprovals(q, clock().getTime()) });
  });

  app.get(`${BASE}/:id`, async (c) => {
    enforce(mayReadApproval(c.get('principal')));
    const id = approvalId(c.req.param('id'));
    const approval = await store.getApproval(id, clock().getTime());
    if (approval === undefined) throw new NotFoundError(approvalNotFoundMessage(id));
    return c.json(approval);
  });

  for (const verdict of ['approve', 'deny'] as const) {
    app.post(`${BASE}/:id/${verdict}`, async (c) => {
      const who = c.get('principal');
      enforce(mayDecideApprovals(who));
      const id = approvalId(c.req.param('id'));
      const reason = decisionReasonOf(await readObjectBody(c.req.raw));
      const now = clock();
      const decided = await store.decideApproval(
        id,
        {
          status: verdict === 'approve' ? 'approved' : 'denied',
          decidedBy: who.tokenId,
          decidedAt: now.toISOString(),
          ...(reason !== undefined ? { reason } : {}),
          ...(verdict === 'approve' ? { expiresAt: new Date(now.getTime() + opts.ttlMs).toISOString() } : {}),
        },
        now.getTime(),
        { audit: (a) => auditEntry(who, verdict, a) },
      );
      return c.json(decided);
    });
  }

  app.post(`${BASE}/:id/consume`, async (c) => {
    const who = c.get('principal');
    enforce(mayActAsGateway(who));
    const id = approvalId(c.req.param('id'));
    const call = approvalCallOf(await readObjectBody(c.req.raw));
    const used = await store.consumeApproval(id, call, clock().getTime(), { audit: (a) => auditEntry(who, 'consume', a) });
    return c.json(used);
  });

  // Anything else under approvals is not a resource kind: say what approvals take rather than "unknown resource type".
  const elsewhere = (c: { req: { method: string; path: string } }): never => {
    throw new RegistryError(404, {
      type: 'no-route',
      title: 'No such endpoint',
      detail: `no route for ${c.req.method} ${c.req.path}: approvals take GET|POST ${BASE}, GET ${BASE}/<id> and POST ${BASE}/<id>/approve|deny|consume`,
    });
  };
  app.all(BASE, elsewhere);
  app.all(`${BASE}/*`, elsewhere);
}
