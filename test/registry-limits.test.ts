/**
 * The registry's bounds, as attempts that must fail, over a real socket:
 * - a 3,000-key (or > 4 KiB) label selector is a 400 problem, not a database error;
 * - one token can hold at most `maxWatchersPerToken` watch streams (429 naming the
 *   limit past it) while other tokens still get theirs, and a closed stream frees its slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const PER_TOKEN = 4;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ heartbeatMs: 100, maxWatchersPerToken: PER_TOKEN });
});
afterAll(async () => {
  await h.close();
});

async function get(path: string, token: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) });
}

describe('label selector limits', () => {
  it('refuses a 3,000-key selector and a 5 KiB one with a 400 problem; 32 keys are served', async () => {
    const keys = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
    // 3,000 existence requirements with short keys (`0,1,…,2bj`): about 11 KB, inside Node's header limit.
    const many = Array.from({ length: 3000 }, (_, i) => i.toString(36)).join(',');
    for (const [selector, why] of [
      [many, /longer than 4096 characters/],
      [keys(33), /33 requirements, more than the 32 allowed/],
      [`team=${'a'.repeat(60)},`.repeat(80) + 'x', /longer than 4096/],
    ] as const) {
      const res = await get(`${BASE}/mcpservers?labelSelector=${selector.replaceAll('=', '%3D')}`, h.adminToken);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = (await res.json()) as { type: string; detail: string };
      expect(problem.type).toBe('https://berth.dev/problems/invalid-request');
      expect(problem.detail).toMatch(why);
      expect(problem.detail.length).toBeLessThan(400);
    }
    const ok = await get(`${BASE}/mcpservers?labelSelector=${encodeURIComponent(keys(32))}`, h.adminToken);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { items: unknown[] }).items).toEqual([]);
  });
});

describe('watch streams per token', () => {
  it(`one reader token gets ${PER_TOKEN} streams, the next is a 429 naming the limit; another token still watches; closing frees a slot`, async () => {
    const reader = await h.token('reader');
    const other = await h.token('reader');
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < PER_TOKEN; i++) {
        const ac = new AbortController();
        streams.push(ac);
        const res = await get(`${BASE}/mcpservers?watch=1`, reader, ac.signal);
        expect(res.status).toBe(200);
      }
      const refused = await get(`${BASE}/mcpservers?watch=1`, reader);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      const problem = (await refused.json()) as { type: string; detail: string };
      expect(problem.type).toBe('https://berth.dev/problems/too-many-watchers-for-token');
      expect(problem.detail).toContain(`--max-watchers-per-token ${PER_TOKEN}`);
      expect(problem.detail).not.toContain(reader); // the token id is named, never the secret

      const ac = new AbortController();
      const theirs = await get(`${BASE}/mcpservers?watch=1`, other, ac.signal);
      expect(theirs.status).toBe(200);
      ac.abort();

      streams.shift()!.abort();
      // The server notices the closed socket on its next write (a heartbeat every 100 ms here).
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const again = new AbortController();
        const res = await get(`${BASE}/mcpservers?watch=1`, reader, again.signal);
        status = res.status;
        if (status === 200) streams.push(again);
        else await res.body?.cancel();
      }
      expect(status).toBe(200);
    } finally {
      for (const s of streams) s.abort();
    }
  });
});
