/**
 * The part of the store contract suite (`store-contract.ts`) about the gateway's
 * records: approvals (one open per call, decided once, consumed once by exactly
 * one of several concurrent consumers, expiry by the clock passed in) and call
 * records (ids, order, filters, all-or-none batches). Registered by
 * `runStoreContract` inside its suite, with the store of the current test.
 */
import { describe, expect, it } from 'vitest';
import { ApprovalConflictError, ApprovalGoneError, InvalidRequestError, NotFoundError, type RegistryError } from '../client/errors.ts';
import type { Approval, ApprovalCall, CallRecord } from '../client/wire.ts';
import { newApproval } from './approval-rules.ts';
import type { Store } from './store.ts';
import { encodeCallRecordCursor } from './store-semantics.ts';

const T0 = Date.parse('2020-03-01T12:00:00.000Z'); // before any test run, so records timed "now" are the newest
const MINUTE = 60_000;

/** A call to approve; `n` varies the arguments hash. */
function call(n = 1, over: Partial<ApprovalCall> = {}): ApprovalCall {
  return { agent: 'agent-a', server: 'crm', tool: 'updateOpportunity', argumentsHash: String(n % 10).repeat(64), ...over };
}

/** A new pending approval for `c`, requested at `at`. */
const pending = (c: ApprovalCall, at = T0): Approval => newApproval(c, new Date(at));

const approve = (store: Store, id: string, at = T0 + MINUTE, ttl = 10 * MINUTE): Promise<Approval> =>
  store.decideApproval(id, { status: 'approved', decidedBy: 'tok_approver0001', decidedAt: new Date(at).toISOString(), reason: 'ok', expiresAt: new Date(at + ttl).toISOString() }, at);

/** The error `p` rejects with, asserting its class and refusal reason. */
async function refused(p: Promise<unknown>, type: typeof ApprovalConflictError | typeof ApprovalGoneError, reason: string): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name} (${reason})`).toBeInstanceOf(type);
  expect((err as InstanceType<typeof type>).reason).toBe(reason);
  return err as RegistryError;
}

function record(i: number, over: Partial<CallRecord> = {}): CallRecord {
  return {
    time: new Date(T0 + i * 1000).toISOString(),
    agent: i % 2 === 0 ? 'agent-a' : 'agent-b',
    server: i % 3 === 0 ? 'crm' : 'wiki',
    tool: i % 3 === 0 ? 'updateOpportunity' : 'search',
    method: 'tools/call',
    scopes: ['crm.write'],
    decision: i % 4 === 0 ? 'deny' : 'allow',
    reason: `call ${i}`,
    latencyMs: i,
    status: 200,
    ...over,
  };
}

/** Registers the approval and call record cases; `store()` is the current test's store. */
export function runApprovalAndCallRecordContract(store: () => Store): void {
  describe('approvals', () => {
    it('files a pending request; the same call gets the open one back, another call a new one', async () => {
      const first = await store().requestApproval(pending(call(1)), T0);
      expect(first.created).toBe(true);
      expect(first.approval).toMatchObject({ status: 'pending', agent: 'agent-a', server: 'crm', requestedAt: new Date(T0).toISOString() });
      expect(first.approval.id).toMatch(/^apr_[0-9a-f]{24}$/);
      const again = await store().requestApproval(pending(call(1), T0 + 1000), T0 + 1000);
      expect(again).toEqual({ approval: first.approval, created: false });
      const other = await store().requestApproval(pending(call(2), T0 + 2000), T0 + 2000);
      expect(other.created).toBe(true);
      expect(await store().getApproval(first.approval.id, T0)).toEqual(first.approval);
      expect(await store().getApproval('apr_000000000000000000000000', T0)).toBeUndefined();
    });

    it('approves or denies only from pending, and says the status it found', async () => {
      const { approval: a } = await store().requestApproval(pending(call(1)), T0);
      const granted = await approve(store(), a.id);
      expect(granted).toMatchObject({ status: 'approved', decidedBy: 'tok_approver0001', reason: 'ok', expiresAt: new Date(T0 + 11 * MINUTE).toISOString() });
      expect(await store().getApproval(a.id, T0 + 2 * MINUTE)).toEqual(granted);
      const err = await refused(store().decideApproval(a.id, { status: 'denied', decidedBy: 'tok_other', decidedAt: new Date(T0).toISOString() }, T0 + 2 * MINUTE), ApprovalConflictError, 'decided');
      expect(err.status).toBe(409);
      expect(err.message).toMatch(/is approved by tok_approver0001/);
      const { approval: b } = await store().requestApproval(pending(call(2)), T0);
      expect(await store().decideApproval(b.id, { status: 'denied', decidedBy: 'tok_approver0001', decidedAt: new Date(T0).toISOString(), reason: 'no' }, T0)).toMatchObject({ status: 'denied', reason: 'no' });
      await expect(store().decideApproval('apr_000000000000000000000000', { status: 'denied', decidedBy: 'x', decidedAt: new Date(T0).toISOString() }, T0)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('consumes a grant once, for exactly its call; says why otherwise', async () => {
      const { approval: a } = await store().requestApproval(pending(call(1)), T0);
      await refused(store().consumeApproval(a.id, call(1), T0), ApprovalConflictError, 'pending');
      await approve(store(), a.id);
      const err = await refused(store().consumeApproval(a.id, call(2), T0 + 2 * MINUTE), ApprovalConflictError, 'mismatch');
      expect(err.message).toMatch(/the arguments differ/);
      await refused(store().consumeApproval(a.id, call(1, { agent: 'agent-b', tool: 'x' }), T0 + 2 * MINUTE), ApprovalConflictError, 'mismatch');
      const used = await store().consumeApproval(a.id, call(1), T0 + 2 * MINUTE);
      expect(used).toMatchObject({ status: 'consumed', consumedAt: new Date(T0 + 2 * MINUTE).toISOString() });
      const again = await refused(store().consumeApproval(a.id, call(1), T0 + 3 * MINUTE), ApprovalGoneError, 'consumed');
      expect(again.status).toBe(410);
      const { approval: d } = await store().requestApproval(pending(call(3)), T0);
      await store().decideApproval(d.id, { status: 'denied', decidedBy: 'tok_approver0001', decidedAt: new Date(T0).toISOString() }, T0);
      await refused(store().consumeApproval(d.id, call(3), T0), ApprovalConflictError, 'denied');
      await expect(store().consumeApproval('apr_000000000000000000000000', call(1), T0)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('a grant past its TTL reads expired and cannot be consumed; the call may be requested anew', async () => {
      const { approval: a } = await store().requestApproval(pending(call(1)), T0);
      await approve(store(), a.id, T0 + MINUTE, 5 * MINUTE); // expires at T0 + 6 min
      expect((await store().getApproval(a.id, T0 + 6 * MINUTE - 1))?.status).toBe('approved');
      expect((await store().getApproval(a.id, T0 + 6 * MINUTE))?.status).toBe('expired');
      // While the grant stands, a request for the same call gets it back (the gateway consumes it next).
      expect(await store().requestApproval(pending(call(1), T0 + 2 * MINUTE), T0 + 2 * MINUTE)).toMatchObject({ created: false, approval: { id: a.id, status: 'approved' } });
      await refused(store().consumeApproval(a.id, call(1), T0 + 7 * MINUTE), ApprovalGoneError, 'expired');
      const fresh = await store().requestApproval(pending(call(1), T0 + 8 * MINUTE), T0 + 8 * MINUTE);
      expect(fresh.created).toBe(true);
      expect(fresh.approval.id).not.toBe(a.id);
      expect((await store().listApprovals({ status: 'expired' }, T0 + 8 * MINUTE)).map((x) => x.id)).toEqual([a.id]);
      expect(await store().listApprovals({ status: 'approved' }, T0 + 8 * MINUTE)).toEqual([]);
      expect((await store().listApprovals({ status: 'approved' }, T0 + 2 * MINUTE)).map((x) => x.id)).toEqual([a.id]);
    });

    it('after a denial or a use, the same call files a new request', async () => {
      const { approval: a } = await store().requestApproval(pending(call(1)), T0);
      await store().decideApproval(a.id, { status: 'denied', decidedBy: 'tok_approver0001', decidedAt: new Date(T0).toISOString() }, T0);
      const b = await store().requestApproval(pending(call(1), T0 + 1000), T0 + 1000);
      expect(b.created).toBe(true);
      await approve(store(), b.approval.id);
      await store().consumeApproval(b.approval.id, call(1), T0 + 2 * MINUTE);
      const c = await store().requestApproval(pending(call(1), T0 + 3 * MINUTE), T0 + 3 * MINUTE);
      expect(c.created).toBe(true);
      expect(new Set([a.id, b.approval.id, c.approval.id]).size).toBe(3);
    });

    it('lists newest first, filtered by status, agent and server, with a limit', async () => {
      const a = (await store().requestApproval(pending(call(1), T0), T0)).approval;
      const b = (await store().requestApproval(pending(call(2, { agent: 'agent-b' }), T0 + 1000), T0)).approval;
      const c = (await store().requestApproval(pending(call(3, { server: 'wiki' }), T0 + 2000), T0)).approval;
      await approve(store(), b.id);
      const ids = (xs: Approval[]): string[] => xs.map((x) => x.id);
      expect(ids(await store().listApprovals({}, T0 + 2 * MINUTE))).toEqual([c.id, b.id, a.id]);
      expect(ids(await store().listApprovals({ status: 'pending' }, T0 + 2 * MINUTE))).toEqual([c.id, a.id]);
      expect(ids(await store().listApprovals({ status: 'approved' }, T0 + 2 * MINUTE))).toEqual([b.id]);
      expect(ids(await store().listApprovals({ agent: 'agent-b' }, T0 + 2 * MINUTE))).toEqual([b.id]);
      expect(ids(await store().listApprovals({ server: 'wiki' }, T0 + 2 * MINUTE))).toEqual([c.id]);
      expect(ids(await store().listApprovals({ limit: 2 }, T0 + 2 * MINUTE))).toEqual([c.id, b.id]);
      await expect(store().listApprovals({ limit: 0 })).rejects.toBeInstanceOf(InvalidRequestError);
    });

    it('of 10 concurrent consumers of one grant exactly one wins; the others hear it was used', async () => {
      const { approval: a } = await store().requestApproval(pending(call(1)), T0);
      await approve(store(), a.id);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => store().consumeApproval(a.id, call(1), T0 + 2 * MINUTE)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as ApprovalGoneError).reason).toBe('consumed');
    });

    it('10 concurrent requests for one call file one approval', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store().requestApproval(pending(call(1), T0 + i), T0 + 10)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.approval.id)).size).toBe(1);
    });
  });

  describe('call records', () => {
    it('appends with increasing ids and missing times, and queries newest first with every filter', async () => {
      const batch = Array.from({ length: 12 }, (_, i) => record(i));
      const saved = await store().appendCallRecords(batch);
      expect(saved.map((r) => r.id)).toEqual([...saved.map((r) => r.id!)].sort((x, y) => x - y));
      const { time: _none, ...untimed } = record(99, { agent: 'agent-c', server: 'other', tool: 'other' });
      const [late] = await store().appendCallRecords([untimed]);
      expect(Date.parse(late!.time!)).toBeGreaterThan(T0 + 11_000); // now, which is after every timed record
      expect(late!.time).toBe(new Date(late!.time!).toISOString());
      const reasons = (rs: CallRecord[]): string[] => rs.map((r) => r.reason);
      const all = await store().queryCallRecords({ limit: 1000 });
      expect(reasons(all)).toEqual(['call 99', ...Array.from({ length: 12 }, (_, i) => `call ${11 - i}`)]);
      expect(reasons(await store().queryCallRecords({ agent: 'agent-b' }))).toEqual(['call 11', 'call 9', 'call 7', 'call 5', 'call 3', 'call 1']);
      expect(reasons(await store().queryCallRecords({ server: 'crm' }))).toEqual(['call 9', 'call 6', 'call 3', 'call 0']);
      expect(reasons(await store().queryCallRecords({ server: 'wiki', tool: 'search', limit: 3 }))).toEqual(['call 11', 'call 10', 'call 8']);
      expect(reasons(await store().queryCallRecords({ tool: 'updateOpportunity' }))).toEqual(['call 9', 'call 6', 'call 3', 'call 0']);
      expect(reasons(await store().queryCallRecords({ decision: 'deny' }))).toEqual(['call 8', 'call 4', 'call 0']);
      expect(reasons(await store().queryCallRecords({ since: new Date(T0 + 10_000).toISOString(), limit: 2 }))).toEqual(['call 99', 'call 11']);
      const both = await store().queryCallRecords({ agent: 'agent-a', decision: 'deny', tool: 'search', since: new Date(T0 + 5_000).toISOString() });
      expect(both).toEqual([saved[8]]);
    });

    it('filters by user and an [since, until) window, and pages with continue through ties in time', async () => {
      const tie = new Date(T0 + 5_000).toISOString();
      // Records 3..6 share one time, so the page boundary falls inside a tie and the id breaks it.
      const batch = Array.from({ length: 10 }, (_, i) => record(i, { ...(i >= 3 && i <= 6 ? { time: tie } : {}), ...(i % 2 === 0 ? { user: 'ana@example.com' } : {}) }));
      await store().appendCallRecords(batch);
      const reasons = (rs: CallRecord[]): string[] => rs.map((r) => r.reason);
      expect(reasons(await store().queryCallRecords({ user: 'ana@example.com' }))).toEqual(['call 8', 'call 6', 'call 4', 'call 2', 'call 0']);
      expect(reasons(await store().queryCallRecords({ since: new Date(T0 + 1_000).toISOString(), until: new Date(T0 + 7_000).toISOString() }))).toEqual(['call 6', 'call 5', 'call 4', 'call 3', 'call 2', 'call 1']);
      const pages: string[][] = [];
      let next: string | undefined;
      do {
        const page = await store().queryCallRecords({ limit: 3, ...(next !== undefined ? { continue: next } : {}) });
        pages.push(reasons(page));
        next = page.length === 3 ? encodeCallRecordCursor(page.at(-1)!) : undefined;
      } while (next !== undefined);
      expect(pages.flat()).toEqual(['call 9', 'call 8', 'call 7', 'call 6', 'call 5', 'call 4', 'call 3', 'call 2', 'call 1', 'call 0']);
      const [first] = await store().queryCallRecords({ limit: 1, decision: 'allow', until: tie });
      expect(first?.reason).toBe('call 2');
      expect(reasons(await store().queryCallRecords({ decision: 'allow', continue: encodeCallRecordCursor(first!) }))).toEqual(['call 1']);
      await expect(store().queryCallRecords({ continue: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidRequestError);
    });

    it('keeps arguments and results as sent, keys with `$` and dots included', async () => {
      const args = { $where: 'x', 'a.b': { c: [1, null, 'two'] } };
      await store().appendCallRecords([record(1, { arguments: args, result: { content: [{ type: 'text', text: 'ok' }] }, approvalId: 'apr_1', upstreamStatus: 200 })]);
      const [got] = await store().queryCallRecords();
      expect(got).toMatchObject({ arguments: args, result: { content: [{ type: 'text', text: 'ok' }] }, approvalId: 'apr_1', upstreamStatus: 200 });
    });

    it('writes a batch all or none: one malformed record refuses the whole batch', async () => {
      const bad = [record(1), record(2), { ...record(3), decision: 'maybe' } as unknown as CallRecord];
      const err = await store().appendCallRecords(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).errors?.map((e) => e.path)).toEqual(['records[2].decision']);
      expect(await store().queryCallRecords()).toEqual([]);
    });

    it('takes a batch of 1,000 in one call', async () => {
      const saved = await store().appendCallRecords(Array.from({ length: 1000 }, (_, i) => record(i, { time: new Date(T0 + i).toISOString() })));
      expect(new Set(saved.map((r) => r.id)).size).toBe(1000);
      const got = await store().queryCallRecords({ limit: 1000 });
      expect(got).toHaveLength(1000);
      expect(got[0]!.reason).toBe('call 999');
      expect(got.at(-1)!.reason).toBe('call 0');
    });
  });
}
