/**
 * Approvals and call records through the real CLI binary against two real
 * `berth registry` processes sharing one SQLite file (two replicas, the second
 * with a 1 s approval TTL): `berth approvals list|approve|deny` with their exit
 * codes, a grant consumed once even when gateways race through both replicas,
 * expiry, and `berth audit --calls` with every filter.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argumentsHash } from '../src/manifest/policy-payload.ts';
import { ApprovalGoneError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { Approval, ApprovalCall, CallRecord, Role } from '../src/client/wire.ts';
import { berth, startRegistry, stop, type Ran, type RegistryProcess } from './support/berth-process.ts';

let dir: string;
let replicaA: RegistryProcess;
let replicaB: RegistryProcess;
let admin: HttpRegistryClient;
const tokens = new Map<Role, string>();

/** `berth <args>` against replica A (or `url`) with a token of `role`. */
function run(role: Role, args: string[], url = replicaA.url): Promise<Ran> {
  return berth(args, { BERTH_SERVER: url, BERTH_TOKEN: tokens.get(role)! }, dir);
}

/** A gateway's client of replica A (or `url`). */
const gatewayOf = (url = replicaA.url): HttpRegistryClient => new HttpRegistryClient({ baseUrl: url, token: tokens.get('gateway')! });

let n = 0;
function freshCall(tool = 'updateOpportunity'): ApprovalCall {
  return { agent: `cli-bot-${++n}`, server: 'crm', tool, argumentsHash: argumentsHash({ n }) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-approvals-cli-'));
  replicaA = await startRegistry(join(dir, 'a'));
  replicaB = await startRegistry(join(dir, 'b'), ['--db', join(dir, 'a', 'registry.db'), '--approval-ttl', '1s']);
  const adminToken = (await readFile(join(dir, 'a', 'admin-token'), 'utf8')).trim();
  admin = new HttpRegistryClient({ baseUrl: replicaA.url, token: adminToken });
  tokens.set('admin', adminToken);
  for (const role of ['gateway', 'approver', 'reader'] as const) tokens.set(role, (await admin.createToken({ role })).token);
  tokens.set('agent', (await admin.createToken({ role: 'agent', agent: 'sales-copilot' })).token);
});
afterAll(async () => {
  await Promise.all([replicaA, replicaB].filter(Boolean).map((r) => stop(r)));
  await rm(dir, { recursive: true, force: true });
});

describe('berth approvals', () => {
  it('lists pending requests, approves one (consumed once by the gateway), denies another; deciding twice exits 1 saying why', async () => {
    const gateway = gatewayOf();
    const a = await gateway.requestApproval({ ...freshCall(), user: 'dana@example.com' });
    const b = await gateway.requestApproval(freshCall('deleteOpportunity'));

    const list = await run('approver', ['approvals', 'list', '--status', 'pending']);
    expect([list.code, list.stderr]).toEqual([0, '']);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+AGENT\s+SERVER\s+TOOL\s+AGE\s+DECIDED-BY\s+EXPIRES-IN\s+REASON$/);
    expect(rows[0]).toMatch(new RegExp(`^${b.id}\\s+pending\\s+${b.agent}\\s+crm\\s+deleteOpportunity\\s+\\d+s\\s+-\\s+-$`));
    expect(rows[1]).toMatch(new RegExp(`^${a.id}\\s+pending\\s+${a.agent} \\(dana@example.com\\)\\s+crm\\s+updateOpportunity`));

    const approved = await run('approver', ['approvals', 'approve', a.id, '--reason', 'fixing a typo']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`^approval ${a.id} approved: ${a.agent} may call crm/updateOpportunity once with the arguments it asked for, until \\S+Z\\n$`));
    const listed = JSON.parse((await run('reader', ['approvals', 'list', '--agent', a.agent, '-o', 'json'])).stdout) as Approval[];
    expect(listed).toMatchObject([{ id: a.id, status: 'approved', reason: 'fixing a typo' }]);
    const table = await run('reader', ['approvals', 'list', '--status', 'approved', '--mcpserver', 'crm']);
    expect(table.stdout).toMatch(new RegExp(`^${a.id}\\s+approved\\s+.*tok_\\w+\\s+(9m|10m|5\\d\\ds)\\s+fixing a typo$`, 'm'));

    expect((await gateway.consumeApproval(a.id, a)).status).toBe('consumed');
    await expect(gateway.consumeApproval(a.id, a)).rejects.toBeInstanceOf(ApprovalGoneError);

    const twice = await run('approver', ['approvals', 'approve', a.id]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(new RegExp(`^berth approvals: approval ${a.id} is consumed \\(approved by tok_\\w+ at \\S+\\), not pending`));

    const denied = await run('admin', ['approvals', 'deny', b.id, '--reason', 'never delete']);
    expect([denied.code, denied.stdout]).toEqual([0, `approval ${b.id} denied: ${b.agent} may not call crm/deleteOpportunity with those arguments\n`]);
    expect((await run('reader', ['approvals', 'list', '--status', 'denied'])).stdout).toMatch(new RegExp(`^${b.id}\\s+denied\\s+.*never delete$`, 'm'));

    const audit = await run('reader', ['audit', '--action', 'approval.approve']);
    expect(audit.stdout).toMatch(new RegExp(`^\\S+\\s+tok_\\w+\\s+approval\\.approve\\s+approval/${a.id}\\s+-\\s+-$`, 'm'));
  });

  it('exit codes: 1 for a role that may not, 2 for usage, 3 for an unreachable registry or a refused token', async () => {
    const pending = await gatewayOf().requestApproval(freshCall());
    const reader = await run('reader', ['approvals', 'approve', pending.id]);
    expect([reader.code, reader.stderr]).toEqual([1, expect.stringMatching(/refused the request \(403 approving or denying needs an approver or admin token/)]);
    const agent = await run('agent', ['approvals', 'list']);
    expect([agent.code, agent.stderr]).toEqual([1, expect.stringMatching(/403 approvals and call records are read with an admin, approver or reader token/)]);
    for (const args of [['approvals'], ['approvals', 'approve'], ['approvals', 'list', '--status', 'maybe'], ['approvals', 'approve', pending.id, '--status', 'pending'], ['audit', '--calls', '--actor', 'x'], ['audit', '--decision', 'perhaps']]) {
      const r = await run('approver', args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^berth (approvals|audit): .*\n\nUsage:/);
    }
    expect((await run('approver', ['approvals', 'list'], 'http://127.0.0.1:9')).code).toBe(3);
    expect((await berth(['approvals', 'list'], { BERTH_SERVER: replicaA.url, BERTH_TOKEN: `berth_tok_aaaaaaaaaaaa_${'b'.repeat(43)}` }, dir)).code).toBe(3);
    expect((await run('approver', ['help', 'approvals'])).stdout).toMatch(/^Usage:\n {2}berth approvals list/);
  });

  it('a grant is consumed once even when gateways race through two registry replicas', async () => {
    const c = freshCall();
    const filed = await gatewayOf(replicaB.url).requestApproval(c);
    expect((await run('approver', ['approvals', 'approve', filed.id])).code).toBe(0); // through replica A: its 10-minute TTL
    const racers = Array.from({ length: 12 }, (_, i) => gatewayOf(i % 2 === 0 ? replicaA.url : replicaB.url).consumeApproval(filed.id, c));
    const results = await Promise.allSettled(racers);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ApprovalGoneError)).toBe(true);
  });

  it('a grant from the replica with a 1 s TTL expires unused: listed as expired, refused with 410', async () => {
    const c = freshCall();
    const filed = await gatewayOf(replicaB.url).requestApproval(c);
    expect((await run('approver', ['approvals', 'approve', filed.id], replicaB.url)).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1_200));
    const expired = await run('reader', ['approvals', 'list', '--status', 'expired']);
    expect(expired.stdout).toMatch(new RegExp(`^${filed.id}\\s+expired\\s`, 'm'));
    const late = await gatewayOf().consumeApproval(filed.id, c).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ApprovalGoneError);
    expect((late as ApprovalGoneError).reason).toBe('expired');
  });
});

describe('berth audit --calls', () => {
  const at = (s: number): string => new Date(Date.UTC(2026, 2, 1, 9, 0, s)).toISOString();
  const rec = (s: number, over: Partial<CallRecord>): CallRecord => ({
    time: at(s), agent: 'audit-a', server: 'crm', tool: 'search', method: 'tools/call', scopes: ['crm.read'], decision: 'allow', reason: 'allowed by policy sales', latencyMs: 12.4, status: 200, ...over,
  });

  beforeAll(async () => {
    await gatewayOf().appendCallRecords([
      rec(1, {}),
      rec(2, { agent: 'audit-b', decision: 'deny', status: 403, reason: 'scope crm.write not granted', latencyMs: 0.6 }),
      rec(3, { server: 'wiki', tool: 'edit', decision: 'approval-required', status: 403, reason: 'edit needs an approval' }),
      rec(4, { agent: 'audit-b', server: 'wiki', decision: 'rate-limited', status: 429, reason: 'over 10 calls/s' }),
      rec(5, { tool: undefined, method: 'tools/list', reason: 'listing' }),
      rec(6, { decision: 'error', status: 502, upstreamStatus: 500, reason: 'upstream failed' }),
    ]);
  });

  /** The REASON column of `berth audit <args>`, or the failure. */
  async function reasons(args: string[]): Promise<string[]> {
    const r = await run('reader', ['audit', ...args, '--since', at(0)]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME\s+AGENT\s+SERVER\s+TOOL\s+DECISION\s+STATUS\s+LATENCY\s+REASON$/);
    return rows.map((row) => row.split(/ {3,}/).at(-1)!);
  }

  it('shows call records newest first, filtered by agent, server, tool, decision, since and limit', async () => {
    expect(await reasons(['--calls'])).toEqual(['upstream failed', 'listing', 'over 10 calls/s', 'edit needs an approval', 'scope crm.write not granted', 'allowed by policy sales']);
    expect(await reasons(['--agent', 'audit-b'])).toEqual(['over 10 calls/s', 'scope crm.write not granted']);
    expect(await reasons(['--mcpserver', 'wiki'])).toEqual(['over 10 calls/s', 'edit needs an approval']);
    expect(await reasons(['--tool', 'edit'])).toEqual(['edit needs an approval']);
    expect(await reasons(['--decision', 'deny'])).toEqual(['scope crm.write not granted']);
    expect(await reasons(['--agent', 'audit-a', '--mcpserver', 'crm', '--tool', 'search', '--decision', 'allow'])).toEqual(['allowed by policy sales']);
    expect(await reasons(['--calls', '--limit', '2'])).toEqual(['upstream failed', 'listing']);
    const table = await run('reader', ['audit', '--decision', 'deny', '--since', at(0)]);
    expect(table.stdout.split('\n')[1]).toMatch(new RegExp(`^${at(2).replace(/\./g, '\\.')}\\s+audit-b\\s+crm\\s+search\\s+deny\\s+403\\s+1ms\\s+scope crm.write not granted$`));
    const listing = await run('reader', ['audit', '--agent', 'audit-a', '--decision', 'allow', '--since', at(0)]);
    expect(listing.stdout).toMatch(/^\S+\s+audit-a\s+crm\s+tools\/list\s+allow\s+200\s+12ms\s+listing$/m); // no tool: the method
    const json = JSON.parse((await run('reader', ['audit', '--decision', 'error', '-o', 'json'])).stdout) as CallRecord[];
    expect(json).toMatchObject([{ upstreamStatus: 500, status: 502, agent: 'audit-a' }]);
    const none = await run('reader', ['audit', '--agent', 'nobody']);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No call records match.\n']);
  });

  it('keeps the change audit without call flags; agents may not read call records', async () => {
    const changes = await run('reader', ['audit', '--limit', '3']);
    expect(changes.stdout.split('\n')[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OBJECT\s+GEN\s+CHANGES$/);
    const agent = await run('agent', ['audit', '--calls']);
    expect([agent.code, agent.stderr]).toEqual([1, expect.stringContaining('403')]);
  });
});
