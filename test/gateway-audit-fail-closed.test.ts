/**
 * The audit fails closed, end to end: the registry's store refuses call records
 * (an SQLite "database or disk is full" error from `appendCallRecords` while a flag
 * is set; the rest of the registry keeps working). The gateway keeps serving while
 * it can hold the records (up to `auditFailClosedAfterMs`), then answers 503 and
 * forwards nothing; when the store takes records again the gateway serves again,
 * and every request it served or refused meanwhile has exactly one call record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGovernedGateway, reasonCode, type Exchange, type GovernedGateway } from './governed-gateway-harness.ts';
import { waitFor } from './support/wait.ts';

/** While true, the store refuses call records as a full disk would. */
let diskFull = false;
let refusedBatches = 0;

function sqliteFull(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13, errstr: 'database or disk is full' });
}

let gw: GovernedGateway;
beforeAll(async () => {
  gw = await startGovernedGateway({
    auditFailClosedAfterMs: 1_000,
    wrapStore: (store) => ({
      ...store,
      appendCallRecords: (records) => {
        if (!diskFull) return store.appendCallRecords(records);
        refusedBatches++;
        return Promise.reject(sqliteFull());
      },
    }),
  });
}, 30_000);
afterAll(async () => {
  diskFull = false;
  await gw?.close();
});

describe('the call audit fails closed and loses nothing', () => {
  it('serves while records can wait, then 503 with nothing forwarded, then serves again; every request has exactly one record', async () => {
    const bearer = await gw.bearer('sales-bot');
    const sessionId = await gw.openSession('crm', bearer);
    let n = 0;
    const served: string[] = [];
    const refused: Exchange[] = [];
    const call = async (): Promise<Exchange> => {
      const id = `fc-${++n}`;
      const before = gw.upstreams.crm.log.requests.length;
      const answer = await gw.post('crm', { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'searchAccounts', arguments: { id } } }, { bearer, sessionId });
      if (answer.status === 200) {
        expect(answer.messages).toMatchObject([{ id, result: { content: [{ text: `crm/searchAccounts {"id":"${id}"}` }] } }]);
        served.push(id);
      } else {
        expect(gw.upstreams.crm.log.requests.length, 'a refused call reached the upstream').toBe(before);
        refused.push(answer);
      }
      return answer;
    };

    expect((await call()).status).toBe(200);
    await gw.waitForRecords('the first call recorded', (records) => records.some((r) => r.requestId === 'fc-1'));

    diskFull = true;
    // The rest of the registry works on: reads, and writes other than call records.
    expect((await gw.registry.admin.list('MCPServer')).items).toHaveLength(3);
    await gw.registry.admin.createToken({ role: 'reader' });

    // Served while the records can wait; then refused until the store takes them again.
    const first503 = await waitFor('the gateway to fail closed', async () => {
      const answer = await call();
      if (answer.status === 200) await new Promise((r) => setTimeout(r, 100));
      return answer.status === 503 && answer;
    }, 20_000, 0);
    expect(served.length).toBeGreaterThan(1);
    expect(refusedBatches).toBeGreaterThan(0);
    expect(first503.headers.get('retry-after')).toBe('5');
    expect(first503.messages).toMatchObject([{ error: { code: -32009 } }]);
    // Every caller is refused, whoever it is.
    expect((await call()).status).toBe(503);
    const other = await gw.post('billing', { jsonrpc: '2.0', id: 'other', method: 'tools/call', params: { name: 'getInvoice', arguments: {} } }, { bearer: await gw.bearer('finance-bot'), sessionId });
    expect(other.status).toBe(503);
    refused.push(other);

    diskFull = false;
    await waitFor('the gateway to serve again', async () => (await call()).status === 200, 20_000, 200);

    const records = await gw.waitForRecords('every record persisted', (all) => {
      const mine = all.filter((r) => r.sessionId === sessionId);
      return mine.filter((r) => r.method === 'tools/call').length >= served.length && mine.filter((r) => reasonCode(r) === 'audit-unavailable').length >= refused.length && mine;
    });
    for (const id of served) expect(records.filter((r) => r.requestId === id), id).toMatchObject([{ decision: 'allow', status: 200, upstreamStatus: 200, tool: 'searchAccounts' }]);
    expect(records.filter((r) => r.method === 'tools/call')).toHaveLength(served.length);
    const refusals = records.filter((r) => reasonCode(r) === 'audit-unavailable');
    expect(refusals).toHaveLength(refused.length);
    expect(new Set(refusals.map((r) => `${r.decision} ${r.status}`))).toEqual(new Set(['error 503']));
    expect(new Set(refusals.map((r) => r.server))).toEqual(new Set(['crm', 'billing']));
    // Nothing is left waiting in the gateway.
    expect(gw.governance.governor.audit.buffered).toBe(0);
  });

  it('what callers send cannot poison the audit: over-long or empty names, ids and headers are recorded as fits a record, and the gateway serves on', async () => {
    const bearer = await gw.bearer('sales-bot');
    const sessionId = await gw.openSession('crm', bearer);
    const long = (c: string, n: number): string => c.repeat(n);
    // An undeclared tool with a 300-character name and id; an unknown 200-character method.
    const tool = await gw.post('crm', { jsonrpc: '2.0', id: long('i', 300), method: 'tools/call', params: { name: long('x', 300), arguments: {} } }, { bearer, sessionId });
    expect(tool.messages).toMatchObject([{ error: { code: -32005, data: { reason: 'undeclared-tool' } } }]);
    const method = await gw.post('crm', { jsonrpc: '2.0', id: 'long-method', method: long('m', 200) }, { bearer, sessionId });
    expect(method.messages).toMatchObject([{ error: { code: -32005, data: { reason: 'unknown-method' } } }]);
    // Without credentials, a 300-character session id; an Mcp-Name header of 3,000 characters.
    expect((await gw.post('crm', { jsonrpc: '2.0', id: 1, method: 'ping' }, { sessionId: long('s', 300) })).status).toBe(401);
    expect((await gw.post('crm', { jsonrpc: '2.0', id: 'mirror', method: 'tools/call', params: { name: 'searchAccounts' } }, { bearer, sessionId, headers: { 'mcp-name': long('n', 3_000) } })).status).toBe(400);

    // Empty ones: a tool and an id of '', a method of '', an empty session id.
    expect((await gw.post('crm', { jsonrpc: '2.0', id: '', method: 'tools/call', params: { name: '' } }, { bearer, sessionId })).messages).toMatchObject([{ id: '', error: { code: -32005 } }]);
    expect((await gw.post('crm', { jsonrpc: '2.0', id: 'empty-method', method: '' }, { bearer, sessionId })).messages).toMatchObject([{ error: { code: -32005 } }]);
    expect((await gw.post('crm', { jsonrpc: '2.0', id: 'empty-session', method: 'ping' }, { bearer, sessionId: '' })).status).toBe(404);

    const records = await gw.waitForRecords('the seven records', (all) => {
      const found = [
        all.find((r) => r.tool?.startsWith('xxx')),
        all.find((r) => r.method.startsWith('mmm')),
        all.find((r) => r.sessionId?.startsWith('sss')),
        all.find((r) => r.requestId === 'mirror'),
        all.find((r) => r.method === 'tools/call' && r.sessionId === sessionId && r.tool === undefined),
        all.find((r) => r.requestId === 'empty-method'),
        all.find((r) => reasonCode(r) === 'unknown-session' && r.agent === 'sales-bot' && r.sessionId === undefined),
      ];
      return found.every((r) => r !== undefined) && (found as typeof all);
    });
    const [undeclared, unknown, anonymous, mirror, emptyTool, emptyMethod] = records;
    expect([undeclared!.tool!.length, undeclared!.requestId!.length, reasonCode(undeclared!)]).toEqual([128, 256, 'undeclared-tool']);
    expect([unknown!.method.length, reasonCode(unknown!)]).toEqual([128, 'unknown-method']);
    expect([anonymous!.sessionId!.length, reasonCode(anonymous!)]).toEqual([256, 'anonymous-refused']);
    expect([mirror!.reason.length, reasonCode(mirror!)]).toEqual([2048, 'mirror-header-mismatch']);
    expect([emptyTool!.requestId, reasonCode(emptyTool!)]).toEqual([undefined, 'undeclared-tool']);
    expect([emptyMethod!.method, reasonCode(emptyMethod!)]).toEqual(['(empty)', 'unknown-method']);
    // Still serving, everything persisted.
    const served = await gw.post('crm', { jsonrpc: '2.0', id: 'after', method: 'tools/call', params: { name: 'searchAccounts', arguments: {} } }, { bearer, sessionId });
    expect(served.status).toBe(200);
    await waitFor('the audit drained', () => gw.governance.governor.audit.buffered === 0);
  });

  it('payloads a manifest keeps are kept cut to a size a batch can carry: megabytes of arguments and results do not jam the audit', async () => {
    const bearer = await gw.bearer('hr-bot');
    const sessionId = await gw.openSession('hr', bearer); // hr keeps arguments and results
    const big = 'n'.repeat(3_000_000);
    const send = (id: string, args: Record<string, unknown>) => gw.post('hr', { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'lookupEmployee', arguments: args } }, { bearer, sessionId });
    // At once, so their records share a batch: together far more than the registry takes in one.
    const answers = await Promise.all([send('big-1', { note: big }), send('big-2', { note: big, id: 'e2' }), send('many', { id: 'e3', items: Array.from({ length: 600_000 }, () => 1) })]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);

    const records = await gw.waitForRecords('the three big records', (all) => {
      const mine = ['big-1', 'big-2', 'many'].map((id) => all.find((r) => r.sessionId === sessionId && r.requestId === id));
      return mine.every((r) => r !== undefined) && (mine as typeof all);
    });
    const cut = `${'n'.repeat(1024)}…[${3_000_000 - 1024} more characters]`;
    expect(records[0]!.arguments).toEqual({ note: cut });
    expect(records[1]!.arguments).toEqual({ note: cut, id: 'e2' });
    expect(records[2]!.arguments).toMatch(/^\[not kept: \d+ bytes of JSON, more than the 4096 a call record keeps\]$/);
    for (const r of records) expect(JSON.stringify(r).length, r.requestId).toBeLessThan(16 * 1024);
    expect((records[0]!.result as { content: Array<{ text: string }> }).content[0]!.text).toMatch(/^hr\/lookupEmployee \{"note":"n+…\[\d+ more characters\]$/);
    await waitFor('the audit drained', () => gw.governance.governor.audit.buffered === 0);
  });
});
