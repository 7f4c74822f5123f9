/**
 * Lifecycle approvals and "who am I":
 *
 *   POST …/mcpservers/<name>/approvals   {stage, decision?, note?, specHash?} (approver, admin)
 *        records one decision on a stage, bound to the spec stored now; 201 with
 *        `{ object, effective }` (the object with its approvals, and its effective stage)
 *   GET  …/whoami                        the caller's token id, role and team (any token)
 *
 * `spec.lifecycle` is what the owning team requests; this is the separate act that
 * grants it (see src/manifest/approval.ts). A decision names the spec it is about
 * by its review and code hashes; when the approver sends the `specHash` they
 * reviewed and the stored spec has moved on, it is refused (409) rather than
 * approving something nobody looked at. A rejection needs a note saying why.
 * Every decision appends an audit entry (`stage.approve` / `stage.reject`).
 */
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import type { StageDecisionRequest } from '../../client/wire.ts';
import { codeHash, effectiveStageOf, reviewHash } from '../../manifest/index.ts';
import type { MCPServer, StageApproval } from '../../manifest/types.ts';
import { enforce, mayDecideStage } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { requireName } from './names.ts';

const STAGES = ['approved-dev', 'approved-production'] as const;
const MAX_NOTE = 1000;

function invalid(detail: string): RegistryError {
  return new RegistryError(422, { type: 'invalid-stage-decision', title: 'Invalid stage decision', detail });
}

/** The decision request in `body`, or a 422 saying what is wrong. */
function decisionOf(body: Record<string, unknown>): StageDecisionRequest {
  const { stage, decision = 'approved', note, specHash } = body;
  if (typeof stage !== 'string' || !(STAGES as readonly string[]).includes(stage)) {
    throw invalid(`stage must be one of ${STAGES.join(', ')} (got ${JSON.stringify(stage)}); draft, submitted and security-review need no approval`);
  }
  if (decision !== 'approved' && decision !== 'rejected') throw invalid(`decision must be "approved" or "rejected" (got ${JSON.stringify(decision)})`);
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE)) throw invalid(`note must be a string of at most ${MAX_NOTE} characters`);
  if (decision === 'rejected' && (typeof note !== 'string' || note.trim() === '')) throw invalid('a rejection needs a note saying why (--note)');
  if (specHash !== undefined && (typeof specHash !== 'string' || !/^[0-9a-f]{8,64}$/.test(specHash))) throw invalid('specHash must be 8 to 64 lower-case hex digits');
  return {
    stage: stage as StageDecisionRequest['stage'],
    decision,
    ...(typeof note === 'string' && note !== '' ? { note } : {}),
    ...(typeof specHash === 'string' ? { specHash } : {}),
  };
}

/** Registers the stage approval and whoami routes; call before the generic resource routes. */
export function stageApprovalRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.get(`${PREFIX}/whoami`, (c) => {
    const who = c.get('principal');
    return c.json({ tokenId: who.tokenId, role: who.role, ...(who.team !== undefined ? { team: who.team } : {}) });
  });

  app.post(`${PREFIX}/mcpservers/:name/approvals`, async (c) => {
    const who = c.get('principal');
    enforce(mayDecideStage(who));
    const name = requireName(c.req.param('name'));
    const req = decisionOf(await readObjectBody(c.req.raw));
    const stored = (await store.get('MCPServer', name)) as MCPServer | undefined;
    if (!stored) throw new NotFoundError(`MCPServer/${name} does not exist: check the name, or list what exists with \`berth get servers\`.`);
    if (stored.metadata.deletionTimestamp !== undefined) {
      throw new RegistryError(409, { type: 'deleting', title: 'Object is being deleted', detail: `MCPServer/${name} is being deleted (since ${stored.metadata.deletionTimestamp}); there is nothing to approve` });
    }
    const review = reviewHash(stored.spec);
    if (req.specHash !== undefined && !review.startsWith(req.specHash)) {
      throw new RegistryError(409, {
        type: 'spec-changed',
        title: 'The spec changed',
        detail: `MCPServer/${name} is now at spec ${review.slice(0, 8)}, not ${req.specHash.slice(0, 8)} as reviewed; review it again (berth describe server ${name})`,
      });
    }
    const approval: StageApproval = {
      stage: req.stage,
      decision: req.decision,
      by: who.tokenId,
      role: who.role === 'admin' ? 'admin' : 'approver',
      at: clock().toISOString(),
      ...(req.note !== undefined ? { note: req.note } : {}),
      specHash: review,
      codeHash: codeHash(stored.spec),
    };
    // Bound to the version read: a spec written in between makes this a 409, never an approval of an unseen spec.
    // The audit entry commits with the decision (the store's audited writes).
    const object = (await store.recordStageApproval('MCPServer', name, approval, {
      expectedResourceVersion: stored.metadata.resourceVersion!,
      audit: ({ after }) => ({
        actor: who.tokenId,
        action: req.decision === 'approved' ? 'stage.approve' : 'stage.reject',
        kind: 'MCPServer',
        name,
        ...(after?.metadata.generation !== undefined ? { generationAfter: after.metadata.generation } : {}),
        details: { role: who.role, stage: req.stage, specHash: review, codeHash: approval.codeHash, ...(req.note !== undefined ? { note: req.note } : {}) },
      }),
    })) as MCPServer;
    return c.json({ object, effective: effectiveStageOf(object, clock()) }, 201);
  });
}
