/**
 * Agent keys and token reviews over a real socket and a real SQLite file: what a
 * token request may ask for (422s that name the field), the agent key a first
 * start writes for the examples, and what `POST …/tokenreviews` answers a gateway
 * for every kind of presented key — with neither the secret nor its hash in the
 * audit log or the log.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, RegistryError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { hashSecret, parseToken } from '../src/client/tokens.ts';
import type { TokenReview } from '../src/client/wire.ts';
import { startRegistryServer } from '../src/registry/server.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
let h: Harness;
/** A client acting as a gateway. */
let gateway: HttpRegistryClient;

beforeAll(async () => {
  h = await startHarness();
  gateway = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('gateway') });
});
afterAll(async () => {
  await h.close();
});

/** What a gateway sends for a presented token: its id and the hash of its secret. */
function reviewOf(token: string): { tokenId: string; hash: string } {
  const { id, secret } = parseToken(token)!;
  return { tokenId: id, hash: hashSecret(secret) };
}

async function post(path: string, body: unknown, token = h.adminToken): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.url}${BASE}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('agent keys', () => {
  it('an agent key names its agent and groups; the listing shows them, never the hash; revocation as for any token', async () => {
    const { token, record } = await h.admin.createToken({ role: 'agent', agent: 'sales-copilot', groups: ['sales', 'emea'], expires: '30d', description: 'copilot in prod' });
    expect(token).toMatch(/^berth_tok_[a-z0-9]{12}_[A-Za-z0-9]{43}$/);
    expect(record).toMatchObject({ role: 'agent', agent: 'sales-copilot', groups: ['sales', 'emea'], description: 'copilot in prod' });
    expect(Date.parse(record.expiresAt!) - Date.parse(record.createdAt)).toBe(30 * 86_400_000);
    const listed = (await h.admin.listTokens()).find((t) => t.id === record.id)!;
    expect(listed).toEqual(record);
    expect(listed).not.toHaveProperty('hash');
    const audit = (await h.admin.queryAudit({ action: 'token.create', limit: 5 })).find((e) => e.details?.tokenId === record.id)!;
    expect(audit.details).toMatchObject({ tokenRole: 'agent', agent: 'sales-copilot', groups: ['sales', 'emea'] });
    expect(JSON.stringify(audit)).not.toContain(reviewOf(token).hash);
    await h.admin.revokeToken(record.id);
    expect((await h.admin.listTokens()).find((t) => t.id === record.id)?.revokedAt).toBeDefined();
  });

  it.each([
    ['an agent key without an agent', { role: 'agent' }, /an agent key needs an agent \(--agent NAME\)/],
    ['an agent on another role', { role: 'reader', agent: 'sales-copilot' }, /agent is only for agent keys \(--role agent\); a reader token acts as itself/],
    ['groups on another role', { role: 'gateway', groups: ['sales'] }, /groups are only for agent keys/],
    ['an agent that is not a DNS label', { role: 'agent', agent: 'Sales Copilot' }, /agent must be a DNS label/],
    ['an agent that is not a string', { role: 'agent', agent: 7 }, /agent must be a DNS label/],
    ['a group that is not a group name', { role: 'agent', agent: 'bot', groups: ['-sales'] }, /group "-sales" is not a group name/],
    ['groups that are not a list', { role: 'agent', agent: 'bot', groups: 'sales' }, /groups must be a list/],
    ['a group given twice', { role: 'agent', agent: 'bot', groups: ['sales', 'sales'] }, /group "sales" is given twice/],
  ])('refuses %s with a 422 that says why, and stores nothing', async (_label, body, detail) => {
    const before = (await h.store.listTokens()).length;
    const res = await post('/tokens', body);
    expect(res.status).toBe(422);
    expect(res.body.type).toMatch(/invalid-token-request$/);
    expect(res.body.detail).toMatch(detail);
    expect((await h.store.listTokens()).length).toBe(before);
  });
});

describe('the bootstrap agent key (berth up on a fresh folder)', () => {
  it('is written (0600) only on the first start, only when asked for, and reviews as its agent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-agent-key-'));
    const logger = pino({ level: 'silent' });
    const store = await openSqliteStore({ path: join(dir, 'registry.db'), logger });
    try {
      const start = (stateDir: string) => startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir, logger, bootstrapAgent: 'sales-copilot', drainMs: 1_000 });
      const first = await start(join(dir, 'state'));
      expect(first.bootstrapAgentKeyFile).toBe(join(dir, 'state', 'agent-key'));
      expect((await stat(first.bootstrapAgentKeyFile!)).mode & 0o777).toBe(0o600);
      const key = (await readFile(first.bootstrapAgentKeyFile!, 'utf8')).trim();
      const tokens = await store.listTokens();
      expect(tokens.map((t) => [t.role, t.agent])).toEqual(expect.arrayContaining([['admin', undefined], ['agent', 'sales-copilot']]));
      const review = await first.clientFor({ tokenId: 'system:gateway', role: 'gateway' }).reviewToken(reviewOf(key));
      expect(review).toMatchObject({ authenticated: true, agent: 'sales-copilot', groups: [] });
      await first.close();
      // A later start (tokens exist) mints nothing, even into an empty folder.
      const again = await start(join(dir, 'other'));
      await again.close();
      expect(again.bootstrapAgentKeyFile).toBeUndefined();
      expect((await store.listTokens()).length).toBe(tokens.length);
      await expect(stat(join(dir, 'other', 'agent-key'))).rejects.toThrow(/ENOENT/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is not made without bootstrapAgent (berth registry, berth up --no-examples)', () => {
    expect(h.server.bootstrapAgentKeyFile).toBeUndefined();
    return expect(stat(join(h.dir, 'agent-key'))).rejects.toThrow(/ENOENT/);
  });
});

describe('token reviews', () => {
  it('a valid agent key: authenticated, with its agent, groups and expiry', async () => {
    const { token, record } = await h.admin.createToken({ role: 'agent', agent: 'deal-desk', groups: ['sales'], expires: '1h' });
    expect(await gateway.reviewToken(reviewOf(token))).toEqual({ authenticated: true, tokenId: record.id, agent: 'deal-desk', groups: ['sales'], expiresAt: record.expiresAt });
    // Without groups and expiry the answer still has a groups list, and no expiresAt.
    const plain = await h.token('agent', { agent: 'plain-bot' });
    expect(await gateway.reviewToken(reviewOf(plain))).toEqual({ authenticated: true, tokenId: parseToken(plain)!.id, agent: 'plain-bot', groups: [] });
  });

  it.each<[string, () => Promise<{ tokenId: string; hash: string }>, string, RegExp]>([
    ['a revoked key', async () => reviewOf(await h.token('agent', { agent: 'gone-bot', revoked: true })), 'revoked', /^token tok_\w+ was revoked at \d{4}-/],
    ['an expired key', async () => reviewOf(await h.token('agent', { agent: 'old-bot', expiresAt: new Date(Date.now() - 1000) })), 'expired', /^token tok_\w+ expired at \d{4}-/],
    ['a garbled id', async () => ({ ...reviewOf(await h.token('agent', { agent: 'bot' })), tokenId: 'tok_../../etc' }), 'unknown', /^tokenId is not a Berth token id/],
    ['a wrong hash', async () => ({ ...reviewOf(await h.token('agent', { agent: 'bot' })), hash: hashSecret('guessed') }), 'unknown', /^the token is not known to this registry$/],
    ["another key's id with this key's hash", async () => ({ tokenId: reviewOf(await h.token('agent', { agent: 'a-bot' })).tokenId, hash: reviewOf(await h.token('agent', { agent: 'b-bot' })).hash }), 'unknown', /not known/],
    ['an admin token presented as an agent key', async () => reviewOf(h.adminToken), 'not-an-agent-key', /^token tok_\w+ is not an agent key: role admin$/],
    ['a gateway token presented as an agent key', async () => reviewOf(await h.token('gateway')), 'not-an-agent-key', /is not an agent key: role gateway$/],
    ['an agent key that names no agent (made before keys had names)', async () => reviewOf(await h.token('agent')), 'not-an-agent-key', /names no agent; create a new one with --agent NAME$/],
  ])('%s: not authenticated, with the code and the reason', async (_label, request, code, reason) => {
    const review = await gateway.reviewToken(await request());
    expect(review.authenticated).toBe(false);
    expect((review as Extract<TokenReview, { authenticated: false }>).code).toBe(code);
    expect((review as Extract<TokenReview, { authenticated: false }>).reason).toMatch(reason);
  });

  it('a body that is not a review: 422', async () => {
    const ok = reviewOf(await h.token('agent', { agent: 'bot' }));
    for (const body of [{ hash: ok.hash }, { tokenId: ok.tokenId }, { tokenId: ok.tokenId, hash: ok.hash.toUpperCase() }, { tokenId: 5, hash: ok.hash }]) {
      const res = await post('/tokenreviews', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.type).toMatch(/invalid-token-review$/);
    }
  });

  it('only gateway and admin tokens may ask: reader, publisher, approver and agent get 403', async () => {
    const asked = reviewOf(await h.token('agent', { agent: 'bot' }));
    expect((await h.admin.reviewToken(asked)).authenticated).toBe(true);
    for (const [role, team] of [['reader'], ['publisher', 'alpha'], ['approver'], ['agent']] as const) {
      const client = new HttpRegistryClient({ baseUrl: h.url, token: await h.token(role, { ...(team ? { team } : {}), ...(role === 'agent' ? { agent: 'nosy-bot' } : {}) }) });
      const err = await client.reviewToken(asked).then(() => undefined, (e: unknown) => e);
      expect(err, role).toBeInstanceOf(ForbiddenError);
      expect((err as RegistryError).message).toMatch(/needs a gateway or admin token/);
    }
  });

  it('is in the OpenAPI document, request and answer', async () => {
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, { post?: unknown }>; components: { schemas: Record<string, unknown> } };
    expect(doc.paths[`${BASE}/tokenreviews`]?.post).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['TokenReviewRequest', 'TokenReview']));
  });

  it('reviews leave no audit entry, and neither the hash nor the secret reaches the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) });
    const logged = await startRegistryServer({ store: h.store, host: '127.0.0.1', port: 0, stateDir: h.dir, logger: pino({ level: 'trace' }, sink), drainMs: 1_000 });
    try {
      const token = await h.token('agent', { agent: 'quiet-bot' });
      const client = new HttpRegistryClient({ baseUrl: logged.url, token: h.adminToken });
      const auditBefore = (await h.store.queryAudit({ limit: 1000 })).length;
      expect((await client.reviewToken(reviewOf(token))).authenticated).toBe(true);
      expect((await client.reviewToken({ ...reviewOf(token), hash: hashSecret('wrong') })).authenticated).toBe(false);
      expect((await h.store.queryAudit({ limit: 1000 })).length).toBe(auditBefore);
      const log = lines.join('');
      expect(log).toContain('token review');
      for (const secret of [token, parseToken(token)!.secret, reviewOf(token).hash, hashSecret('wrong')]) expect(log).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});
