/**
 * The one contract suite every {@link RegistryClient} passes, the way the store
 * contract suite (src/registry/store-contract.ts) runs against every store: the
 * same calls with the same input give the same result and the same error type
 * and status, whichever client makes them.
 *
 * @example
 * runClientContract({ name: 'http', setup: async () => ({ client: (role, team) => …, compact: …, close: … }) });
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../manifest/resource.ts';
import type { AccessPolicy, MCPServer } from '../manifest/types.ts';
import { AlreadyExistsError, ConflictError, ForbiddenError, GoneError, InvalidRequestError, NotFoundError, RegistryError, UnauthorizedError } from './errors.ts';
import { ApprovalConflictError, ApprovalGoneError } from './errors.ts';
import { argumentsHash } from '../manifest/policy-payload.ts';
import type { RegistryClient } from './registry-client.ts';
import { hashSecret, parseToken } from './tokens.ts';
import type { CallRecord, Role, WatchItem } from './wire.ts';

/** What one run of the suite needs from the implementation under test. */
export interface ClientContractEnv {
  /** A client acting with `role` (and `team` for publishers), against one shared registry. */
  client(role: Role, team?: string): Promise<RegistryClient>;
  /** A client whose credential the registry does not accept; undefined where none can exist (in-process). */
  refusedClient?(): RegistryClient;
  /** Drops watch history so old versions are gone (store compaction). */
  compact(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link runClientContract}. */
export interface ClientContractOptions {
  name: string;
  setup(): Promise<ClientContractEnv>;
}

let unique = 0;
/** A valid remote MCPServer of `team` with a name no other test uses. */
function server(prefix: string, team = 'alpha'): MCPServer {
  const name = `${prefix}-${++unique}`;
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name, labels: { suite: 'contract' } },
    spec: {
      owner: { team },
      environment: 'dev',
      lifecycle: 'approved-dev',
      risk: 'low',
      dataClassification: 'internal',
      remote: { url: `https://${name}.example.com/mcp`, transport: 'streamable-http' },
    },
  };
}

function policy(): AccessPolicy {
  return { apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name: `policy-${++unique}` }, spec: { subjects: [{ agent: 'bot' }], allow: ['a.read'] } };
}

/** Asserts that `promise` rejects with exactly this member of the error family and status. */
async function rejectsWith(promise: Promise<unknown>, type: abstract new (...args: never[]) => RegistryError, status: number): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect((err as RegistryError).status).toBe(status);
  return err as RegistryError;
}

/** The first `count` changes (bookmarks skipped) of a watch from `from`. */
async function changes(client: RegistryClient, from: number, count: number): Promise<Array<Exclude<WatchItem<MCPServer>, { type: 'BOOKMARK' }>>> {
  const ac = new AbortController();
  const out: Array<Exclude<WatchItem<MCPServer>, { type: 'BOOKMARK' }>> = [];
  try {
    for await (const item of client.watch('MCPServer', from, ac.signal)) {
      if (item.type === 'BOOKMARK') continue;
      out.push(item);
      if (out.length >= count) break;
    }
  } finally {
    ac.abort();
  }
  return out;
}

/** Registers the contract suite for one client implementation. */
export function runClientContract(opts: ClientContractOptions): void {
  describe(`RegistryClient contract: ${opts.name}`, () => {
    let env: ClientContractEnv;
    let admin: RegistryClient;
    beforeAll(async () => {
      env = await opts.setup();
      admin = await env.client('admin');
    });
    afterAll(() => env.close());

    it('creates, gets (typed by kind), lists with a selector, applies, updates and deletes', async () => {
      const s = server('crud');
      const created = await admin.create(s);
      expect(created.metadata.generation).toBe(1);
      const got = await admin.get('MCPServer', s.metadata.name);
      expect(got?.spec.owner.team).toBe('alpha');
      expect(await admin.get('MCPServer', 'no-such-server')).toBeUndefined();
      const listed = await admin.listAll('MCPServer', { labelSelector: 'suite=contract' });
      expect(listed.items.map((i) => i.metadata.name)).toContain(s.metadata.name);
      expect((await admin.apply(s)).result).toBe('unchanged');
      const changed = await admin.apply({ ...s, spec: { ...s.spec, description: 'changed' } });
      expect([changed.result, changed.object.metadata.generation]).toEqual(['configured', 2]);
      const updated = await admin.update({ ...changed.object, metadata: { ...changed.object.metadata, labels: { suite: 'contract', x: 'y' } } }, changed.object.metadata.resourceVersion);
      expect(updated.metadata.generation).toBe(2);
      const status = await admin.updateStatus('MCPServer', s.metadata.name, { phase: 'Pending' });
      expect(status.status?.phase).toBe('Pending');
      expect((await admin.delete('MCPServer', s.metadata.name)).removed).toBe(true);
      expect(await admin.get('MCPServer', s.metadata.name)).toBeUndefined();
    });

    it('a bad label selector: InvalidRequestError 400', async () => {
      await rejectsWith(admin.list('MCPServer', { labelSelector: '=oops,,' }), InvalidRequestError, 400);
    });

    it('a missing object: NotFoundError 404 for update, status, delete; undefined for get', async () => {
      const ghost = server('ghost');
      await rejectsWith(admin.update(ghost), NotFoundError, 404);
      await rejectsWith(admin.updateStatus('MCPServer', ghost.metadata.name, { phase: 'Ready' }), NotFoundError, 404);
      const err = await rejectsWith(admin.delete('MCPServer', ghost.metadata.name), NotFoundError, 404);
      expect(err.message).toContain(ghost.metadata.name);
    });

    it('a stale resourceVersion: ConflictError 409 that says what to do; a duplicate create: AlreadyExistsError 409', async () => {
      const manifest = server('conflict');
      const s = await admin.create(manifest);
      await admin.apply({ ...manifest, spec: { ...manifest.spec, description: 'moved on' } });
      const err = await rejectsWith(admin.update(s, s.metadata.resourceVersion), ConflictError, 409);
      expect(err.message).toMatch(/get it again and retry/);
      await rejectsWith(admin.create(manifest), AlreadyExistsError, 409);
    });

    it("another team's object, a policy, tokens and status: ForbiddenError 403 with the reason", async () => {
      const manifest = server('theirs', 'beta');
      const theirs = await admin.create(manifest);
      const publisher = await env.client('publisher', 'alpha');
      const err = await rejectsWith(publisher.apply({ ...manifest, spec: { ...manifest.spec, description: 'mine now' } }), ForbiddenError, 403);
      expect(err.message).toMatch(/team "beta"/);
      await rejectsWith(publisher.apply(policy()), ForbiddenError, 403);
      await rejectsWith(publisher.listTokens(), ForbiddenError, 403);
      await rejectsWith(publisher.updateStatus('MCPServer', theirs.metadata.name, { phase: 'Ready' }), ForbiddenError, 403);
      const reader = await env.client('reader');
      await rejectsWith(reader.delete('MCPServer', theirs.metadata.name), ForbiddenError, 403);
      expect((await publisher.apply(server('mine', 'alpha'))).result).toBe('created');
    });

    it('an invalid object: 422 with every field error, the same text as `berth validate`', async () => {
      const bad = server('invalid');
      (bad.spec as { risk: string }).risk = 'extreme';
      const err = await rejectsWith(admin.apply(bad), RegistryError, 422);
      expect(err.type).toBe('invalid-object');
      expect(err.errors?.map((e) => e.path)).toContain('spec.risk');
    });

    it('stage decisions and whoami: an approver records one bound to the stored spec; a publisher gets 403; a stale hash 409; a rejection needs a note (422)', async () => {
      const publisher = await env.client('publisher', 'alpha');
      expect(await publisher.whoami()).toMatchObject({ role: 'publisher', team: 'alpha' });
      const s = await publisher.create(server('staged', 'alpha'));
      const name = s.metadata.name;
      const refused = await rejectsWith(publisher.decideStage(name, { stage: 'approved-dev', decision: 'approved' }), ForbiddenError, 403);
      expect(refused.message).toContain('an approver approves it');
      const approver = await env.client('approver');
      const { object, effective } = await approver.decideStage(name, { stage: 'approved-dev', decision: 'approved', note: 'ok' });
      expect(object.metadata.approvals).toEqual([expect.objectContaining({ stage: 'approved-dev', decision: 'approved', role: 'approver', note: 'ok' })]);
      expect(effective).toMatchObject({ requested: 'approved-dev', effective: 'approved-dev', approvedFor: 'dev' });
      const stale = await rejectsWith(approver.decideStage(name, { stage: 'approved-dev', decision: 'approved', specHash: '00000000' }), RegistryError, 409);
      expect(stale.message).toContain('not 00000000 as reviewed');
      await rejectsWith(approver.decideStage(name, { stage: 'approved-dev', decision: 'rejected' }), RegistryError, 422);
      await rejectsWith(approver.decideStage('no-such-server', { stage: 'approved-dev', decision: 'approved' }), NotFoundError, 404);
    });

    it('a refused credential: UnauthorizedError 401', async () => {
      const refused = env.refusedClient?.();
      if (refused === undefined) return; // an in-process client has no credential to refuse
      await rejectsWith(refused.list('MCPServer'), UnauthorizedError, 401);
    });

    it('watch: history of its kind in order from a version, then live changes, with bookmarks; resuming from the last version misses nothing', async () => {
      const from = (await admin.list('MCPServer', { limit: 1 })).resourceVersion;
      const a = await admin.create(server('watch-a'));
      await admin.create(policy());
      const b = await admin.create(server('watch-b'));
      const live = changes(admin, from, 4);
      await admin.updateStatus('MCPServer', b.metadata.name, { phase: 'Pending' });
      await admin.delete('MCPServer', a.metadata.name);
      const seen = await live;
      expect(seen.map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', a.metadata.name],
        ['ADDED', b.metadata.name],
        ['MODIFIED', b.metadata.name],
        ['DELETED', a.metadata.name],
      ]);
      expect(seen.map((e) => e.resourceVersion)).toEqual([...seen.map((e) => e.resourceVersion)].sort((x, y) => x - y));
      const resumed = await changes(admin, seen[1]!.resourceVersion, 2);
      expect(resumed.map((e) => e.resourceVersion)).toEqual(seen.slice(2).map((e) => e.resourceVersion));
    });

    it('watch from a version older than history: GoneError 410; relist and watch again', async () => {
      await admin.create(server('gone'));
      await env.compact();
      await rejectsWith(changes(admin, 0, 1), GoneError, 410);
      const listed = await admin.list('MCPServer', { limit: 1 });
      const next = changes(admin, listed.resourceVersion, 1);
      const after = await admin.create(server('after-gone'));
      expect((await next)[0]!.object.metadata.name).toBe(after.metadata.name);
    });

    it('leases, audit and tokens', async () => {
      expect(await admin.acquireLease('contract-lease', 'one', 5_000)).toBe(true);
      expect(await admin.acquireLease('contract-lease', 'two', 5_000)).toBe(false);
      await admin.releaseLease('contract-lease', 'one');
      expect(await admin.acquireLease('contract-lease', 'two', 5_000)).toBe(true);
      await admin.appendAudit({ actor: 'contract', action: 'drift', kind: 'MCPServer', name: 'x' });
      expect((await admin.queryAudit({ action: 'drift', limit: 5 })).some((e) => e.actor === 'contract')).toBe(true);
      const { token, record } = await admin.createToken({ role: 'reader', expires: '1h' });
      expect(token).toMatch(/^berth_tok_/);
      expect((await admin.listTokens()).find((t) => t.id === record.id)).not.toHaveProperty('hash');
      await admin.revokeToken(record.id);
      await rejectsWith(admin.revokeToken('tok_aaaaaaaaaaaa'), NotFoundError, 404);
    });

    it('approvals: filed once per call, decided once, consumed once for exactly its call; the same refusals either way', async () => {
      const [gateway, approver, reader, agent] = [await env.client('gateway'), await env.client('approver'), await env.client('reader'), await env.client('agent')];
      const call = { agent: `bot-${++unique}`, server: 'crm', tool: 'updateOpportunity', argumentsHash: argumentsHash({ id: 7, stage: 'won' }) };
      const filed = await gateway.requestApproval({ ...call, user: 'dana@example.com', sessionId: 'session-1' });
      expect(filed).toMatchObject({ ...call, status: 'pending', user: 'dana@example.com' });
      expect((await gateway.requestApproval(call)).id).toBe(filed.id);
      expect((await rejectsWith(gateway.consumeApproval(filed.id, call), ApprovalConflictError, 409)) as ApprovalConflictError).toHaveProperty('reason', 'pending');
      await rejectsWith(reader.decideApproval(filed.id, 'approve'), ForbiddenError, 403);
      const granted = await approver.decideApproval(filed.id, 'approve', 'quarter-end fix');
      expect(granted).toMatchObject({ status: 'approved', reason: 'quarter-end fix' });
      expect(Date.parse(granted.expiresAt!)).toBeGreaterThan(Date.now());
      await rejectsWith(approver.decideApproval(filed.id, 'deny'), ApprovalConflictError, 409);
      const other = { ...call, argumentsHash: argumentsHash({ id: 7, stage: 'lost' }) };
      expect((await rejectsWith(gateway.consumeApproval(filed.id, other), ApprovalConflictError, 409)).message).toMatch(/arguments differ/);
      expect((await gateway.consumeApproval(filed.id, call)).status).toBe('consumed');
      expect((await rejectsWith(gateway.consumeApproval(filed.id, call), ApprovalGoneError, 410)) as ApprovalGoneError).toHaveProperty('reason', 'consumed');
      expect((await gateway.getApproval(filed.id))?.status).toBe('consumed');
      expect(await reader.getApproval(`apr_${'0'.repeat(24)}`)).toBeUndefined();
      expect((await reader.listApprovals({ agent: call.agent })).map((a) => a.id)).toEqual([filed.id]);
      await rejectsWith(agent.listApprovals(), ForbiddenError, 403);
      const actions = (await admin.queryAudit({ kind: 'Approval', name: filed.id })).map((e) => e.action);
      expect(actions).toEqual(['approval.consume', 'approval.approve', 'approval.request']);
    });

    it('call records: appended in batches, queried newest first; a malformed batch is a 422 naming the field', async () => {
      const [gateway, reader] = [await env.client('gateway'), await env.client('reader')];
      const agentName = `bot-${++unique}`;
      const rec = (i: number): CallRecord => ({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), agent: agentName, server: 'crm', tool: 'search', method: 'tools/call', scopes: ['crm.read'], decision: 'allow', reason: `call ${i}`, latencyMs: 3, status: 200 });
      await gateway.appendCallRecords([rec(1), rec(2)]);
      expect((await reader.queryCallRecords({ agent: agentName })).map((r) => r.reason)).toEqual(['call 2', 'call 1']);
      expect((await reader.queryCallRecords({ agent: agentName, until: rec(2).time! })).map((r) => r.reason)).toEqual(['call 1']);
      await rejectsWith(gateway.queryCallRecords(), ForbiddenError, 403);
      const bad = await rejectsWith(gateway.appendCallRecords([rec(3), { ...rec(4), decision: 'maybe' as CallRecord['decision'] }]), RegistryError, 422);
      expect(bad.errors?.map((e) => e.path)).toEqual(['records[1].decision']);
      expect(await reader.queryCallRecords({ agent: agentName })).toHaveLength(2);
    });

    it('agent keys and token reviews: a gateway learns the agent from the hash alone; refusals are answers; other roles get 403', async () => {
      const { token, record } = await admin.createToken({ role: 'agent', agent: 'contract-bot', groups: ['sales'], expires: '1h' });
      expect([record.agent, record.groups]).toEqual(['contract-bot', ['sales']]);
      const { id, secret } = parseToken(token)!;
      const gateway = await env.client('gateway');
      expect(await gateway.reviewToken({ tokenId: id, hash: hashSecret(secret) })).toEqual({ authenticated: true, tokenId: id, agent: 'contract-bot', groups: ['sales'], expiresAt: record.expiresAt });
      expect(await gateway.reviewToken({ tokenId: id, hash: hashSecret(`${secret}x`) })).toMatchObject({ authenticated: false, code: 'unknown', reason: expect.stringMatching(/not known/) });
      await rejectsWith(admin.createToken({ role: 'reader', agent: 'contract-bot' }), RegistryError, 422);
      for (const role of ['reader', 'publisher', 'agent'] as const) {
        const other = await env.client(role, role === 'publisher' ? 'alpha' : undefined);
        await rejectsWith(other.reviewToken({ tokenId: id, hash: hashSecret(secret) }), ForbiddenError, 403);
      }
      await admin.revokeToken(id);
      expect(await admin.reviewToken({ tokenId: id, hash: hashSecret(secret) })).toMatchObject({ authenticated: false, code: 'revoked', reason: expect.stringMatching(/was revoked at/) });
    });
  });
}
