import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { pidsWithTag, waitFor } from '../../../test/fixtures/mcp-servers/harness.ts';
import { bridgeTestScope, openRawSession, postHeaders, readSse, type SseEvent } from '../../../test/fixtures/mcp-servers/bridge-process.ts';

const EVERYTHING = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const scope = bridgeTestScope(afterEach);

interface Message {
  id?: string | number;
  method?: string;
  params?: { progress?: number };
  result?: unknown;
}

/** What a client saw on a stream: every event's id, and the messages in order. */
interface Seen {
  ids: string[];
  messages: Message[];
}

function record(seen: Seen, e: SseEvent): Message | undefined {
  if (e.id) seen.ids.push(e.id);
  if (!e.data) return undefined; // the priming event: an id, no message
  const m = JSON.parse(e.data) as Message;
  seen.messages.push(m);
  return m;
}

/** Starts `trigger-long-running-operation` (a progress notification per step, then the result) on a raw POST stream. */
async function startOperation(url: string, sessionId: string, id: string, steps: number, seconds: number): Promise<{ res: Response; abort: AbortController }> {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: postHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: seconds, steps }, _meta: { progressToken: id } } }),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  return { res, abort };
}

/** GET with Last-Event-ID. */
function resume(url: string, sessionId: string, lastEventId: string): Promise<Response> {
  return fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastEventId } });
}

const progressOf = (s: Seen) => s.messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params!.progress);
const resultsOf = (s: Seen, id: string) => s.messages.filter((m) => m.id === id && m.result !== undefined);

describe('stdio bridge: SSE event ids and Last-Event-ID resumption (bridge process, server-everything over stdio)', () => {
  it('resumes a stream cut mid-operation: the missed events exactly once, live or after it finished, each id unique', async () => {
    const tag = scope.tag('resume');
    const bridge = await scope.process([], [process.execPath, EVERYTHING, 'stdio', tag]);
    const sessionId = (await openRawSession(bridge.url)).sessionId!;

    // 1. Cut after the second progress event; resume once the operation has finished.
    const before: Seen = { ids: [], messages: [] };
    const op = await startOperation(bridge.url, sessionId, 'op-1', 5, 1);
    const startedAt = Date.now();
    await readSse(op.res, (e) => record(before, e)?.params?.progress === 2, op.abort);
    expect(progressOf(before)).toEqual([1, 2]);
    for (const id of before.ids) expect(id).toMatch(/^[0-9a-z]+-[0-9]+$/);
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 1500 - Date.now())));
    const after: Seen = { ids: [], messages: [] };
    const replay = await resume(bridge.url, sessionId, before.ids.at(-1)!);
    expect(replay.status).toBe(200);
    await readSse(replay, (e) => void record(after, e)); // ends by itself: the stream had finished
    expect(progressOf(after)).toEqual([3, 4, 5]);
    expect(resultsOf(after, 'op-1')).toHaveLength(1);
    expect(after.messages).toHaveLength(4);
    expect(new Set([...before.ids, ...after.ids]).size).toBe(before.ids.length + after.ids.length);

    // 2. Cut after the first progress event and resume at once: the replay runs into the live stream.
    const live1: Seen = { ids: [], messages: [] };
    const op2 = await startOperation(bridge.url, sessionId, 'op-2', 5, 1.5);
    await readSse(op2.res, (e) => record(live1, e)?.params?.progress === 1, op2.abort);
    const live2: Seen = { ids: [], messages: [] };
    const resumed = await resume(bridge.url, sessionId, live1.ids.at(-1)!);
    expect(resumed.status).toBe(200);
    await readSse(resumed, (e) => void record(live2, e)); // the SDK ends it after the result
    expect(progressOf(live1)).toEqual([1]);
    expect(progressOf(live2)).toEqual([2, 3, 4, 5]);
    expect(resultsOf(live2, 'op-2')).toHaveLength(1);
    const all = [...before.ids, ...after.ids, ...live1.ids, ...live2.ids];
    expect(new Set(all).size).toBe(all.length);
    // Streams are told apart by the id's first part: op-1's and op-2's differ.
    expect(new Set([...before.ids, ...after.ids].map((i) => i.split('-')[0])).size).toBe(1);
    expect(before.ids[0]!.split('-')[0]).not.toBe(live1.ids[0]!.split('-')[0]);

    // 3. An id this session never sent is refused, and nothing is replayed.
    const bogus = await resume(bridge.url, sessionId, '7z-999999');
    expect(bogus.status).toBe(400);
    expect(((await bogus.json()) as { error: { message: string } }).error.message).toContain('was not sent in this session');

    await bridge.stop();
    await waitFor('no process left', () => pidsWithTag(tag).length === 0);
  }, 30_000);

  it('answers 410 when the events after the id have been dropped from the bounded buffer, rather than resume with a gap', async () => {
    const bridge = await scope.inProcess([process.execPath, EVERYTHING, 'stdio', scope.tag('evicted')], { tuning: { replay: { maxEvents: 3, maxBytes: 1024 * 1024 } } });
    const sessionId = (await openRawSession(bridge.url)).sessionId!;
    const seen: Seen = { ids: [], messages: [] };
    const op = await startOperation(bridge.url, sessionId, 'op', 5, 0.5);
    await readSse(op.res, (e) => record(seen, e)?.params?.progress === 1, op.abort);
    await new Promise((r) => setTimeout(r, 800)); // four more events: the buffer of three has dropped the one after ours
    const res = await resume(bridge.url, sessionId, seen.ids.at(-1)!);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no longer kept .* last 3 events/);
  });
});
