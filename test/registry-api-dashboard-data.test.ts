/**
 * The registry's read views for the dashboard, over a real socket with bearer
 * tokens: call record and audit paging, call and reconcile statistics (and their
 * bounds), the access matrix and the agents view (agreeing with `berth can-i`,
 * run as the real CLI), and server logs through the ServerLogSource port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { AgentAccess, AgentSummary, AuditEntry, CallRecord, CallStats, ReconcileStats, RecordPage, ServerAccessMatrix, ServerLogs } from '../src/client/wire.ts';
import type { AccessPolicy, MCPServer } from '../src/manifest/types.ts';
import { ServerLogsUnavailableError, type ServerLogSource } from '../src/registry/server-log-source.ts';
import { runBerth } from './cli-services-harness.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

const logSource: ServerLogSource = {
  description: 'test lines',
  async recent(server, { tail }) {
    if (server !== 'shop') throw new ServerLogsUnavailableError(`nothing recorded for ${server}`);
    const lines = Array.from({ length: 5 }, (_, i) => ({ time: new Date(T0 + i * 1000).toISOString(), stream: i % 2 ? ('stderr' as const) : ('stdout' as const), line: `line ${i}` }));
    return lines.slice(-tail);
  },
};

let h: Harness;
let bare: Harness;
const tokens: Record<string, string> = {};

async function get<T>(path: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${h.url}${BASE}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

function shopServer(name: string): MCPServer {
  const m = serverManifest(name, { team: 'sales' });
  m.spec.tools = [
    { name: 'lookup', scopes: ['shop.read'] },
    { name: 'discount', scopes: ['shop.discount'] },
    { name: 'write', scopes: ['shop.write'], approval: 'required' },
  ];
  return m;
}

function policy(name: string, spec: AccessPolicy['spec']): AccessPolicy {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name }, spec };
}

beforeAll(async () => {
  [h, bare] = await Promise.all([startHarness({ logSource }), startHarness()]);
  for (const role of ['reader', 'approver', 'gateway'] as const) tokens[role] = await h.token(role);
  tokens['owner'] = await h.token('publisher', { team: 'sales' });
  tokens['other'] = await h.token('publisher', { team: 'billing' });
  tokens['agent'] = await h.token('agent', { agent: 'analyst', groups: ['deal-desk'] });
  await h.token('agent', { agent: 'retired', revoked: true });
  await h.admin.create(policy('sales', { subjects: [{ agent: 'sales-copilot' }], allow: ['shop.read'], deny: ['shop.discount'] }));
  await h.admin.create(policy('desk', { subjects: [{ group: 'deal-desk' }], allow: ['shop.read'], requireApproval: ['shop.discount'] }));
  // `shop`: approved and Ready; `draft`: its requested stage never approved, so the lifecycle gate holds it.
  await h.admin.create(shopServer('shop'));
  await h.admin.create(shopServer('draft'));
  await h.admin.decideStage('shop', { stage: 'approved-dev', decision: 'approved' });
  const now = new Date().toISOString();
  await h.admin.updateStatus('MCPServer', 'shop', {
    phase: 'Ready',
    endpoint: 'http://127.0.0.1:9/mcp',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Healthy', message: 'serving', lastTransitionTime: now }],
  });
  await h.admin.updateStatus('MCPServer', 'draft', {
    phase: 'Ready',
    endpoint: 'http://127.0.0.1:9/mcp',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Healthy', message: 'serving', lastTransitionTime: now }],
  });
}, 20_000);

afterAll(async () => {
  await Promise.all([h?.close(), bare?.close()]);
});

describe('call records and the change audit page with continue', () => {
  it('filters call records by user and [since, until), and pages through every record once', async () => {
    const records: CallRecord[] = Array.from({ length: 7 }, (_, i) => ({
      time: new Date(T0 + i * 1000).toISOString(),
      agent: 'sales-copilot',
      ...(i % 2 === 0 ? { user: 'ana@example.com' } : {}),
      server: 'paging',
      tool: 'lookup',
      method: 'tools/call',
      scopes: ['shop.read'],
      decision: 'allow',
      reason: `page ${i}`,
      latencyMs: 1,
      status: 200,
    }));
    await h.store.appendCallRecords(records);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await get<RecordPage<CallRecord>>(`/callrecords?server=paging&limit=3${next ? `&continue=${next}` : ''}`, tokens['reader']!);
      expect(status).toBe(200);
      seen.push(...body.items.map((r) => r.reason));
      next = body.continue;
      pages++;
    } while (next !== undefined);
    expect(seen).toEqual(['page 6', 'page 5', 'page 4', 'page 3', 'page 2', 'page 1', 'page 0']);
    expect(pages).toBe(3);
    const window = await get<RecordPage<CallRecord>>(`/callrecords?server=paging&user=ana%40example.com&since=${new Date(T0 + 1000).toISOString()}&until=${new Date(T0 + 6000).toISOString()}`, tokens['approver']!);
    expect(window.body.items.map((r) => r.reason)).toEqual(['page 4', 'page 2']);
    expect(window.body.continue).toBeUndefined();
    const bad = await get<{ detail: string }>('/callrecords?continue=garbage', tokens['reader']!);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('not a call record page token');
    expect((await get('/callrecords?until=yesterday', tokens['reader']!)).status).toBe(400);
  });

  it('pages the change audit and bounds it with until', async () => {
    const first = await get<RecordPage<AuditEntry>>('/audit?kind=AccessPolicy&limit=1', tokens['reader']!);
    expect(first.body.items.map((e) => e.name)).toEqual(['desk']);
    const second = await get<RecordPage<AuditEntry>>(`/audit?kind=AccessPolicy&limit=1&continue=${first.body.continue}`, tokens['reader']!);
    expect(second.body.items.map((e) => e.name)).toEqual(['sales']);
    const before = await get<RecordPage<AuditEntry>>(`/audit?until=2000-01-01T00:00:00Z`, tokens['reader']!);
    expect(before.body.items).toEqual([]);
  });
});

describe('statistics', () => {
  it('counts calls by decision with latency percentiles per bucket, overall and per server', async () => {
    const call = (at: number, server: string, decision: CallRecord['decision'], latencyMs: number): CallRecord => ({
      time: new Date(T0 + 3_600_000 + at).toISOString(),
      agent: 'a',
      server,
      method: 'tools/call',
      scopes: [],
      decision,
      reason: 'r',
      latencyMs,
      status: 200,
    });
    await h.store.appendCallRecords([
      call(1_000, 'crm', 'allow', 10),
      call(2_000, 'crm', 'allow', 20),
      call(3_000, 'crm', 'deny', 30),
      call(61_000, 'wiki', 'approval-required', 100),
      call(200_000, 'wiki', 'allow', 5), // outside the window
    ]);
    const since = new Date(T0 + 3_600_000).toISOString();
    const until = new Date(T0 + 3_600_000 + 120_000).toISOString();
    const { status, body } = await get<CallStats>(`/stats/calls?since=${since}&until=${until}&bucket=60s`, tokens['reader']!);
    expect(status).toBe(200);
    expect(body.bucketSeconds).toBe(60);
    expect(body.complete).toBe(true);
    expect(body.starts).toEqual([since, new Date(T0 + 3_660_000).toISOString()]);
    expect(body.overall).toEqual({
      total: [3, 1],
      decisions: { allow: [2, 0], deny: [1, 0], 'approval-required': [0, 1], 'rate-limited': [0, 0], error: [0, 0] },
      p50: [20, 100],
      p95: [30, 100],
      p99: [30, 100],
    });
    expect(body.servers.map((s) => s.server)).toEqual(['crm', 'wiki']);
    expect(body.servers[1]!.total).toEqual([0, 1]);
    expect(body.servers[1]!.p50).toEqual([null, 100]);
    const one = await get<CallStats>(`/stats/calls?server=wiki&since=${since}&until=${until}&bucket=1m`, tokens['approver']!);
    expect(one.body.servers.map((s) => s.server)).toEqual(['wiki']);
    expect(one.body.overall.total).toEqual([0, 1]);
  });

  it('refuses an unbounded window with a 400 that says the limit, and people without call audit rights with a 403', async () => {
    const noSince = await get<{ detail: string }>('/stats/calls', tokens['reader']!);
    expect(noSince.status).toBe(400);
    expect(noSince.body.detail).toContain('since is required');
    const tooMany = await get<{ detail: string }>(`/stats/calls?since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z&bucket=60s`, tokens['reader']!);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toContain('at most 1440');
    expect((await get('/stats/calls?since=2026-01-01T00:00:00Z&bucket=1s', tokens['reader']!)).status).toBe(400);
    expect((await get('/stats/calls?since=2026-01-01T00:00:00Z&until=2026-01-01T01:00:00Z', tokens['owner']!)).status).toBe(403);
    expect((await get('/stats/reconcile?since=2026-01-01T00:00:00Z&until=2026-01-01T01:00:00Z', tokens['gateway']!)).status).toBe(403);
  });

  it('counts reconcile failures from the status writes the audit keeps', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    for (const message of ['pull failed; retry in 1s', 'pull failed; retry in 2s']) {
      await h.admin.updateStatus('MCPServer', 'draft', {
        phase: 'Degraded',
        conditions: [{ type: 'Degraded', status: 'True', reason: 'ProviderError', message, lastTransitionTime: new Date().toISOString() }],
      });
    }
    const { status, body } = await get<ReconcileStats>(`/stats/reconcile?since=${since}&bucket=10m`, tokens['owner']!);
    expect(status).toBe(200);
    expect(body.source).toContain('Degraded=True');
    expect(body.overall.errors.reduce((n, e) => n + e, 0)).toBe(2);
    expect(body.starts).toHaveLength(body.overall.errors.length);
    expect(body.servers.map((s) => s.server)).toEqual(['draft']);
  });
});

describe('who may call what', () => {
  it('gives each agent × tool the gateway decision and its reason: allow, needs-approval, deny, lifecycle block', async () => {
    const { status, body } = await get<ServerAccessMatrix>('/mcpservers/shop/access', tokens['reader']!);
    expect(status).toBe(200);
    expect(body.traffic).toEqual({ routable: true });
    expect(body.tools.map((t) => t.name)).toEqual(['lookup', 'discount', 'write']);
    expect(body.rows.map((r) => [r.agent, r.groups, r.from])).toEqual([
      ['analyst', ['deal-desk'], ['agent-key']],
      ['sales-copilot', [], ['policy']],
    ]);
    expect(JSON.stringify(body)).not.toMatch(/tok_/);
    const cell = (matrix: ServerAccessMatrix, agent: string, tool: string) => matrix.rows.find((r) => r.agent === agent)!.cells.find((c) => c.tool === tool)!;
    expect(cell(body, 'sales-copilot', 'lookup')).toMatchObject({ decision: 'allow', code: 'allowed' });
    expect(cell(body, 'analyst', 'discount')).toMatchObject({ decision: 'needs-approval', code: 'approval-by-policy' });
    expect(cell(body, 'sales-copilot', 'discount')).toMatchObject({ decision: 'deny', code: 'denied-by-policy' });
    expect(cell(body, 'sales-copilot', 'discount').reason).toContain('AccessPolicy `sales`');
    const draft = (await get<ServerAccessMatrix>('/mcpservers/draft/access', tokens['owner']!)).body;
    expect(draft.traffic).toMatchObject({ routable: false, code: 'lifecycle' });
    expect(cell(draft, 'sales-copilot', 'lookup')).toMatchObject({ decision: 'deny', code: 'lifecycle' });
    expect(cell(draft, 'sales-copilot', 'lookup').reason).toMatch(/not routable: requested approved-dev, effective security-review/);

    // The same inputs through `berth can-i`: the verdict and the sentence agree.
    const canI = (agent: string, target: string, groups: string[] = []) =>
      runBerth(['can-i', '--agent', agent, ...groups.flatMap((g) => ['--group', g]), 'call', target, '--server', h.url, '--token', h.adminToken]);
    const [allow, approval, deny, blocked] = await Promise.all([
      canI('sales-copilot', 'shop/lookup'),
      canI('analyst', 'shop/discount', ['deal-desk']),
      canI('sales-copilot', 'shop/discount'),
      canI('sales-copilot', 'draft/lookup'),
    ]);
    expect([allow.code, approval.code, deny.code, blocked.code]).toEqual([0, 0, 1, 1]);
    expect(allow.stdout).toMatch(/^yes: /);
    expect(approval.stdout).toMatch(/^yes, after a human approval: /);
    expect(approval.stdout).toContain(cell(body, 'analyst', 'discount').reason);
    expect(deny.stdout).toContain(`policy:    deny (denied-by-policy): ${cell(body, 'sales-copilot', 'discount').reason}`);
    expect(blocked.stdout).toContain(`traffic:   ${cell(draft, 'sales-copilot', 'lookup').reason}`);
  }, 20_000);

  it("lists every agent's servers with counts, one agent's with cells, and refuses agent and gateway tokens", async () => {
    const list = await get<{ items: AgentSummary[] }>('/agents', tokens['approver']!);
    expect(list.status).toBe(200);
    expect(list.body.items.map((a) => a.agent)).toEqual(['analyst', 'sales-copilot']);
    const copilot = list.body.items.find((a) => a.agent === 'sales-copilot')!;
    expect(copilot.policies).toEqual(['sales']);
    // It may use both servers policy-wise; draft's cells are all deny (the lifecycle gate), so its counts say so.
    expect(copilot.servers).toEqual([
      { server: 'draft', team: 'sales', counts: { allow: 0, 'needs-approval': 0, deny: 3 } },
      { server: 'shop', team: 'sales', counts: { allow: 1, 'needs-approval': 0, deny: 2 } },
    ]);
    expect(copilot.unusableServers).toBe(0);
    const one = await get<AgentAccess>('/agents/analyst', tokens['reader']!);
    const shop = one.body.servers.find((s) => s.server === 'shop')!;
    expect(shop.cells.map((c) => c.decision)).toEqual(['allow', 'needs-approval', 'deny']);
    expect(shop).toMatchObject({ use: { allowed: true, code: 'allowed' }, traffic: { routable: true } });
    expect(one.body.servers.find((s) => s.server === 'draft')!.traffic).toMatchObject({ routable: false, code: 'lifecycle' });
    const unknown = await get<{ detail: string }>('/agents/nobody', tokens['reader']!);
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('no AccessPolicy names agent "nobody"');
    expect((await get('/agents', tokens['agent']!)).status).toBe(403);
    expect((await get('/mcpservers/shop/access', tokens['gateway']!)).status).toBe(403);
    expect((await get('/mcpservers/ghost/access', tokens['reader']!)).status).toBe(404);
  });
});

describe('server logs', () => {
  it('serves the newest lines to the owner team, approvers and admins, and refuses others', async () => {
    const owner = await get<ServerLogs>('/mcpservers/shop/logs?tail=2', tokens['owner']!);
    expect(owner.status).toBe(200);
    expect(owner.body).toEqual({ server: 'shop', source: 'test lines', lines: [expect.objectContaining({ line: 'line 3', stream: 'stderr' }), expect.objectContaining({ line: 'line 4', stream: 'stdout' })] });
    expect((await get<ServerLogs>('/mcpservers/shop/logs', tokens['approver']!)).body.lines).toHaveLength(5);
    const other = await get<{ detail: string }>('/mcpservers/shop/logs', tokens['other']!);
    expect(other.status).toBe(403);
    expect(other.body.detail).toContain('owner team');
    expect((await get('/mcpservers/shop/logs', tokens['reader']!)).status).toBe(403);
    const none = await get<{ detail: string }>('/mcpservers/draft/logs', tokens['approver']!);
    expect(none.status).toBe(404);
    expect(none.body.detail).toContain('nothing recorded for draft');
    expect((await get('/mcpservers/shop/logs?tail=0', tokens['approver']!)).status).toBe(400);
  });

  it('answers 404 saying why on a registry without a log source', async () => {
    await bare.admin.create(serverManifest('solo'));
    const res = await fetch(`${bare.url}${BASE}/mcpservers/solo/logs`, { headers: { authorization: `Bearer ${bare.adminToken}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain('this registry reads no server logs');
  });
});

describe('the client reaches the new filters', () => {
  it('queryCallRecords passes user, until and continue', async () => {
    const reader = new HttpRegistryClient({ baseUrl: h.url, token: tokens['reader']! });
    const got = await reader.queryCallRecords({ server: 'paging', user: 'ana@example.com', until: new Date(T0 + 3000).toISOString() });
    expect(got.map((r) => r.reason)).toEqual(['page 2', 'page 0']);
  });
});

describe('the OpenAPI document', () => {
  it('describes every new endpoint and its answer', async () => {
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, { get?: { parameters?: { name: string }[] } }>; components: { schemas: Record<string, unknown> } };
    for (const path of ['stats/calls', 'stats/reconcile', 'mcpservers/{name}/access', 'mcpservers/{name}/logs', 'agents', 'agents/{agent}']) expect(doc.paths).toHaveProperty([`${BASE}/${path}`]);
    expect(doc.paths[`${BASE}/callrecords`]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['user', 'until', 'continue']));
    expect(doc.paths[`${BASE}/audit`]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['until', 'continue']));
    for (const schema of ['CallStats', 'ReconcileStats', 'ServerAccessMatrix', 'AgentAccess', 'AgentSummary', 'ServerLogs']) expect(doc.components.schemas).toHaveProperty(schema);
  });
});

describe('who may read each view', () => {
  it('holds every role to its cell: 200, or 403 with a reason', async () => {
    const win = `since=${new Date(T0).toISOString()}&until=${new Date(T0 + 600_000).toISOString()}`;
    const views = {
      callrecords: '/callrecords',
      audit: '/audit',
      'stats/calls': `/stats/calls?${win}`,
      'stats/reconcile': `/stats/reconcile?${win}`,
      access: '/mcpservers/shop/access',
      agents: '/agents',
      logs: '/mcpservers/shop/logs',
    } as const;
    tokens['controller'] ??= await h.token('controller');
    const everyoneButMachines = ['admin', 'controller', 'owner', 'other', 'approver', 'reader'];
    const allowed: Record<keyof typeof views, string[]> = {
      callrecords: ['admin', 'approver', 'reader'],
      audit: everyoneButMachines,
      'stats/calls': ['admin', 'approver', 'reader'],
      'stats/reconcile': everyoneButMachines,
      access: everyoneButMachines,
      agents: everyoneButMachines,
      logs: ['admin', 'owner', 'approver'],
    };
    const who = ['admin', 'controller', 'owner', 'other', 'approver', 'reader', 'agent', 'gateway'];
    const got: Record<string, string[]> = {};
    for (const [view, path] of Object.entries(views)) {
      got[view] = [];
      for (const role of who) {
        const res = await get<{ detail?: string }>(path, role === 'admin' ? h.adminToken : tokens[role]!);
        if (res.status === 200) got[view].push(role);
        else {
          expect(res.status, `${role} ${view}`).toBe(403);
          expect(res.body.detail, `${role} ${view}`).toMatch(/token|tokens/);
        }
      }
    }
    expect(got).toEqual(allowed);
  });
});
