/**
 * Human approval of single tool calls, end to end: an SDK client calls a tool
 * that needs an approval and is refused (-32006 with `data.approvalId`); an
 * approver runs the real `berth approvals approve <id>` against the registry;
 * the same call then goes through exactly once; the identical call again is
 * refused with a new approval, and neither a changed argument nor another agent
 * can use a grant. For the manifest's `approval: required` (agent key) and a
 * policy's requireApproval (JWT agent, whose user the approval names).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Approval } from '../src/client/wire.ts';
import { reasonCode, startGovernedGateway, type GovernedGateway } from './governed-gateway-harness.ts';
import { berth } from './support/berth-process.ts';

let gw: GovernedGateway;
let approverToken: string;
beforeAll(async () => {
  gw = await startGovernedGateway();
  approverToken = (await gw.registry.admin.createToken({ role: 'approver' })).token;
}, 30_000);
afterAll(async () => {
  await gw?.close();
});

/** `berth approvals <args>` as an approver, against the registry. */
async function approvals(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return berth(['approvals', ...args], { BERTH_SERVER: gw.registry.url, BERTH_TOKEN: approverToken }, gw.registry.dir);
}

/** A tool call's text, or its JSON-RPC refusal. */
async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<{ text: string } | { code: number; data: { approvalId?: string; status?: string; reason?: string } }> {
  try {
    const result = await client.callTool({ name, arguments: args });
    return { text: (result.content as Array<{ text: string }>)[0]!.text };
  } catch (err) {
    if (!(err instanceof McpError)) throw err;
    return { code: err.code, data: err.data as { approvalId?: string } };
  }
}

function approvalIdOf(outcome: Awaited<ReturnType<typeof callTool>>): string {
  expect(outcome).toMatchObject({ code: -32006, data: { status: 'pending' } });
  return (outcome as { data: { approvalId: string } }).data.approvalId;
}

describe('a tool the manifest marks approval: required (crm/exportAccounts, agent key)', () => {
  it('refused with an approval id → approved with the CLI → the same call succeeds once → again refused; a changed argument or another agent cannot use a grant', async () => {
    const sales = await gw.connect('sales-bot', 'crm');
    const executed = () => gw.upstreams.crm.executed.filter((c) => c.tool === 'exportAccounts').map((c) => c.arguments.id);

    const first = approvalIdOf(await callTool(sales, 'exportAccounts', { id: 'q3' }));
    expect(first).toMatch(/^apr_[0-9a-f]{24}$/);
    // Asking again while it is pending finds the same request.
    expect(approvalIdOf(await callTool(sales, 'exportAccounts', { id: 'q3' }))).toBe(first);
    const pending = await approvals(['list', '--status', 'pending', '-o', 'json']);
    expect(pending.code).toBe(0);
    expect(JSON.parse(pending.stdout) as Approval[]).toMatchObject([{ id: first, agent: 'sales-bot', server: 'crm', tool: 'exportAccounts', status: 'pending' }]);
    expect(executed()).toEqual([]);

    const approved = await approvals(['approve', first, '--reason', 'quarterly export']);
    expect([approved.code, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toContain(`approval ${first} approved: sales-bot may call crm/exportAccounts once`);

    // Another agent's identical call, and the same agent with another argument, do not use the grant.
    const ops = await gw.connect('ops-bot', 'crm');
    const opsApproval = approvalIdOf(await callTool(ops, 'exportAccounts', { id: 'q3' }));
    expect(opsApproval).not.toBe(first);
    const changed = approvalIdOf(await callTool(sales, 'exportAccounts', { id: 'q4' }));
    expect([first, opsApproval]).not.toContain(changed);
    expect(executed()).toEqual([]);

    expect(await callTool(sales, 'exportAccounts', { id: 'q3' })).toEqual({ text: 'crm/exportAccounts {"id":"q3"}' });
    expect(executed()).toEqual(['q3']);

    const again = approvalIdOf(await callTool(sales, 'exportAccounts', { id: 'q3' }));
    expect([first, opsApproval, changed]).not.toContain(again);
    expect(executed()).toEqual(['q3']);
    expect(await gw.registry.admin.getApproval(first)).toMatchObject({ status: 'consumed' });

    const records = await gw.waitForRecords('the six exportAccounts records', (all) => {
      const mine = all.filter((r) => r.tool === 'exportAccounts');
      return mine.length >= 6 && mine;
    });
    expect(records.map((r) => [r.agent, r.decision, reasonCode(r), r.approvalId])).toEqual([
      ['sales-bot', 'approval-required', 'approval-by-manifest', first],
      ['sales-bot', 'approval-required', 'approval-by-manifest', first],
      ['ops-bot', 'approval-required', 'approval-by-manifest', opsApproval],
      ['sales-bot', 'approval-required', 'approval-by-manifest', changed],
      ['sales-bot', 'allow', 'approved', first],
      ['sales-bot', 'approval-required', 'approval-by-manifest', again],
    ]);
    expect(records).toHaveLength(6);
  });
});

describe("a scope the agent's policy grants only with approval (hr/setSalary, JWT agent)", () => {
  it('the approval names the user behind the token; approved, the call goes through once', async () => {
    const hr = await gw.connect('hr-bot', 'hr');
    const id = approvalIdOf(await callTool(hr, 'setSalary', { id: 'emp-7', amount: 5000 }));
    expect(await gw.registry.admin.getApproval(id)).toMatchObject({ agent: 'hr-bot', user: 'hank', server: 'hr', tool: 'setSalary', status: 'pending' });
    expect((await approvals(['approve', id])).code).toBe(0);
    expect(await callTool(hr, 'setSalary', { id: 'emp-7', amount: 5000 })).toEqual({ text: 'hr/setSalary {"id":"emp-7","amount":5000}' });
    expect(approvalIdOf(await callTool(hr, 'setSalary', { id: 'emp-7', amount: 5000 }))).not.toBe(id);
    expect(gw.upstreams.hr.executed.filter((c) => c.tool === 'setSalary')).toHaveLength(1);
    // hr's records keep arguments and results: the approved call's result too.
    const records = await gw.waitForRecords('the three setSalary records', (all) => {
      const mine = all.filter((r) => r.tool === 'setSalary');
      return mine.length >= 3 && mine;
    });
    const args = { id: 'emp-7', amount: 5000 };
    expect(records.map((r) => [r.decision, r.user, r.arguments, r.result])).toEqual([
      ['approval-required', 'hank', args, undefined],
      ['allow', 'hank', args, { content: [{ type: 'text', text: 'hr/setSalary {"id":"emp-7","amount":5000}' }] }],
      ['approval-required', 'hank', args, undefined],
    ]);
  });
});
