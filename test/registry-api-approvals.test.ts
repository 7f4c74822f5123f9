/**
 * Approvals-in-the-loop and the gateway's call records through the registry
 * API, over a real socket and a real SQLite file: the approval state machine
 * (file → approve → consume once; deny; expiry; another call's arguments), who
 * may do what, concurrent consumes (exactly one wins), the audit trail (which
 * never holds arguments), and call record batches with their 422s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argumentsHash } from '../src/manifest/policy-payload.ts';
import { ApprovalConflictError, ApprovalGoneError, ForbiddenError, RegistryError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { ApprovalCall, CallRecord, Role } from '../src/client/wire.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
let h: Harness;
const clients = new Map<Role, HttpRegistryClient>();

/** A client acting with `role` (one token per role, made once). */
async function as(role: Role, harness = h): Promise<HttpRegistryClient> {
  if (harness !== h) return new HttpRegistryClient({ baseUrl: harness.url, token: await harness.token(role) });
  let client = clients.get(role);
  if (!client) {
    client = new HttpRegistryClient({ baseUrl: h.url, token: await h.token(role, role === 'publisher' ? { team: 'platform' } : {}) });
    clients.set(role, client);
  }
  return client;
}

let n = 0;
/** A call nobody has asked about yet. */
function freshCall(args: unknown = { opportunity: 42, stage: 'won' }): ApprovalCall {
  return { agent: `sales-bot-${++n}`, server: 'crm', tool: 'updateOpportunity', argumentsHash: argumentsHash(args) };
}

/** The error `p` rejects with. */
async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('the approval state machine', () => {
  it('file → approve → consume once; a second consume is refused; the audit names the call but never its arguments', async () => {
    const gateway = await as('gateway');
    const c = freshCall({ opportunity: 42, secretNote: 'do-not-log-me' });
    // A raw request, to see the status: 201 for a new request, 200 for the open one of the same call.
    const token = await h.token('gateway');
    const file = async (): Promise<{ status: number; id: string }> => {
      const res = await fetch(`${h.url}${BASE}/approvals`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...c, sessionId: 'mcp-session-1' }) });
      return { status: res.status, id: ((await res.json()) as { id: string }).id };
    };
    const first = await file();
    expect(first.status).toBe(201);
    expect(await file()).toEqual({ status: 200, id: first.id }); // idempotent while pending

    const approver = await as('approver');
    const granted = await approver.decideApproval(first.id, 'approve', 'quarter-end correction');
    expect(granted).toMatchObject({ status: 'approved', reason: 'quarter-end correction', sessionId: 'mcp-session-1' });
    expect(Date.parse(granted.expiresAt!) - Date.parse(granted.decidedAt!)).toBe(10 * 60_000); // the default TTL
    expect((await gateway.requestApproval(c)).status).toBe('approved'); // the gateway finds the grant for the call it sees again

    expect(await gateway.consumeApproval(first.id, c)).toMatchObject({ status: 'consumed', id: first.id });
    const again = await failure(gateway.consumeApproval(first.id, c));
    expect(again).toBeInstanceOf(ApprovalGoneError);
    expect([again.status, (again as ApprovalGoneError).reason]).toEqual([410, 'consumed']);
    expect(again.message).toMatch(/already used .* the agent must ask again/);
    expect((await (await as('reader')).getApproval(first.id))?.status).toBe('consumed');

    const audit = await h.admin.queryAudit({ kind: 'Approval', name: first.id });
    expect(audit.map((e) => e.action)).toEqual(['approval.consume', 'approval.approve', 'approval.request']);
    expect(audit[2]!.details).toMatchObject({ agent: c.agent, server: 'crm', tool: 'updateOpportunity', status: 'pending' });
    const text = JSON.stringify(audit);
    expect(text).not.toContain('do-not-log-me');
    expect(text).not.toContain(c.argumentsHash);
  });

  it('deny: the call may not go through, and a denied request cannot be approved after all', async () => {
    const gateway = await as('gateway');
    const approver = await as('approver');
    const c = freshCall();
    const filed = await gateway.requestApproval(c);
    expect(await approver.decideApproval(filed.id, 'deny', 'not during the freeze')).toMatchObject({ status: 'denied', reason: 'not during the freeze' });
    const refused = await failure(gateway.consumeApproval(filed.id, c));
    expect([refused.status, (refused as ApprovalConflictError).reason]).toEqual([409, 'denied']);
    expect(refused.message).toMatch(/was denied by tok_\w+ \(not during the freeze\)/);
    const late = await failure(approver.decideApproval(filed.id, 'approve'));
    expect(late).toBeInstanceOf(ApprovalConflictError);
    expect(late.message).toMatch(/is denied by tok_\w+ at .*, not pending/);
    // Asking again after a denial is a new request.
    expect((await gateway.requestApproval(c)).id).not.toBe(filed.id);
  });

  it('a grant covers exactly its call: other arguments are refused without using it up', async () => {
    const gateway = await as('gateway');
    const c = freshCall({ opportunity: 42, amount: 1000 });
    const filed = await gateway.requestApproval(c);
    await failure(gateway.consumeApproval(filed.id, c)).then((e) => expect((e as ApprovalConflictError).reason).toBe('pending'));
    await (await as('admin')).decideApproval(filed.id, 'approve');
    const other = await failure(gateway.consumeApproval(filed.id, { ...c, argumentsHash: argumentsHash({ opportunity: 42, amount: 1_000_000 }) }));
    expect([other.status, (other as ApprovalConflictError).reason]).toEqual([409, 'mismatch']);
    expect(other.message).toMatch(/the arguments differ/);
    const otherAgent = await failure(gateway.consumeApproval(filed.id, { ...c, agent: 'someone-else' }));
    expect(otherAgent.message).toMatch(/the agent differs/);
    // Key order does not change the hash, so the same arguments still match.
    expect((await gateway.consumeApproval(filed.id, { ...c, argumentsHash: argumentsHash({ amount: 1000, opportunity: 42 }) })).status).toBe('consumed');
  });

  it('a grant not used within the TTL reads expired and is refused; the call may be asked again', async () => {
    const short = await startHarness({ approvalTtlMs: 300 });
    try {
      const gateway = await as('gateway', short);
      const approver = await as('approver', short);
      const c = freshCall();
      const filed = await gateway.requestApproval(c);
      const granted = await approver.decideApproval(filed.id, 'approve');
      expect(Date.parse(granted.expiresAt!) - Date.parse(granted.decidedAt!)).toBe(300);
      await new Promise((r) => setTimeout(r, 400));
      expect((await approver.getApproval(filed.id))?.status).toBe('expired');
      expect((await approver.listApprovals({ status: 'expired' })).map((a) => a.id)).toEqual([filed.id]);
      const late = await failure(gateway.consumeApproval(filed.id, c));
      expect([late.status, (late as ApprovalGoneError).reason]).toEqual([410, 'expired']);
      expect(late.message).toMatch(/expired at .*, unused/);
      const anew = await gateway.requestApproval(c);
      expect([anew.status, anew.id === filed.id]).toEqual(['pending', false]);
    } finally {
      await short.close();
    }
  });

  it('of 20 gateways consuming one grant at once, exactly one wins; the others hear it was used', async () => {
    const c = freshCall();
    const filed = await (await as('gateway')).requestApproval(c);
    await (await as('approver')).decideApproval(filed.id, 'approve');
    const gateways = await Promise.all(Array.from({ length: 20 }, async () => new HttpRegistryClient({ baseUrl: h.url, token: await h.token('gateway') })));
    const results = await Promise.allSettled(gateways.map((g) => g.consumeApproval(filed.id, c)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ApprovalGoneError);
    expect(losers.every((e) => e instanceof ApprovalGoneError && e.reason === 'consumed')).toBe(true);
    expect((await h.admin.queryAudit({ kind: 'Approval', name: filed.id, action: 'approval.consume' })).length).toBe(1);
  });
});

describe('who may do what with approvals', () => {
  it('readers may not approve, agents may not list, publishers may not consume, gateways may not decide or list', async () => {
    const c = freshCall();
    const filed = await (await as('gateway')).requestApproval(c);
    const cases: [Role, (client: HttpRegistryClient) => Promise<unknown>][] = [
      ['reader', (x) => x.decideApproval(filed.id, 'approve')],
      ['publisher', (x) => x.decideApproval(filed.id, 'deny')],
      ['gateway', (x) => x.decideApproval(filed.id, 'approve')],
      ['agent', (x) => x.listApprovals()],
      ['gateway', (x) => x.listApprovals()],
      ['publisher', (x) => x.listApprovals()],
      ['agent', (x) => x.getApproval(filed.id)],
      ['publisher', (x) => x.consumeApproval(filed.id, c)],
      ['approver', (x) => x.consumeApproval(filed.id, c)],
      ['agent', (x) => x.requestApproval(freshCall())],
      ['reader', (x) => x.requestApproval(freshCall())],
    ];
    for (const [role, act] of cases) {
      const err = await failure(act(await as(role)));
      expect(err, `${role}`).toBeInstanceOf(ForbiddenError);
    }
    expect((await failure((await as('reader')).decideApproval(filed.id, 'approve'))).message).toMatch(/approver or admin token/);
    expect((await (await as('gateway')).getApproval(filed.id))?.status).toBe('pending'); // a gateway polls what it filed
    expect((await (await as('reader')).listApprovals({ status: 'pending', agent: c.agent })).map((a) => a.id)).toEqual([filed.id]);
  });

  it('malformed requests: 422 naming every field, 400 for a bad id or filter, 404 for an unknown approval or endpoint', async () => {
    const gateway = await as('gateway');
    const bad = await failure(gateway.requestApproval({ agent: '', server: 'Not A Label', tool: 'x', argumentsHash: 'abc', extra: 1 } as unknown as ApprovalCall));
    expect(bad.status).toBe(422);
    expect(bad.errors?.map((e) => e.path)).toEqual(['agent', 'server', 'argumentsHash', 'extra']);
    expect(bad.errors?.find((e) => e.path === 'argumentsHash')?.message).toMatch(/SHA-256 hex/);
    expect((await failure(gateway.consumeApproval('apr_nope', freshCall()))).status).toBe(400);
    expect((await failure(gateway.consumeApproval(`apr_${'0'.repeat(24)}`, freshCall()))).status).toBe(404);
    expect((await failure((await as('reader')).listApprovals({ status: 'maybe' as 'pending' }))).status).toBe(400);
    const long = await failure((await as('approver')).decideApproval(`apr_${'0'.repeat(24)}`, 'approve', 'x'.repeat(2000)));
    expect([long.status, long.errors?.[0]?.path]).toEqual([422, 'reason']);
    const res = await fetch(`${h.url}${BASE}/approvals/${'apr_' + '0'.repeat(24)}/frobnicate`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/approve\|deny\|consume/);
  });

  it('is described in /openapi.json', async () => {
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([`${BASE}/approvals`, `${BASE}/approvals/{id}/consume`, `${BASE}/callrecords`]));
    expect(doc.components.schemas).toHaveProperty('CallRecord');
  });
});

describe('call records', () => {
  const rec = (i: number, over: Partial<CallRecord> = {}): CallRecord => ({
    time: new Date(Date.UTC(2026, 1, 1, 0, 0, i)).toISOString(),
    agent: 'records-bot',
    server: 'wiki',
    tool: 'search',
    method: 'tools/call',
    scopes: ['wiki.read'],
    decision: 'allow',
    reason: `call ${i}`,
    latencyMs: 2.5,
    status: 200,
    ...over,
  });

  it('appends batches (1,000 at most) and reads them back newest first with every filter; agents and gateways may not read', async () => {
    const gateway = await as('gateway');
    const big = Array.from({ length: 1000 }, (_, i) => rec(i, { agent: 'bulk-bot', arguments: { query: `q${i}`, padding: 'x'.repeat(1200) } }));
    await gateway.appendCallRecords(big); // ≈ 1.4 MiB: more than other bodies may be
    await gateway.appendCallRecords([rec(1), rec(2, { decision: 'deny', status: 403, reason: 'scope wiki.write missing' }), rec(3, { tool: 'edit', decision: 'approval-required', status: 403, approvalId: 'apr_x' })]);
    const reader = await as('reader');
    expect((await reader.queryCallRecords({ agent: 'records-bot' })).map((r) => r.reason)).toEqual(['call 3', 'scope wiki.write missing', 'call 1']);
    expect((await reader.queryCallRecords({ agent: 'records-bot', decision: 'deny' })).map((r) => r.status)).toEqual([403]);
    expect((await reader.queryCallRecords({ server: 'wiki', tool: 'edit' })).map((r) => r.approvalId)).toEqual(['apr_x']);
    expect(await reader.queryCallRecords({ agent: 'bulk-bot', limit: 1000 })).toHaveLength(1000);
    expect((await reader.queryCallRecords({ agent: 'bulk-bot', since: new Date(Date.UTC(2026, 1, 1, 0, 16, 38)).toISOString() })).map((r) => r.reason)).toEqual(['call 999', 'call 998']);
    for (const role of ['agent', 'gateway', 'publisher'] as const) expect((await failure((await as(role)).queryCallRecords())).status).toBe(403);
    expect((await failure((await as('reader')).appendCallRecords([rec(9)]))).status).toBe(403);
  });

  it('refuses a malformed batch whole: 422 naming each problem, nothing written', async () => {
    const gateway = await as('gateway');
    const before = (await h.admin.queryCallRecords({ agent: 'broken-bot' })).length;
    const err = await failure(gateway.appendCallRecords([rec(1, { agent: 'broken-bot' }), { ...rec(2, { agent: 'broken-bot' }), latency: 3, status: 99 } as unknown as CallRecord]));
    expect(err.status).toBe(422);
    expect(err.errors?.map((e) => `${e.path} ${e.message}`)).toEqual(['records[1].status must be an HTTP status (100–599)', expect.stringMatching(/^records\[1\]\.latency is not a known field/)]);
    expect(await h.admin.queryCallRecords({ agent: 'broken-bot' })).toHaveLength(before);
    const tooMany = await failure(gateway.appendCallRecords(Array.from({ length: 1001 }, (_, i) => rec(i))));
    expect([tooMany.status, tooMany.message]).toEqual([422, expect.stringMatching(/1 to 1000 records \(got 1001\); split larger batches/)]);
    expect((await failure(gateway.appendCallRecords([]))).status).toBe(422);
  });
});
