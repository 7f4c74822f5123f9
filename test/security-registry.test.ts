/**
 * Hostile clients against a real registry (real socket, real SQLite): route
 * hijacking across teams, YAML nesting bombs, and a flood of watch streams.
 * Each case checks the refusal AND that nothing stored changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../src/manifest/resource.ts';
import { createRegistryMetrics } from '../src/registry/api/metrics.ts';
import type { Store } from '../src/registry/store.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const MAX_WATCHERS = 20;
let h: Harness;

beforeAll(async () => {
  // One token opens every stream here; the per-token cap is proven in registry-limits.test.ts.
  h = await startHarness({ heartbeatMs: 100, maxWatchers: MAX_WATCHERS, maxWatchersPerToken: MAX_WATCHERS });
});
afterAll(async () => {
  await h.close();
});

async function send(method: string, path: string, token: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

function routed(name: string, team: string, routing: { path?: string; host?: string }): Resource {
  const m = serverManifest(name, { team });
  (m.spec as { routing?: unknown }).routing = routing;
  return m;
}

describe('route hijacking across teams', () => {
  it('a publisher cannot claim another team\'s gateway path, with or without a host, by any write verb', async () => {
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, serverManifest('victim', { team: 'deal-desk' }))).status).toBe(201);
    const evil = await h.token('publisher', { team: 'evil' });
    const before = await h.store.currentVersion();

    const attempts: Array<[string, string, Resource]> = [
      ['POST', `${BASE}/mcpservers`, routed('a-hijack', 'evil', { path: '/mcp/victim' })],
      ['POST', `${BASE}/mcpservers/a-hijack/apply`, routed('a-hijack', 'evil', { path: '/mcp/victim' })],
      // A host route wins over a host-less one at the gateway, so a host on the same path is a hijack too.
      ['POST', `${BASE}/mcpservers/z-hijack/apply`, routed('z-hijack', 'evil', { path: '/mcp/victim', host: 'gateway.acme.example' })],
    ];
    for (const [method, path, body] of attempts) {
      const res = await send(method, path, evil, body);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body.type).toBe('https://berth.dev/problems/route-conflict');
      expect(String(res.body.detail)).toContain('MCPServer/victim');
    }
    expect(await h.store.get('MCPServer', 'a-hijack')).toBeUndefined();
    expect(await h.store.get('MCPServer', 'z-hijack')).toBeUndefined();
    expect(await h.store.currentVersion()).toBe(before);

    // Moving an existing server of its own onto the victim's path is refused too (PUT and apply).
    const own = await send('POST', `${BASE}/mcpservers`, evil, routed('evil-own', 'evil', {}));
    expect(own.status).toBe(201);
    const moved = routed('evil-own', 'evil', { path: '/mcp/victim' });
    expect((await send('PUT', `${BASE}/mcpservers/evil-own`, evil, moved)).status).toBe(409);
    expect((await send('POST', `${BASE}/mcpservers/evil-own/apply`, evil, moved)).status).toBe(409);
    const stored = (await h.store.get('MCPServer', 'evil-own')) as Resource;
    expect((stored.spec as { routing: { path: string } }).routing.path).toBe('/mcp/evil-own');
  });

  it('distinct hosts may share a path, a server may keep its own route, and a freed route can be taken', async () => {
    const a = routed('host-a', 'alpha', { path: '/mcp', host: 'a.mcp.example.com' });
    const b = routed('host-b', 'beta', { path: '/mcp', host: 'B.mcp.example.com' });
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, a)).status).toBe(201);
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, b)).status).toBe(201);
    // Same host, different case: collides.
    const c = routed('host-c', 'gamma', { path: '/mcp', host: 'b.MCP.example.com' });
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, c)).status).toBe(409);
    // Re-applying a server with its own route is not a collision.
    const again = { ...a, spec: { ...(a.spec as object), description: 'changed' } };
    expect((await send('POST', `${BASE}/mcpservers/host-a/apply`, h.adminToken, again)).body.result).toBe('configured');
    // Once host-b is gone, its route is free.
    expect((await send('DELETE', `${BASE}/mcpservers/host-b`, h.adminToken)).status).toBe(200);
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, c)).status).toBe(201);
  });
});

describe('YAML bodies', () => {
  it('refuses 300 000 nested brackets with a 400 naming the nesting, without blocking the server', async () => {
    const before = await h.store.currentVersion();
    const bomb = `apiVersion: berth.dev/v1alpha1\nkind: MCPServer\nmetadata: {name: bomb}\nspec: ${'['.repeat(300_000)}${']'.repeat(300_000)}\n`;
    const started = performance.now();
    const res = await send('POST', `${BASE}/mcpservers`, h.adminToken, bomb, 'application/yaml');
    const ms = performance.now() - started;
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('https://berth.dev/problems/malformed-yaml');
    expect(String(res.body.detail)).toMatch(/nests deeper than 64 levels at line 4/);
    expect(await h.store.currentVersion()).toBe(before);
    // Not a timing assertion on the product: a generous bound that the recursive parser (seconds) cannot meet.
    expect(ms).toBeLessThan(1_500);
  });

  it('refuses runaway block indentation the same way', async () => {
    const deep = `apiVersion: berth.dev/v1alpha1\nkind: MCPServer\nmetadata: {name: bomb}\nspec:\n${Array.from({ length: 1_400 }, (_, i) => `${' '.repeat(i + 1)}a:\n`).join('')}`;
    const res = await send('POST', `${BASE}/mcpservers`, h.adminToken, deep, 'application/yaml');
    expect(res.status).toBe(400);
    expect(String(res.body.detail)).toContain('nests deeper than');
  });
});

describe('watch stream flood', () => {
  it(`serves at most ${MAX_WATCHERS} watch streams, answers 503 with Retry-After past that, and frees slots when clients leave`, async () => {
    const reader = await h.token('reader');
    const open = async (): Promise<{ status: number; body: Record<string, unknown> | undefined; headers: Headers; abort: AbortController }> => {
      const abort = new AbortController();
      const res = await fetch(`${h.url}${BASE}/mcpservers?watch=1`, { headers: { authorization: `Bearer ${reader}` }, signal: abort.signal });
      const body = res.status === 200 ? undefined : ((await res.json()) as Record<string, unknown>);
      return { status: res.status, body, headers: res.headers, abort };
    };
    // A burst: all requests race through the check at once.
    const burst = await Promise.all(Array.from({ length: MAX_WATCHERS + 10 }, () => open()));
    const ok = burst.filter((r) => r.status === 200);
    const refused = burst.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(MAX_WATCHERS);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(r.body?.type).toBe('https://berth.dev/problems/too-many-watchers');
    }
    // The registry still answers everything else.
    expect((await send('GET', `${BASE}/mcpservers`, reader)).status).toBe(200);
    for (const r of ok) r.abort.abort();
    // Slots come back once the server notices the clients left.
    const deadline = Date.now() + 5_000;
    let again = await open();
    while (again.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      again = await open();
    }
    expect(again.status).toBe(200);
    again.abort.abort();
  });
});

describe('/metrics without a token', () => {
  it('a scrape flood lists the store once per TTL, and the count follows writes after the TTL', async () => {
    let lists = 0;
    // The real SQLite store, with list calls counted.
    const counting = new Proxy(h.store, {
      get(target, prop, receiver) {
        if (prop === 'list') return (...args: Parameters<Store['list']>) => ((lists++), target.list(...args));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    let clock = 0;
    const metrics = createRegistryMetrics(counting, { countTtlMs: 10_000, now: () => clock });
    const scrape = async () => /berth_registry_objects\{kind="MCPServer"\} (\d+)/.exec(await metrics.registry.metrics())?.[1];
    const first = await Promise.all(Array.from({ length: 50 }, () => scrape()));
    const perCount = lists;
    expect(perCount).toBeGreaterThan(0);
    expect(new Set(first).size).toBe(1);
    await Promise.all(Array.from({ length: 50 }, () => scrape()));
    expect(lists).toBe(perCount);
    expect((await send('POST', `${BASE}/mcpservers`, h.adminToken, serverManifest('metrics-new'))).status).toBe(201);
    clock = 10_000;
    expect(Number(await scrape())).toBe(Number(first[0]) + 1);
    expect(lists).toBe(perCount * 2);
  });
});
