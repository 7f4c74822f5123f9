/**
 * Stage approvals for tests whose subject is not approval itself: a server
 * object carrying approvals of its current spec (for pure code fed objects), or
 * the approvals recorded in a real store (for code that reads the registry).
 */
import { codeHash, reviewHash } from '../../src/manifest/approval-hash.ts';
import type { ApprovableStage, MCPServer, MCPServerSpec, StageApproval } from '../../src/manifest/types.ts';
import type { Store } from '../../src/registry/store.ts';

/** Approvals of `spec` for `stages`, by `by` (distinct approvers: call once per approver). */
export function approvalsFor(spec: MCPServerSpec, stages: readonly ApprovableStage[] = ['approved-production'], by = 'tok_testapprover'): StageApproval[] {
  return stages.map((stage) => ({ stage, decision: 'approved', by, role: 'approver', at: '2026-01-01T00:00:00.000Z', specHash: reviewHash(spec), codeHash: codeHash(spec) }));
}

/**
 * `server` with approvals of its current spec (approved-production by default,
 * two approvers so high-risk servers qualify too), replacing any it had.
 */
export function withApprovals<T extends MCPServer>(server: T, stages: readonly ApprovableStage[] = ['approved-production']): T {
  const approvals = [...approvalsFor(server.spec, stages, 'tok_testapprover'), ...approvalsFor(server.spec, stages, 'tok_testapprover2')];
  return { ...server, metadata: { ...server.metadata, approvals } };
}

/** Records approvals (two approvers) of the stored spec of MCPServer `name` in `store`, as `berth approve` would. */
export async function approveInStore(store: Store, name: string, stages: readonly ApprovableStage[] = ['approved-production']): Promise<void> {
  for (const by of ['tok_testapprover', 'tok_testapprover2']) {
    const stored = await store.get('MCPServer', name);
    if (!stored) throw new Error(`approveInStore: MCPServer/${name} does not exist`);
    for (const a of approvalsFor(stored.spec as MCPServerSpec, stages, by)) await store.recordStageApproval('MCPServer', name, a);
  }
}

/** Creates `obj` in `store` and, for an MCPServer, records approvals of its spec (see {@link approveInStore}). */
export async function createApproved<T extends { kind: string; metadata: { name: string } }>(store: Store, obj: T): Promise<void> {
  await store.create(obj as unknown as Parameters<Store['create']>[0]);
  if (obj.kind === 'MCPServer') await approveInStore(store, obj.metadata.name);
}
