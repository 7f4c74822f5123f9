/**
 * The attack corpus against the governed gateway, over real sockets: credentials
 * that are missing, garbled, never issued, not an agent's, expired, not yet
 * valid, from another issuer, for another audience, unsigned (`alg: none`),
 * HMAC-signed with the issuer's RSA public key, signed under an unknown `kid`, or
 * a revoked agent key; another agent's session id (POST, GET, DELETE); a made-up
 * session id, a tampered one, the upstream's own, another server's; a token in the query string; `Mcp-Name` / `Mcp-Method` headers that
 * disagree with the body; a stream replayed with Last-Event-ID; bodies too large
 * or not JSON-RPC; a batch mixing allowed and denied calls. Each is refused with
 * the status written by hand below (the specification) — 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"` for credentials, 400 for
 * query-string tokens and mirror-header mismatches, 403 for a session of another
 * agent, 404 for a session id the gateway did not issue for that server, a JSON-RPC error for the denied half of a batch — audited with its
 * reason, and nothing refused reaches the upstream (its own log says so).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/client/wire.ts';
import { reasonCode, startGovernedGateway, type GovernedGateway } from './governed-gateway-harness.ts';
import { waitFor } from './support/wait.ts';

let gw: GovernedGateway;
beforeAll(async () => {
  gw = await startGovernedGateway({ agentKeyCacheMs: 200 });
}, 30_000);
afterAll(async () => {
  await gw?.close();
});

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attacker', version: '1' } } };
const call = (id: string | number, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** How many requests each upstream has seen so far (its own log). */
function upstreamRequests(): number {
  return gw.upstreams.crm.log.requests.length + gw.upstreams.billing.log.requests.length + gw.upstreams.hr.log.requests.length;
}

/** The audit records with this request's reason code, once they are in. */
async function auditedRefusals(code: string, count: number): Promise<CallRecord[]> {
  return gw.waitForRecords(`${count} records of ${code}`, (records) => {
    const found = records.filter((r) => reasonCode(r) === code);
    return found.length >= count && found;
  });
}

describe('credentials the gateway refuses: 401 with WWW-Authenticate naming the protected resource metadata', () => {
  /** The corpus: how to make the Authorization header, and the refusal's RFC 6750 error and audit code. */
  const CORPUS: Array<{ attack: string; authorization: () => Promise<string | undefined>; error: 'invalid_token' | undefined; code: string }> = [
    { attack: 'no credential', authorization: async () => undefined, error: undefined, code: 'anonymous-refused' },
    { attack: 'garbled agent key', authorization: async () => 'Bearer berth_tok_garbled', error: 'invalid_token', code: 'malformed' },
    { attack: 'well-formed agent key the registry never issued', authorization: async () => `Bearer berth_tok_abcdefghijkl_${'A'.repeat(43)}`, error: 'invalid_token', code: 'unknown-agent-key' },
    { attack: "the registry's admin token instead of an agent key", authorization: async () => `Bearer ${gw.registry.adminToken}`, error: 'invalid_token', code: 'not-an-agent-key' },
    { attack: 'garbled JWT', authorization: async () => 'Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln', error: 'invalid_token', code: 'malformed' },
    { attack: 'another scheme', authorization: async () => `Basic ${b64url('sales-bot:secret')}`, error: 'invalid_token', code: 'unsupported-scheme' },
    { attack: 'expired JWT', authorization: async () => `Bearer ${await gw.idp.mint({ claims: { azp: 'hr-bot' }, expiresIn: -600 })}`, error: 'invalid_token', code: 'expired' },
    { attack: 'JWT not valid yet', authorization: async () => `Bearer ${await gw.idp.mint({ claims: { azp: 'hr-bot' }, notBefore: 600 })}`, error: 'invalid_token', code: 'not-yet-valid' },
    { attack: 'JWT of another issuer (signed with the right key)', authorization: async () => `Bearer ${await gw.idp.mint({ claims: { azp: 'hr-bot', iss: 'https://evil.example.com' } })}`, error: 'invalid_token', code: 'wrong-issuer' },
    { attack: 'JWT for another audience', authorization: async () => `Bearer ${await gw.idp.mint({ claims: { azp: 'hr-bot', aud: 'https://other-gateway.example.com' } })}`, error: 'invalid_token', code: 'wrong-audience' },
    {
      attack: 'unsigned JWT (alg: none)',
      authorization: async () => `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(gw.idp.claims({ azp: 'hr-bot' }))}.`,
      error: 'invalid_token',
      code: 'alg-not-allowed',
    },
    {
      attack: 'HS256 keyed with the issuer RSA public key',
      authorization: async () => {
        const { pem, kid } = await gw.idp.publicKey('RS256');
        const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(gw.idp.claims({ azp: 'hr-bot' }))}`;
        return `Bearer ${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
      },
      error: 'invalid_token',
      code: 'alg-not-allowed',
    },
    { attack: 'JWT under an unknown kid', authorization: async () => `Bearer ${await gw.idp.mint({ claims: { azp: 'hr-bot' }, kid: 'rs256-99' })}`, error: 'invalid_token', code: 'unknown-key' },
  ];

  for (const { attack, authorization, error, code } of CORPUS) {
    it(`${attack}: 401 ${error ?? '(no error: none was presented)'}, audited as ${code}, nothing forwarded`, async () => {
      const before = upstreamRequests();
      const auth = await authorization();
      for (const body of [initialize, call(2, 'searchAccounts')]) {
        const answer = await gw.post('crm', body, auth === undefined ? {} : { headers: { authorization: auth } });
        expect(answer.status).toBe(401);
        const challenge = answer.headers.get('www-authenticate')!;
        expect(challenge.startsWith(`Bearer resource_metadata="${gw.url}/.well-known/oauth-protected-resource"`), challenge).toBe(true);
        if (error === undefined) expect(challenge).toBe(`Bearer resource_metadata="${gw.url}/.well-known/oauth-protected-resource"`);
        else expect(challenge).toMatch(new RegExp(`, error="${error}", error_description="[^"\\\\]+"$`));
        expect(answer.messages).toMatchObject([{ error: { code: -32008 } }]);
      }
      expect(upstreamRequests()).toBe(before);
      const records = await auditedRefusals(code, 2);
      expect(records.map((r) => [r.agent, r.server, r.decision, r.status])).toContainEqual([code === 'anonymous-refused' ? 'anonymous' : '(unauthenticated)', 'crm', 'deny', 401]);
    });
  }

  it('a revoked agent key: served before, 401 invalid_token once the revocation counts (within the key cache time), nothing forwarded after', async () => {
    const { token, record } = await gw.registry.admin.createToken({ role: 'agent', agent: 'sales-bot', groups: ['sales'] });
    await gw.openSession('crm', token);
    await gw.registry.admin.revokeToken(record.id);
    const before = upstreamRequests();
    const refused = await waitFor('the revoked key refused', async () => {
      const answer = await gw.post('crm', initialize, { bearer: token });
      return answer.status === 401 && answer;
    });
    expect(refused.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer resource_metadata="${gw.url}/\\.well-known/oauth-protected-resource", error="invalid_token", error_description="[^"]*revoked`));
    // Requests the cache still let through (before the refusal) reached the upstream; none after it.
    const afterRefusal = upstreamRequests();
    expect((await gw.post('crm', call(3, 'searchAccounts'), { bearer: token })).status).toBe(401);
    expect(upstreamRequests()).toBe(afterRefusal);
    expect(afterRefusal - before).toBeLessThanOrEqual(20);
    await auditedRefusals('revoked', 2);
  });
});

describe('requests the gateway refuses before anything is forwarded', () => {
  it("another agent's session id: 403, audited, and the session's owner still works", async () => {
    const owner = await gw.bearer('sales-bot');
    const sessionId = await gw.openSession('crm', owner);
    const before = upstreamRequests();
    for (const thief of ['finance-bot', 'ops-bot'] as const) {
      const answer = await gw.post('crm', call(`steal-${thief}`, 'searchAccounts', { id: 'stolen' }), { bearer: await gw.bearer(thief), sessionId });
      expect([answer.status, answer.messages[0]?.error?.code], thief).toEqual([403, -32005]);
      expect(answer.messages[0]!.error!.message).toContain('opened by another caller');
    }
    // Nor may another agent end the session, or listen on its stream.
    for (const method of ['DELETE', 'GET']) {
      const res = await fetch(`${gw.url}/mcp/crm`, { method, headers: { authorization: `Bearer ${await gw.bearer('ops-bot')}`, 'mcp-session-id': sessionId, accept: 'text/event-stream' } });
      expect([method, res.status]).toEqual([method, 403]);
      await res.body?.cancel();
    }
    expect(upstreamRequests()).toBe(before);
    const own = await gw.post('crm', call('own', 'searchAccounts', { id: 'mine' }), { bearer: owner, sessionId });
    expect(own.messages).toMatchObject([{ id: 'own', result: { content: [{ text: 'crm/searchAccounts {"id":"mine"}' }] } }]);
    const records = await auditedRefusals('session-of-another-caller', 4);
    expect(records.map((r) => [r.agent, r.method, r.sessionId, r.status]).sort()).toEqual([
      ['finance-bot', '(request)', sessionId, 403],
      ['ops-bot', '(request)', sessionId, 403],
      ['ops-bot', 'http:DELETE', sessionId, 403],
      ['ops-bot', 'http:GET', sessionId, 403],
    ]);
  });

  it('a session id the gateway never handed out: 404, so the client starts a new session', async () => {
    const before = upstreamRequests();
    const answer = await gw.post('crm', call('ghost', 'searchAccounts'), { bearer: await gw.bearer('sales-bot'), sessionId: 'made-up-session' });
    expect([answer.status, answer.messages[0]?.error?.code]).toEqual([404, -32010]);
    expect(upstreamRequests()).toBe(before);
  });

  it("a tampered sealed id, the upstream's own id, and a sealed id of another server's route: 404 each, audited, nothing forwarded", async () => {
    const bearer = await gw.bearer('sales-bot');
    const crmSession = await gw.openSession('crm', bearer);
    const billingSession = await gw.openSession('billing', bearer); // sales-bot may use both servers
    const raw = Buffer.from(crmSession, 'base64url');
    raw[raw.length >> 1]! ^= 0x20;
    const forged = [raw.toString('base64url'), gw.upstreamSessionOf('crm', crmSession), billingSession];
    const before = upstreamRequests();
    for (const sessionId of forged) {
      const answer = await gw.post('crm', call('forged', 'searchAccounts'), { bearer, sessionId });
      expect([answer.status, answer.messages[0]?.error?.code], sessionId).toEqual([404, -32010]);
      expect(answer.messages[0]!.error!.message).toBe(`session ${sessionId} is not known to this gateway; start a new session (initialize)`);
    }
    expect(upstreamRequests()).toBe(before);
    const records = await gw.waitForRecords('the three refusals', (all) => {
      const mine = all.filter((r) => reasonCode(r) === 'unknown-session' && forged.includes(r.sessionId ?? ''));
      return mine.length >= 3 && mine;
    });
    expect(records.map((r) => [r.agent, r.server, r.status])).toEqual([['sales-bot', 'crm', 404], ['sales-bot', 'crm', 404], ['sales-bot', 'crm', 404]]);
    // The real ids still work where they belong.
    expect((await gw.post('crm', call('real', 'searchAccounts'), { bearer, sessionId: crmSession })).status).toBe(200);
    expect((await gw.post('billing', call('real', 'getInvoice'), { bearer, sessionId: billingSession })).status).toBe(200);
  });

  it('a token in the query string: 400, even beside a valid Authorization header', async () => {
    const key = await gw.bearer('sales-bot');
    const before = upstreamRequests();
    for (const query of [`?access_token=${key}`, `?api_key=${key}`, `?Token=${key}`]) {
      const answer = await gw.post('crm', initialize, { bearer: key, query });
      expect([answer.status, answer.messages[0]?.error?.code], query).toEqual([400, -32008]);
      expect(answer.headers.get('www-authenticate'), query).toBeNull();
    }
    expect(upstreamRequests()).toBe(before);
    await auditedRefusals('token-in-query', 3);
  });

  it('an Mcp-Name header disagreeing with the body: 400, nothing forwarded, whichever of the two is the allowed call', async () => {
    const bearer = await gw.bearer('sales-bot');
    const sessionId = await gw.openSession('crm', bearer);
    const before = upstreamRequests();
    const executed = gw.upstreams.crm.executed.length;
    const cases = [
      { header: 'searchAccounts', body: 'deleteAccount' }, // the header says an allowed tool, the body calls a denied one
      { header: 'deleteAccount', body: 'searchAccounts' },
    ];
    for (const { header, body } of cases) {
      const answer = await gw.post('crm', call(`mirror-${body}`, body), { bearer, sessionId, headers: { 'mcp-method': 'tools/call', 'mcp-name': header } });
      expect([answer.status, answer.messages[0]?.error?.code, answer.messages[0]?.id], header).toEqual([400, -32600, `mirror-${body}`]);
      expect(answer.messages[0]!.error!.message).toContain(`the Mcp-Name header says "${header}" but the body calls "${body}"`);
    }
    expect(upstreamRequests()).toBe(before);
    expect(gw.upstreams.crm.executed.length).toBe(executed);
    const records = await auditedRefusals('mirror-header-mismatch', 2);
    expect(records.map((r) => [r.tool, r.decision, r.status]).sort()).toEqual([
      ['deleteAccount', 'deny', 400],
      ['searchAccounts', 'deny', 400],
    ]);
  });

  it('an Mcp-Method header disagreeing with the body: 400, nothing forwarded', async () => {
    const bearer = await gw.bearer('sales-bot');
    const sessionId = await gw.openSession('crm', bearer);
    const before = upstreamRequests();
    const answer = await gw.post('crm', call('mirror-method', 'searchAccounts'), { bearer, sessionId, headers: { 'mcp-method': 'tools/list' } });
    expect([answer.status, answer.messages[0]?.error?.code, answer.messages[0]?.id]).toEqual([400, -32600, 'mirror-method']);
    expect(answer.messages[0]!.error!.message).toContain('the Mcp-Method header says "tools/list" but the body\'s method is "tools/call"');
    expect(upstreamRequests()).toBe(before);
    await auditedRefusals('mirror-header-mismatch', 3);
  });
});

describe('replaying a stream', () => {
  it('GET with Last-Event-ID on a resumable upstream replays tools/list filtered, as its POST answered it', async () => {
    const bearer = await gw.bearer('finance-bot');
    const version = { 'mcp-protocol-version': '2025-11-25' }; // the upstream primes resumable streams from this version on
    const init = await gw.post('crm', { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'replayer', version: '1' } } }, { bearer, headers: version });
    const sessionId = init.headers.get('mcp-session-id')!;
    await gw.post('crm', { jsonrpc: '2.0', method: 'notifications/initialized' }, { bearer, sessionId, headers: version });
    const headers = { authorization: `Bearer ${bearer}`, 'mcp-session-id': sessionId, ...version };
    const listed = await fetch(`${gw.url}/mcp/crm`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }) });
    const stream = await listed.text();
    const toolNames = (sse: string) => [...sse.matchAll(/"name":"(\w+)"/g)].map((m) => m[1]);
    expect(toolNames(stream)).toEqual(['searchAccounts', 'exportAccounts']);
    const primingId = /^id: (\S+)$/m.exec(stream)![1]!;

    const aborter = new AbortController();
    const replay = await fetch(`${gw.url}/mcp/crm`, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': primingId }, signal: aborter.signal });
    expect(replay.status).toBe(200);
    let replayed = '';
    const reader = replay.body!.getReader();
    while (!replayed.includes('"id":"list"')) replayed += new TextDecoder().decode((await reader.read()).value);
    aborter.abort();
    expect(toolNames(replayed)).toEqual(['searchAccounts', 'exportAccounts']);
  });
});

describe('bodies the gateway cannot decide on', () => {
  it('a body that is not JSON-RPC (400) and one over the size limit (413) are refused, audited once each, and not forwarded', async () => {
    const bearer = await gw.bearer('ops-bot');
    const sessionId = await gw.openSession('billing', bearer);
    const before = upstreamRequests();
    const send = (body: string) =>
      fetch(`${gw.url}/mcp/billing`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'mcp-session-id': sessionId, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
    const garbage = await send('{"jsonrpc": "2.0", "method": "tools/call", ');
    expect([garbage.status, ((await garbage.json()) as { error: { code: number } }).error.code]).toEqual([400, -32700]);
    const huge = await send(JSON.stringify({ jsonrpc: '2.0', id: 'huge', method: 'tools/call', params: { name: 'getInvoice', arguments: { note: 'x'.repeat(5 * 1024 * 1024) } } }));
    expect([huge.status, ((await huge.json()) as { error: { code: number } }).error.code]).toEqual([413, -32004]);
    expect(upstreamRequests()).toBe(before);
    const records = await gw.waitForRecords('both refusals', (all) => {
      const mine = all.filter((r) => r.sessionId === sessionId && r.method === '(request)');
      return mine.length >= 2 && mine;
    });
    expect(records.map((r) => [r.agent, r.decision, r.status])).toEqual([
      ['ops-bot', 'deny', 400],
      ['ops-bot', 'deny', 413],
    ]);
  });
});

describe('a batch mixing allowed and denied calls', () => {
  for (const { server, allowed, denied, code } of [
    { server: 'crm', allowed: 'searchAccounts', denied: 'deleteAccount', code: 'denied-by-policy' },
    { server: 'billing', allowed: 'getInvoice', denied: 'rawSql', code: 'undeclared-tool' },
  ] as const) {
    it(`${server} (${server === 'crm' ? 'SSE' : 'JSON'} upstream): the allowed call is answered by the tool, the denied one by a JSON-RPC error; only the allowed one reaches the upstream`, async () => {
      const bearer = await gw.bearer('sales-bot');
      const sessionId = await gw.openSession(server, bearer);
      const executed = gw.upstreams[server].executed.length;
      const answer = await gw.post(server, [call('batch-ok', allowed, { id: 'b1' }), call('batch-no', denied, { id: 'b2' })], { bearer, sessionId });
      expect(answer.status).toBe(200);
      const byId = new Map(answer.messages.map((m) => [m.id, m]));
      expect(byId.size).toBe(2);
      expect(byId.get('batch-ok')).toMatchObject({ result: { content: [{ text: `${server}/${allowed} {"id":"b1"}` }] } });
      expect(byId.get('batch-no')).toMatchObject({ error: { code: -32005, data: { reason: code } } });
      // On the session the client holds: the upstream sees its own id, sealed in the client's.
      expect(gw.upstreams[server].executed.slice(executed).map((c) => [c.tool, c.sessionId])).toEqual([[allowed, gw.upstreamSessionOf(server, sessionId)]]);
      const records = await gw.waitForRecords('both batch records', (all) => {
        const mine = all.filter((r) => r.sessionId === sessionId && r.method === 'tools/call');
        return mine.length >= 2 && mine;
      });
      expect(records.map((r) => [r.requestId, r.tool, r.decision, reasonCode(r)])).toEqual([
        ['batch-ok', allowed, 'allow', 'allowed'],
        ['batch-no', denied, 'deny', code],
      ]);
    });
  }
});
