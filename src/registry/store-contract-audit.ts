/**
 * The part of the store contract suite (`store-contract.ts`) about audit records
 * that commit with the writes they record (the `audit` option of every write):
 * an effective write has exactly its record, carrying the outcome (version,
 * generations); a write that changes nothing, fails or is a dry run has none.
 * Approval writes likewise. Also `probeWrite`. Registered by `runStoreContract` inside its suite.
 */
import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ApprovalConflictError, ApprovalGoneError, ConflictError, NotFoundError } from '../client/errors.ts';
import type { Approval } from '../client/wire.ts';
import { newApproval } from './approval-rules.ts';
import { API_VERSION, type Resource } from '../manifest/resource.ts';
import type { AuditOf, Store } from './store.ts';

function server(name: string, counter = 0, finalizers?: string[]): Resource {
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name, ...(finalizers ? { finalizers } : {}) },
    spec: { owner: { team: 'payments' }, lifecycle: 'draft', environment: 'dev', counter },
  };
}

/** An audit builder that records the outcome it was given, so the test can compare. */
function recorder(action: string): AuditOf {
  return ({ before, after }) => ({
    actor: 'tok_contract0001',
    action,
    kind: 'MCPServer',
    name: (after ?? before)!.metadata.name,
    ...(before?.metadata.generation !== undefined ? { generationBefore: before.metadata.generation } : {}),
    ...(after?.metadata.generation !== undefined ? { generationAfter: after.metadata.generation } : {}),
    details: { resourceVersion: after?.metadata.resourceVersion ?? null, removed: after === undefined },
  });
}

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
}

/** Registers the audited-write tests; `store` returns the current test's store. */
export function runAuditedWriteContract(store: () => Store): void {
  describe('audit records commit with their writes', () => {
    it('create, update, status and delete each record exactly one entry carrying the outcome', async () => {
      const s = store();
      const created = await s.create(server('weather'), { audit: recorder('create') });
      const spec = { ...(created.spec as object), counter: 1 };
      const updated = await s.update({ ...created, spec }, { audit: recorder('update') });
      const withStatus = await s.updateStatus('MCPServer', 'weather', { phase: 'Ready' }, { audit: recorder('status') });
      const gone = await s.delete('MCPServer', 'weather', { audit: recorder('delete') });
      expect(gone.removed).toBe(true);
      const entries = (await s.queryAudit({ name: 'weather' })).reverse();
      expect(entries.map((e) => e.action)).toEqual(['create', 'update', 'status', 'delete']);
      expect(entries.map((e) => e.details?.resourceVersion)).toEqual([created.metadata.resourceVersion, updated.metadata.resourceVersion, withStatus.metadata.resourceVersion, null]);
      expect(entries[1]).toMatchObject({ generationBefore: 1, generationAfter: 2 });
      expect(entries[3]!.details?.removed).toBe(true);
      for (const e of entries) expect(e.details?.unconfirmed, 'no record may stay unconfirmed after a completed write').toBeUndefined();
    });

    it('a delete that only marks the object deleting records the marked object', async () => {
      const s = store();
      await s.create(server('held', 0, ['berth.dev/cleanup']));
      const marked = await s.delete('MCPServer', 'held', { audit: recorder('delete') });
      expect(marked.removed).toBe(false);
      const [entry] = await s.queryAudit({ name: 'held' });
      expect(entry?.details).toMatchObject({ resourceVersion: marked.object.metadata.resourceVersion, removed: false });
    });

    it('records nothing for a write that changes nothing, fails, or is a dry run', async () => {
      const s = store();
      const created = await s.create(server('quiet'));
      const never: AuditOf = () => {
        throw new Error('the audit builder must not run for a write that changes nothing');
      };
      await s.update(created, { audit: never });
      await s.updateStatus('MCPServer', 'quiet', undefined, { audit: never });
      await rejects(s.create(server('quiet'), { audit: recorder('create') }), AlreadyExistsError);
      await rejects(s.update({ ...created, spec: { counter: 9 } }, { expectedResourceVersion: '999', audit: recorder('update') }), ConflictError);
      await rejects(s.delete('MCPServer', 'absent', { audit: recorder('delete') }), NotFoundError);
      await s.create(server('dry'), { dryRun: true, audit: recorder('create') });
      await s.update({ ...created, spec: { counter: 5 } }, { dryRun: true, audit: recorder('update') });
      expect(await s.queryAudit()).toEqual([]);
    });

    it('a failing audit builder fails the write, and the write leaves nothing behind', async () => {
      const s = store();
      const before = await s.currentVersion();
      const broken: AuditOf = () => {
        throw new Error('audit builder failed');
      };
      await expect(s.create(server('unaudited'), { audit: broken })).rejects.toThrow(/audit builder failed/);
      expect(await s.get('MCPServer', 'unaudited')).toBeUndefined();
      expect(await s.currentVersion()).toBe(before);
      expect(await s.queryAudit()).toEqual([]);
    });

    it('token writes commit their audit entry; revoking an unknown token records nothing', async () => {
      const s = store();
      const record = { id: 'tok_auditcontr1', role: 'reader' as const, hash: 'a'.repeat(64), createdAt: '2030-01-01T00:00:00.000Z' };
      await s.putToken(record, { audit: { actor: 'tok_admin000001', action: 'token.create', details: { tokenId: record.id } } });
      expect(await s.revokeToken(record.id, '2030-01-02T00:00:00.000Z', { audit: { actor: 'tok_admin000001', action: 'token.revoke', details: { tokenId: record.id } } })).toBe(true);
      expect(await s.revokeToken('tok_nosuchtoken', '2030-01-02T00:00:00.000Z', { audit: { actor: 'tok_admin000001', action: 'token.revoke' } })).toBe(false);
      const entries = await s.queryAudit();
      expect(entries.map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
    });

    it('approval writes commit their audit entry; a request answered by the open one, or a lost decision, records nothing', async () => {
      const s = store();
      const call = { agent: 'agent-a', server: 'crm', tool: 'update', argumentsHash: '7'.repeat(64) };
      const now = Date.parse('2030-01-01T00:00:00.000Z');
      const audit = (action: string) => (a: Approval) => ({ actor: 'tok_contract0001', action: `approval.${action}`, kind: 'Approval', name: a.id, details: { status: a.status } });
      const filed = await s.requestApproval(newApproval(call, new Date(now)), now, { audit: audit('request') });
      expect(filed.created).toBe(true);
      const again = await s.requestApproval(newApproval(call, new Date(now)), now, { audit: audit('request') });
      expect(again.created).toBe(false);
      const decision = { status: 'approved' as const, decidedBy: 'tok_approver0001', decidedAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString() };
      await s.decideApproval(filed.approval.id, decision, now, { audit: audit('approve') });
      await rejects(s.decideApproval(filed.approval.id, { ...decision, status: 'denied' }, now, { audit: audit('deny') }), ApprovalConflictError);
      await s.consumeApproval(filed.approval.id, call, now, { audit: audit('consume') });
      await rejects(s.consumeApproval(filed.approval.id, call, now, { audit: audit('consume') }), ApprovalGoneError);
      const entries = (await s.queryAudit({ name: filed.approval.id })).reverse();
      expect(entries.map((e) => [e.action, e.details?.status])).toEqual([
        ['approval.request', 'pending'],
        ['approval.approve', 'approved'],
        ['approval.consume', 'consumed'],
      ]);
    });

    it('probeWrite succeeds on a writable store and leaves no resource history', async () => {
      const s = store();
      const before = await s.currentVersion();
      await s.probeWrite();
      await s.probeWrite();
      expect(await s.currentVersion()).toBe(before);
      expect(await s.changesSince(0)).toEqual([]);
    });
  });
}
