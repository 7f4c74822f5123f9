/**
 * The dashboard's watch consumer (src/dashboard/watch.ts) against a scripted
 * registry: list, then watch from the list's version; a BOOKMARK and a RECONNECT
 * move the resume point; 410 before the stream and an ERROR 410 line inside it
 * relist; a 500 reconnects after a backoff; a 401 stops and says signed-out.
 * (It runs in Node here: the module uses only fetch and web streams.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../src/manifest/resource.ts';
import { watchKind } from '../src/dashboard/watch.ts';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function obj(name: string, rv: number): Resource {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'MCPServer', metadata: { name, resourceVersion: String(rv) }, spec: {} } as unknown as Resource;
}
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } });
const list = (items: Resource[], rv: number) => json({ items, metadata: { resourceVersion: String(rv) } });
const stream = (lines: unknown[]) => new Response(lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
const problem = (status: number) => json({ type: 'https://berth.dev/problems/x', title: 'x', status, detail: `status ${status}` }, status);

describe('dashboard watch consumer', () => {
  it('lists, follows bookmarks and reconnects, relists on 410, backs off on 500 and stops on 401', async () => {
    const script: Array<[RegExp, () => Response]> = [
      [/\/mcpservers\?limit=500$/, () => list([obj('a', 1)], 5)],
      [/watch=1&resourceVersion=5$/, () => stream([{ type: 'ADDED', object: obj('b', 6) }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '8' } } }, { type: 'RECONNECT', object: { metadata: { resourceVersion: '9' } } }])],
      [/watch=1&resourceVersion=9$/, () => problem(410)],
      [/\/mcpservers\?limit=500$/, () => list([obj('a', 1), obj('b', 6), obj('c', 12)], 20)],
      [/watch=1&resourceVersion=20$/, () => stream([{ type: 'ERROR', object: { status: 410 } }])],
      [/\/mcpservers\?limit=500$/, () => list([obj('c', 12)], 30)],
      [/watch=1&resourceVersion=30$/, () => problem(500)],
      [/watch=1&resourceVersion=30$/, () => problem(401)],
    ];
    const asked: string[] = [];
    globalThis.fetch = (async (input: string) => {
      asked.push(input);
      const step = script.shift();
      if (!step || !step[0].test(input)) throw new Error(`unexpected request ${input}`);
      return step[1]();
    }) as typeof fetch;

    const lists: string[][] = [];
    const changes: string[] = [];
    const states: string[] = [];
    const done = new Promise<void>((resolve) => {
      watchKind(
        'mcpservers',
        {
          onList: (items) => lists.push(items.map((i) => i.metadata.name)),
          onChange: (type, o) => changes.push(`${type} ${o.metadata.name}`),
          onState: (s) => {
            states.push(s);
            if (s === 'signed-out') resolve();
          },
        },
        new AbortController().signal,
      );
    });
    await done;
    expect(script).toEqual([]);
    expect(asked.map((u) => u.replace('/apis/berth.dev/v1alpha1/mcpservers', ''))).toEqual([
      '?limit=500',
      '?watch=1&resourceVersion=5',
      '?watch=1&resourceVersion=9',
      '?limit=500',
      '?watch=1&resourceVersion=20',
      '?limit=500',
      '?watch=1&resourceVersion=30',
      '?watch=1&resourceVersion=30',
    ]);
    expect(lists).toEqual([['a'], ['a', 'b', 'c'], ['c']]);
    expect(changes).toEqual(['ADDED b']);
    expect(states).toEqual(['live', 'live', 'reconnecting', 'signed-out']);
  });
});
