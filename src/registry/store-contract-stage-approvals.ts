/**
 * The part of the store contract suite (`store-contract.ts`) about stage
 * approvals (`recordStageApproval`): appended newest last, a versioned write with
 * its MODIFIED event, never touching spec, generation, labels or status; kept
 * across spec updates and status writes; never taken from a caller's create or
 * update; bounded; refused with a stale version or an absent object, changing
 * nothing. Registered by `runStoreContract` inside its suite.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../client/errors.ts';
import { API_VERSION, type Resource } from '../manifest/resource.ts';
import type { StageApproval } from '../manifest/types.ts';
import { MAX_STAGE_APPROVALS, type Store } from './store.ts';

function server(name: string, counter = 0): Resource {
  return { apiVersion: API_VERSION, kind: 'MCPServer', metadata: { name, labels: { a: 'b' } }, spec: { owner: { team: 'payments' }, lifecycle: 'approved-dev', environment: 'dev', counter } };
}

function approval(n: number, over: Partial<StageApproval> = {}): StageApproval {
  return {
    stage: 'approved-dev',
    decision: 'approved',
    by: `tok_approver${String(n).padStart(4, '0')}`,
    role: 'approver',
    at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    note: `note ${n}`,
    specHash: 'a'.repeat(64),
    codeHash: 'b'.repeat(64),
    ...over,
  };
}

const approvalsOf = (o: Resource | undefined): StageApproval[] | undefined => (o?.metadata as { approvals?: StageApproval[] } | undefined)?.approvals;

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
}

/** Registers the stage-approval tests; `store` returns the current test's store. */
export function runStageApprovalContract(store: () => Store): void {
  describe('recordStageApproval', () => {
    it('appends newest last as a versioned write with a MODIFIED event, leaving spec, generation, labels and status alone', async () => {
      const s = store();
      await s.create(server('quote'));
      const withStatus = await s.updateStatus('MCPServer', 'quote', { phase: 'Ready' });
      const a1 = await s.recordStageApproval('MCPServer', 'quote', approval(1));
      const a2 = await s.recordStageApproval('MCPServer', 'quote', approval(2, { decision: 'rejected', stage: 'approved-production' }), { expectedResourceVersion: a1.metadata.resourceVersion! });
      expect(approvalsOf(a2)).toEqual([approval(1), approval(2, { decision: 'rejected', stage: 'approved-production' })]);
      expect(a2.metadata.resourceVersion).toBe('4');
      expect(a2.metadata.generation).toBe(1);
      expect(a2.spec).toEqual(withStatus.spec);
      expect(a2.status).toEqual({ phase: 'Ready' });
      expect(a2.metadata.labels).toEqual({ a: 'b' });
      expect(await s.get('MCPServer', 'quote')).toEqual(a2);
      const events = await s.changesSince(3);
      expect(events).toEqual([{ type: 'MODIFIED', object: a2, resourceVersion: 4 }]);
    });

    it('keeps approvals across spec updates and status writes; create and update never take them from the caller', async () => {
      const s = store();
      const forged = { ...server('quote'), metadata: { name: 'quote', approvals: [approval(9)] } } as Resource;
      const created = await s.create(forged);
      expect(approvalsOf(created)).toBeUndefined();
      await s.recordStageApproval('MCPServer', 'quote', approval(1));
      const updated = await s.update({ ...server('quote', 5), metadata: { name: 'quote', approvals: [approval(9)] } as Resource['metadata'] });
      expect(updated.metadata.generation).toBe(2);
      expect(approvalsOf(updated)).toEqual([approval(1)]);
      const status = await s.updateStatus('MCPServer', 'quote', { phase: 'Ready' });
      expect(approvalsOf(status)).toEqual([approval(1)]);
    });

    it(`keeps the newest ${MAX_STAGE_APPROVALS}`, async () => {
      const s = store();
      await s.create(server('quote'));
      for (let i = 0; i < MAX_STAGE_APPROVALS + 2; i++) await s.recordStageApproval('MCPServer', 'quote', approval(i));
      const kept = approvalsOf(await s.get('MCPServer', 'quote'))!;
      expect(kept).toHaveLength(MAX_STAGE_APPROVALS);
      expect(kept[0]).toEqual(approval(2));
      expect(kept.at(-1)).toEqual(approval(MAX_STAGE_APPROVALS + 1));
    });

    it('refuses a stale version and an absent object, changing nothing', async () => {
      const s = store();
      const v1 = await s.create(server('quote'));
      await s.recordStageApproval('MCPServer', 'quote', approval(1));
      const version = await s.currentVersion();
      await rejects(s.recordStageApproval('MCPServer', 'quote', approval(2), { expectedResourceVersion: v1.metadata.resourceVersion! }), ConflictError);
      await rejects(s.recordStageApproval('MCPServer', 'ghost', approval(2)), NotFoundError);
      expect(await s.currentVersion()).toBe(version);
      expect(approvalsOf(await s.get('MCPServer', 'quote'))).toEqual([approval(1)]);
    });
  });
}
