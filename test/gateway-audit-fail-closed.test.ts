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
});
