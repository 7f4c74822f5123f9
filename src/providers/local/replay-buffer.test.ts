import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ReplayBuffer } from './replay-buffer.ts';

const progress = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: n } });
const result = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} });
/** The SDK's priming event: an id with no message. */
const PRIMING = {} as JSONRPCMessage;

async function replayed(buffer: ReplayBuffer, lastEventId: string): Promise<string[]> {
  const sent: string[] = [];
  await buffer.replayEventsAfter(lastEventId, { send: async (id) => void sent.push(id) });
  return sent;
}

describe('ReplayBuffer', () => {
  it('gives every event an id `<stream>-<seq>` unique within the session, and replays only the events after it on its own stream', async () => {
    const b = new ReplayBuffer();
    const a1 = await b.storeEvent('stream-A', PRIMING);
    const a2 = await b.storeEvent('stream-A', progress(1));
    const g1 = await b.storeEvent('_GET_stream', { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } });
    const a3 = await b.storeEvent('stream-A', progress(2));
    const a4 = await b.storeEvent('stream-A', result(7));
    expect([a1, a2, g1, a3, a4]).toEqual(['0-1', '0-2', '1-3', '0-4', '0-5']);
    expect(await replayed(b, a2)).toEqual([a3, a4]); // not the GET stream's event
    expect(await replayed(b, a1)).toEqual([a2, a3, a4]);
    expect(await replayed(b, g1)).toEqual([]);
    expect(b.resumePoint(a2)).toMatchObject({ kind: 'replay', streamId: 'stream-A', complete: true });
    expect(b.resumePoint(g1)).toMatchObject({ kind: 'replay', streamId: '_GET_stream', complete: false });
  });

  it('leaves priming events out of a replay (they carry no message)', async () => {
    const b = new ReplayBuffer();
    const first = await b.storeEvent('s', progress(1));
    await b.storeEvent('s', PRIMING);
    const last = await b.storeEvent('s', progress(2));
    expect(await replayed(b, first)).toEqual([last]);
  });

  it('tells an id it never sent from one whose successors it dropped, and keeps within its bounds', async () => {
    const b = new ReplayBuffer({ maxEvents: 3 });
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids.push(await b.storeEvent('s', progress(i)));
    expect(b.size().events).toBe(3);
    expect(b.resumePoint(ids[0]!)).toMatchObject({ kind: 'evicted' });
    expect(b.resumePoint(ids[1]!)).toMatchObject({ kind: 'evicted' }); // 3 was dropped after it
    expect(b.resumePoint(ids[2]!)).toMatchObject({ kind: 'replay', events: [{ id: ids[3] }, { id: ids[4] }, { id: ids[5] }] }); // dropped last: nothing after it is missing
    expect(b.resumePoint(ids[3]!)).toMatchObject({ kind: 'replay', events: [{ id: ids[4] }, { id: ids[5] }] });
    expect(b.resumePoint('0-99')).toMatchObject({ kind: 'unknown' });
    expect(b.resumePoint('nonsense')).toMatchObject({ kind: 'unknown' });
    expect(b.resumePoint('9-5')).toMatchObject({ kind: 'unknown' }); // a kept seq under another stream's tag
    await expect(replayed(b, ids[0]!)).rejects.toThrow(/no longer kept/);
  });

  it("resumes a dropped id that was its stream's latest: the client missed nothing", async () => {
    const b = new ReplayBuffer({ maxEvents: 2 });
    const get = await b.storeEvent('_GET_stream', progress(1));
    await b.storeEvent('post', progress(2));
    await b.storeEvent('post', progress(3));
    expect(b.resumePoint(get)).toMatchObject({ kind: 'replay', streamId: '_GET_stream', events: [] });
  });

  it('bounds bytes too: a large message pushes older ones out', async () => {
    const b = new ReplayBuffer({ maxBytes: 1000 });
    const small = await b.storeEvent('s', progress(1));
    const next = await b.storeEvent('s', progress(2));
    const large = await b.storeEvent('s', { jsonrpc: '2.0', id: 1, result: { text: 'x'.repeat(900) } });
    expect(b.size().events).toBe(1);
    expect(b.size().bytes).toBeLessThanOrEqual(1000);
    expect(b.resumePoint(small)).toMatchObject({ kind: 'evicted' });
    expect(b.resumePoint(next)).toMatchObject({ kind: 'replay', events: [{ id: large }] });
  });

  it('counts a stream of a batch complete only when every request of the batch is answered', async () => {
    const b = new ReplayBuffer();
    b.expectBatch([1, 2]);
    const first = await b.storeEvent('batch', PRIMING);
    await b.storeEvent('batch', result(1));
    expect(b.resumePoint(first)).toMatchObject({ complete: false });
    await b.storeEvent('batch', result(2));
    expect(b.resumePoint(first)).toMatchObject({ complete: true });
  });
});
