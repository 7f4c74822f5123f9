/**
 * What the governed gateway serves besides MCP routes, and its rate limits, over
 * real sockets: OAuth protected resource metadata naming the issuer; discovery
 * (`/v1/discovery`, and the MCP Registry's `/v0.1/servers`) listing per agent
 * exactly the servers it may use and the tools it may call — a server it may not
 * use is absent there and answers 403 at initialize — with search; and a policy's
 * rate limit (60/min, burst 2) answering 429 with Retry-After, audited as
 * `rate-limited`, the refused request never reaching the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonCode, startGovernedGateway, type AgentName, type GovernedGateway } from './governed-gateway-harness.ts';
import { waitFor } from './support/wait.ts';

let gw: GovernedGateway;
beforeAll(async () => {
  gw = await startGovernedGateway();
}, 30_000);
afterAll(async () => {
  await gw?.close();
});

async function get(path: string, agent?: AgentName): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}${path}`, { headers: agent === undefined ? {} : { authorization: `Bearer ${await gw.bearer(agent)}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** `/v1/discovery` as `agent`: server name → the tools listed for it, `(approval)` after those whose calls wait for one. */
async function discovered(agent: AgentName | undefined, query = ''): Promise<Record<string, string[]>> {
  const { status, body } = await get(`/v1/discovery${query}`, agent);
  expect(status).toBe(200);
  const servers = body.servers as Array<{ name: string; tools: Array<{ name: string; approval: string }> }>;
  return Object.fromEntries(servers.map((s) => [s.name, s.tools.map((t) => (t.approval === 'required' ? `${t.name} (approval)` : t.name))]));
}

describe('OAuth protected resource metadata', () => {
  it('names the gateway as the resource and the issuer as its authorization server, at the URL the 401 challenge points to', async () => {
    const refused = await gw.post('crm', { jsonrpc: '2.0', id: 1, method: 'ping' });
    const pointer = /resource_metadata="([^"]+)"/.exec(refused.headers.get('www-authenticate') ?? '')?.[1];
    expect(pointer).toBe(`${gw.url}/.well-known/oauth-protected-resource`);
    const { status, body } = await get('/.well-known/oauth-protected-resource');
    expect(status).toBe(200);
    expect(body).toMatchObject({ resource: gw.url, authorization_servers: [gw.idp.issuer], bearer_methods_supported: ['header'] });
  });
});

describe('discovery for agents', () => {
  /**
   * By hand: the servers each agent may use and the declared tools it may call, `(approval)`
   * where its calls wait for a human approval (by the manifest, or by the agent's policy).
   */
  const VISIBLE: Record<string, Record<string, string[]>> = {
    'sales-bot': { billing: ['getInvoice', 'issueRefund (approval)'], crm: ['searchAccounts', 'updateOpportunity', 'exportAccounts (approval)'] },
    'ops-bot': { billing: ['getInvoice', 'issueRefund'], crm: ['searchAccounts', 'updateOpportunity', 'deleteAccount', 'exportAccounts (approval)'] },
    'finance-bot': { billing: ['getInvoice'], crm: ['searchAccounts', 'exportAccounts (approval)'], hr: ['lookupEmployee'] },
    'hr-bot': { hr: ['lookupEmployee', 'setSalary (approval)'] },
  };

  it('/v1/discovery lists the servers each agent may use, with the tools it may call, and the gateway URL of each', async () => {
    for (const [agent, want] of Object.entries(VISIBLE)) expect(await discovered(agent as AgentName), agent).toEqual(want);
    const { body } = await get('/v1/discovery', 'hr-bot');
    expect(body.servers).toEqual([
      {
        name: 'hr',
        description: 'Employee records',
        url: `${gw.url}/mcp/hr`,
        team: 'sales-platform',
        environment: 'dev',
        lifecycle: 'approved-dev',
        dataClassification: 'internal',
        tools: [
          { name: 'lookupEmployee', scopes: ['hr.read'], approval: 'none' },
          { name: 'setSalary', scopes: ['hr.write'], approval: 'required' },
        ],
      },
    ]);
  });

  it('a server the agent may not use is absent from both listings and answers 403 at initialize', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    for (const [agent, server] of [['hr-bot', 'crm'], ['hr-bot', 'billing'], ['sales-bot', 'hr'], ['ops-bot', 'hr']] as const) {
      expect(Object.keys(await discovered(agent)), agent).not.toContain(server);
      const listing = (await get('/v0.1/servers', agent)).body as { servers: Array<{ _meta: Record<string, { name: string }> }> };
      expect(listing.servers.map((s) => s._meta['dev.berth/gateway']!.name), agent).not.toContain(server);
      const answer = await gw.post(server, initialize, { bearer: await gw.bearer(agent) });
      expect([answer.status, answer.messages[0]?.error?.code], `${agent} ${server}`).toEqual([403, -32005]);
    }
  });

  it('searches names, descriptions, tools and scopes, never tools the agent may not call', async () => {
    expect(await discovered('sales-bot', '?q=invoice')).toEqual({ billing: ['getInvoice', 'issueRefund (approval)'] });
    expect(await discovered('ops-bot', '?q=DELETE')).toEqual({ crm: ['searchAccounts', 'updateOpportunity', 'deleteAccount', 'exportAccounts (approval)'] });
    expect(await discovered('sales-bot', '?q=deleteAccount')).toEqual({});
    expect(await discovered('finance-bot', '?q=salary')).toEqual({});
    expect(await discovered('hr-bot', '?q=salary')).toEqual({ hr: ['lookupEmployee', 'setSalary (approval)'] });
    expect(await discovered('finance-bot', '?q=crm.read')).toEqual({ crm: ['searchAccounts', 'exportAccounts (approval)'] });
  });

  it("/v0.1/servers answers the MCP Registry's shape with the gateway as each server's one remote, paged and searchable", async () => {
    const all = (await get('/v0.1/servers', 'finance-bot')).body as { servers: Array<{ server: Record<string, unknown>; _meta: Record<string, unknown> }>; metadata: Record<string, unknown> };
    expect(all.metadata).toEqual({ count: 3 });
    expect(all.servers.map((s) => [s.server.description, s.server.remotes, s._meta['dev.berth/gateway']])).toEqual([
      ['Invoices and refunds', [{ type: 'streamable-http', url: `${gw.url}/mcp/billing` }], { name: 'billing', team: 'sales-platform', environment: 'dev', lifecycle: 'approved-dev', tools: ['getInvoice'] }],
      ['Accounts and opportunities of the sales team', [{ type: 'streamable-http', url: `${gw.url}/mcp/crm` }], { name: 'crm', team: 'sales-platform', environment: 'dev', lifecycle: 'approved-dev', tools: ['searchAccounts', 'exportAccounts'] }],
      ['Employee records', [{ type: 'streamable-http', url: `${gw.url}/mcp/hr` }], { name: 'hr', team: 'sales-platform', environment: 'dev', lifecycle: 'approved-dev', tools: ['lookupEmployee'] }],
    ]);
    // No upstream address leaks into the listing.
    for (const name of ['crm', 'billing', 'hr'] as const) expect(JSON.stringify(all)).not.toContain(gw.upstreams[name].url);
    const page1 = (await get('/v0.1/servers?limit=2', 'finance-bot')).body as { servers: Array<{ _meta: Record<string, { name: string }> }>; metadata: { count: number; nextCursor?: string } };
    expect([page1.servers.map((s) => s._meta['dev.berth/gateway']!.name), page1.metadata]).toEqual([['billing', 'crm'], { count: 2, nextCursor: 'crm' }]);
    const page2 = (await get(`/v0.1/servers?limit=2&cursor=${page1.metadata.nextCursor}`, 'finance-bot')).body as typeof page1;
    expect([page2.servers.map((s) => s._meta['dev.berth/gateway']!.name), page2.metadata]).toEqual([['hr'], { count: 1 }]);
    const searched = (await get('/v0.1/servers?search=employee', 'finance-bot')).body as typeof page1;
    expect(searched.servers.map((s) => s._meta['dev.berth/gateway']!.name)).toEqual(['hr']);
  });

  it("a publisher's malformed server.json annotations neither break the listing nor the gateway", async () => {
    const billing = (await gw.registry.admin.get('MCPServer', 'billing'))!;
    const annotated = { ...billing, metadata: { name: 'billing', annotations: { 'berth.dev/server-json.remotes': '5', 'berth.dev/server-json.packages': '{"not":"a list"}' } }, spec: { ...billing.spec, description: 'Invoices and refunds (annotated)' } };
    delete (annotated as { status?: unknown }).status;
    await gw.registry.admin.apply(annotated);
    await waitFor('the gateway to see the annotated manifest', async () => (await discovered('sales-bot', '?q=annotated')).billing !== undefined);
    const listing = await get('/v0.1/servers', 'sales-bot');
    expect(listing.status).toBe(200);
    const entry = (listing.body.servers as Array<{ server: Record<string, unknown> }>).find((s) => s.server.description === 'Invoices and refunds (annotated)');
    expect(entry?.server.remotes).toEqual([{ type: 'streamable-http', url: `${gw.url}/mcp/billing` }]);
    expect((await get('/v1/discovery', 'sales-bot')).status).toBe(200);
  });

  it('refuses a refused credential with 401 and a token in the query string with 400', async () => {
    const bad = await fetch(`${gw.url}/v1/discovery`, { headers: { authorization: 'Bearer berth_tok_garbled' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="[^"]+", error="invalid_token"/);
    const inQuery = await fetch(`${gw.url}/v1/discovery?access_token=${await gw.bearer('sales-bot')}`);
    expect(inQuery.status).toBe(400);
  });
});

describe('rate limits', () => {
  it('a policy of 60/min with a burst of 2: past the burst, 429 with Retry-After, audited as rate-limited, not forwarded', async () => {
    const bearer = await gw.bearer('burst-bot');
    const sessionId = await gw.openSession('crm', bearer); // the burst: initialize and initialized
    let limited;
    for (let i = 1; i <= 10 && limited === undefined; i++) {
      const before = gw.upstreams.crm.log.requests.length;
      const answer = await gw.post('crm', { jsonrpc: '2.0', id: `burst-${i}`, method: 'tools/call', params: { name: 'searchAccounts', arguments: {} } }, { bearer, sessionId });
      if (answer.status === 429) {
        expect(gw.upstreams.crm.log.requests.length).toBe(before);
        limited = answer;
      } else expect(answer.status).toBe(200);
    }
    expect(limited, 'no 429 in ten requests at once').toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited!.messages).toMatchObject([{ error: { code: -32007 } }]);
    expect(limited!.messages[0]!.error!.message).toContain('agent `burst-bot` is over its rate limit');
    const records = await gw.waitForRecords('the rate-limited record', (all) => {
      const found = all.filter((r) => r.agent === 'burst-bot' && r.decision === 'rate-limited');
      return found.length > 0 && found;
    });
    expect(records.map((r) => [r.server, r.status, reasonCode(r), r.sessionId])).toEqual([['crm', 429, 'rate-limited', sessionId]]);
  });
});
