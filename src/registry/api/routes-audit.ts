/**
 * `GET|POST /apis/berth.dev/v1alpha1/audit`: read the change audit (any role but
 * agents), append to it (admin: the reconciler's drift records).
 */
import { RegistryError } from '../../client/errors.ts';
import type { AuditQuery } from '../../client/wire.ts';
import { enforce, mayControl, mayReadAudit } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { badQuery, intQuery, PREFIX, type ApiApp, type ApiDeps } from './context.ts';

/** Registers the audit routes. */
export function auditRoutes(app: ApiApp, { store }: ApiDeps): void {
  app.get(`${PREFIX}/audit`, async (c) => {
    enforce(mayReadAudit(c.get('principal')));
    const q: AuditQuery = {};
    for (const key of ['since', 'actor', 'kind', 'name', 'action'] as const) {
      const v = c.req.query(key);
      if (v) q[key] = v;
    }
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw badQuery(`since must be an RFC 3339 time (got ${JSON.stringify(q.since)})`);
    const limit = intQuery(c, 'limit', 1, 1000);
    if (limit !== undefined) q.limit = limit;
    return c.json({ items: await store.queryAudit(q) });
  });
  app.post(`${PREFIX}/audit`, async (c) => {
    enforce(mayControl(c.get('principal')));
    const body = await readObjectBody(c.req.raw);
    if (typeof body.actor !== 'string' || typeof body.action !== 'string') {
      throw new RegistryError(422, { type: 'invalid-audit', title: 'Invalid audit entry', detail: 'actor and action must be strings' });
    }
    const { id: _id, time: _time, ...entry } = body as Record<string, unknown>;
    const details = { ...((entry.details as Record<string, unknown> | undefined) ?? {}), submittedBy: c.get('principal').tokenId };
    const saved = await store.appendAudit({ ...(entry as { actor: string; action: string }), details });
    return c.json(saved, 201);
  });
}
