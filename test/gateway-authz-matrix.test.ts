/**
 * The authorization matrix end to end: real MCP SDK clients, as four agents (two
 * with agent keys, two with JWTs from a local OIDC issuer), call every tool of three
 * real SDK-built servers through the governed gateway — declared tools they may
 * call, may not call, may call only with an approval, and tools the manifests do
 * not declare. The verdicts are written by hand below (the specification), not
 * computed by the policy code. Proves: each call gets its verdict; `tools/list`
 * shows exactly the callable tools (on a JSON and on an SSE upstream); a server
 * the agent may not use answers 403 at initialize; every decision is in the audit
 * exactly once; the upstreams' own logs hold exactly the allowed calls; and no
 * upstream ever saw the caller's Authorization header.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../src/client/wire.ts';
import { reasonCode, SERVER_NAMES, startGovernedGateway, type AgentName, type GovernedGateway, type ServerName } from './governed-gateway-harness.ts';

/** allow: forwarded and answered; approval: -32006 with an approval id; anything else: refused with -32005 and that code. */
type Expected = 'allow' | 'approval-by-manifest' | 'approval-by-policy' | 'denied-by-policy' | 'missing-scope' | 'undeclared-tool';

/** What each agent may do on each server: a table per tool, or 403 when it may not use the server at all. */
const MATRIX: Partial<Record<AgentName, Partial<Record<ServerName, Record<string, Expected> | 403>>>> = {
  'sales-bot': {
    crm: { searchAccounts: 'allow', updateOpportunity: 'allow', deleteAccount: 'denied-by-policy', exportAccounts: 'approval-by-manifest', debugDump: 'undeclared-tool' },
    billing: { getInvoice: 'allow', issueRefund: 'approval-by-policy', rawSql: 'undeclared-tool' },
    hr: 403,
  },
  'ops-bot': {
    crm: { searchAccounts: 'allow', updateOpportunity: 'allow', deleteAccount: 'allow', exportAccounts: 'approval-by-manifest', debugDump: 'undeclared-tool' },
    billing: { getInvoice: 'allow', issueRefund: 'allow', rawSql: 'undeclared-tool' },
    hr: 403,
  },
  'finance-bot': {
    crm: { searchAccounts: 'allow', updateOpportunity: 'missing-scope', deleteAccount: 'missing-scope', exportAccounts: 'approval-by-manifest', debugDump: 'undeclared-tool' },
    billing: { getInvoice: 'allow', issueRefund: 'denied-by-policy', rawSql: 'undeclared-tool' },
    hr: { lookupEmployee: 'allow', setSalary: 'missing-scope', shell: 'undeclared-tool' },
  },
  'hr-bot': {
    crm: 403,
    billing: 403,
    hr: { lookupEmployee: 'allow', setSalary: 'approval-by-policy', shell: 'undeclared-tool' },
  },
};

/** The audit decision each expectation is recorded as. */
const DECISION: Record<Expected, CallRecord['decision']> = {
  allow: 'allow',
  'approval-by-manifest': 'approval-required',
  'approval-by-policy': 'approval-required',
  'denied-by-policy': 'deny',
  'missing-scope': 'deny',
  'undeclared-tool': 'deny',
};

/** Tools in the order the upstreams list them (declared first, then undeclared). */
const UPSTREAM_ORDER: Record<ServerName, string[]> = {
  crm: ['searchAccounts', 'updateOpportunity', 'deleteAccount', 'exportAccounts', 'debugDump'],
  billing: ['getInvoice', 'issueRefund', 'rawSql'],
  hr: ['lookupEmployee', 'setSalary', 'shell'],
};

interface Outcome {
  agent: AgentName;
  server: ServerName;
  tool: string;
  expected: Expected;
  sessionId: string;
  /** The answer's text, or the JSON-RPC error. */
  text?: string;
  error?: { code: number; data?: unknown };
}

let gw: GovernedGateway;
const outcomes: Outcome[] = [];
const listed = new Map<string, string[]>();
const sessions = new Map<string, string>();
const refusedAtInitialize = new Map<string, number>();

beforeAll(async () => {
  gw = await startGovernedGateway();
  for (const [agent, row] of Object.entries(MATRIX) as Array<[AgentName, NonNullable<(typeof MATRIX)[AgentName]>]>) {
    for (const server of SERVER_NAMES) {
      const cell = row[server]!;
      const key = `${agent}/${server}`;
      if (cell === 403) {
        const answer = await gw.post(server, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }, { bearer: await gw.bearer(agent) });
        refusedAtInitialize.set(key, answer.status);
        continue;
      }
      const client = await gw.connect(agent, server);
      const sessionId = gw.sessionOf(client);
      sessions.set(key, sessionId);
      listed.set(key, (await client.listTools()).tools.map((t) => t.name));
      for (const [tool, expected] of Object.entries(cell)) {
        const outcome: Outcome = { agent, server, tool, expected, sessionId };
        try {
          const result = await client.callTool({ name: tool, arguments: { id: `${agent}-${tool}` } });
          outcome.text = (result.content as Array<{ text: string }>)[0]!.text;
        } catch (err) {
          if (!(err instanceof McpError)) throw err;
          outcome.error = { code: err.code, data: err.data };
        }
        outcomes.push(outcome);
      }
    }
  }
}, 60_000);
afterAll(async () => {
  await gw?.close();
});

describe('the authorization matrix through the gateway (SDK clients, API keys and JWTs)', () => {
  it('answers every call with its verdict: allowed calls reach the tool, refused ones get the JSON-RPC error that says why', () => {
    const got = outcomes.map((o) => {
      if (o.text !== undefined) return [o.agent, o.server, o.tool, 'allow', o.text];
      const reason = (o.error!.data as { reason?: string } | undefined)?.reason;
      if (o.error!.code === -32006) return [o.agent, o.server, o.tool, 'approval', typeof (o.error!.data as { approvalId?: unknown }).approvalId];
      return [o.agent, o.server, o.tool, o.error!.code === -32005 ? reason : `code ${o.error!.code}`, undefined];
    });
    const want = outcomes.map((o) => {
      if (o.expected === 'allow') return [o.agent, o.server, o.tool, 'allow', `${o.server}/${o.tool} {"id":"${o.agent}-${o.tool}"}`];
      if (o.expected.startsWith('approval')) return [o.agent, o.server, o.tool, 'approval', 'string']; // which rule asked: the audit test
      return [o.agent, o.server, o.tool, o.expected, undefined];
    });
    expect(got).toEqual(want);
    expect(outcomes).toHaveLength(30);
  });

  it('a server the agent may not use answers 403 at initialize', () => {
    expect(Object.fromEntries(refusedAtInitialize)).toEqual({ 'sales-bot/hr': 403, 'ops-bot/hr': 403, 'hr-bot/crm': 403, 'hr-bot/billing': 403 });
  });

  it('tools/list shows exactly the tools the agent may call or ask approval for, on the JSON (billing) and SSE (crm, hr) upstreams', () => {
    const want = new Map<string, string[]>();
    for (const [agent, row] of Object.entries(MATRIX)) {
      for (const server of SERVER_NAMES) {
        const cell = row[server]!;
        if (cell === 403) continue;
        want.set(`${agent}/${server}`, UPSTREAM_ORDER[server].filter((t) => cell[t] === 'allow' || cell[t]!.startsWith('approval')));
      }
    }
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(want));
  });

  it('the upstreams executed exactly the allowed calls, each once, and nothing refused reached them', () => {
    for (const server of SERVER_NAMES) {
      const executed = gw.upstreams[server].executed.map((c) => `${c.sessionId} ${c.tool} ${JSON.stringify(c.arguments)}`).sort();
      // Each on the session its client holds: the upstream sees its own id, sealed in the client's.
      const allowed = outcomes
        .filter((o) => o.server === server && o.expected === 'allow')
        .map((o) => `${gw.upstreamSessionOf(server, o.sessionId)} ${o.tool} {"id":"${o.agent}-${o.tool}"}`)
        .sort();
      expect(executed, server).toEqual(allowed);
    }
  });

  it('every decision is in the audit exactly once, with its verdict, reason code, caller and the status the client got', async () => {
    const toolCalls = (records: CallRecord[]) => records.filter((r) => r.method === 'tools/call');
    const records = await gw.waitForRecords('a record of every call', (all) => toolCalls(all).length >= outcomes.length && all);
    expect(toolCalls(records)).toHaveLength(outcomes.length);
    for (const o of outcomes) {
      const mine = records.filter((r) => r.sessionId === o.sessionId && r.tool === o.tool);
      expect(mine, `${o.agent} ${o.server} ${o.tool}`).toHaveLength(1);
      const expectedCode = o.expected === 'allow' ? 'allowed' : o.expected;
      expect({ ...mine[0]!, code: reasonCode(mine[0]!) }, `${o.agent} ${o.server} ${o.tool}`).toMatchObject({
        agent: o.agent,
        server: o.server,
        decision: DECISION[o.expected],
        code: expectedCode,
        status: 200,
        ...(o.expected === 'allow' ? { upstreamStatus: 200 } : {}),
      });
      if (o.expected !== 'allow') expect(mine[0]).not.toHaveProperty('upstreamStatus');
    }
    // hr's manifest keeps arguments and results: its records have the arguments, the allowed calls' their result; nobody else's keep either.
    for (const r of toolCalls(records)) {
      const kept = r.server === 'hr' ? { arguments: { id: `${r.agent}-${r.tool}` }, ...(r.decision === 'allow' ? { result: { content: [{ type: 'text', text: `hr/${r.tool} {"id":"${r.agent}-${r.tool}"}` }] } } : {}) } : {};
      expect({ arguments: r.arguments, result: r.result }, `${r.agent} ${r.server} ${r.tool}`).toEqual({ arguments: undefined, result: undefined, ...kept });
    }
    // The JWT agents' records name the user the token speaks for; agent keys name none.
    expect(new Set(records.filter((r) => r.agent === 'finance-bot').map((r) => r.user))).toEqual(new Set(['fiona']));
    expect(new Set(records.filter((r) => r.agent === 'hr-bot').map((r) => r.user))).toEqual(new Set(['hank']));
    expect(records.filter((r) => r.agent === 'sales-bot' && r.user !== undefined)).toEqual([]);
    // One tools/list per session, and one refusal per server an agent may not use.
    for (const [key, sessionId] of sessions) expect(records.filter((r) => r.sessionId === sessionId && r.method === 'tools/list'), key).toHaveLength(1);
    for (const key of refusedAtInitialize.keys()) {
      const [agent, server] = key.split('/');
      const refusals = records.filter((r) => r.agent === agent && r.server === server && r.status === 403);
      expect(refusals.map((r) => [r.method, r.decision, reasonCode(r)]), key).toEqual([['(request)', 'deny', 'no-access']]);
    }
  });

  it("never forwards the caller's Authorization header to an upstream", () => {
    const seen = SERVER_NAMES.flatMap((s) => gw.upstreams[s].log.requests);
    expect(seen.length).toBeGreaterThan(30);
    expect(seen.filter((r) => r.headers.authorization !== undefined || r.headers.cookie !== undefined)).toEqual([]);
  });
});
