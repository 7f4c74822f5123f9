/**
 * `GET|POST /apis/berth.dev/v1alpha1/audit`: read the change audit (any role but
 * agents and gateways; `?actor&kind&name&action&since&until&limit&continue`, newest
 * first, `continue` in the answer when the page was full), append to it (admin: the reconciler's drift records).
 */
import { RegistryError } from '../../client/errors.ts';
import type { AuditEntry, AuditQuery, RecordPage } from '../../client/wire.ts';
import { encodeAuditCursor } from '../store-semantics.ts';
import { enforce, mayControl, mayReadAudit } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, recordPage, recordWindowQuery, type ApiApp, type ApiDeps } from './context.ts';

/** Registers the audit routes. */
export function auditRoutes(app: ApiApp, { store }: ApiDeps): void {
  app.get(`${PREFIX}/audit`, async (c) => {
    enforce(mayReadAudit(c.get('principal')));
    const q: AuditQuery = recordWindowQuery(c);
    for (const key of ['actor', 'kind', 'name', 'action'] as const) {
      const v = c.req.query(key);
      if (v) q[key] = v;
    }
    const page: RecordPage<AuditEntry> = recordPage(await store.queryAudit(q), q.limit!, (last) => encodeAuditCursor(last.id!));
    return c.json(page);
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
