import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { checkHttpHealth, probeMcp } from './mcp-probe.ts';
import { closedPort, runHttpServer } from '../../test/fixtures/mcp-servers/harness.ts';

let server: Awaited<ReturnType<typeof runHttpServer>>;
let silent: Server;
let silentUrl: string;
beforeAll(async () => {
  server = await runHttpServer();
  // Accepts connections and never answers: what a hung server looks like.
  silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/mcp`;
});
afterAll(async () => {
  await server.stop();
  silent.closeAllConnections();
  silent.close();
});

describe('probeMcp', () => {
  it('initializes, pings and lists every tool of a live server', async () => {
    const r = await probeMcp(server.url, { timeoutMs: 5000 });
    expect(r.ok).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.server?.name).toBe('test-http');
    expect(r.tools?.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
    expect(r.tools?.find((t) => t.name === 'echo')?.description).toBe('Returns the text it was given.');
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.durationMs).toBeGreaterThanOrEqual(r.latencyMs);
  });

  it('reports a closed port as a failure naming the cause, without throwing', async () => {
    const r = await probeMcp(`http://127.0.0.1:${await closedPort()}/mcp`, { timeoutMs: 2000 });
    expect(r.ok).toBe(false);
    expect(r.error).toContain('ECONNREFUSED');
  });

  it('gives up on a server that never answers within the deadline', async () => {
    const started = Date.now();
    const r = await probeMcp(silentUrl, { timeoutMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.error).toBe('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('sends the headers it is given, and does not repeat them in errors', async () => {
    const guarded = await runHttpServer({ REQUIRE_TOKEN: 's3cret-token' });
    try {
      const denied = await probeMcp(guarded.url, { timeoutMs: 3000, headers: { Authorization: 'Bearer wrong-token' } });
      expect(denied.ok).toBe(false);
      expect(denied.error).toContain('HTTP 401');
      expect(denied.error).toContain('missing or wrong bearer token');
      expect(denied.error).not.toContain('wrong-token');
      const allowed = await probeMcp(guarded.url, { timeoutMs: 3000, headers: { Authorization: 'Bearer s3cret-token' } });
      expect(allowed.ok).toBe(true);
    } finally {
      await guarded.stop();
    }
  });
});

describe('checkHttpHealth', () => {
  it('is ok on 2xx and not ok on anything else or no answer', async () => {
    const base = server.url.replace(/\/mcp$/, '');
    expect(await checkHttpHealth(`${base}/healthz`, 2000)).toMatchObject({ ok: true, status: 200 });
    expect(await checkHttpHealth(`${base}/nope`, 2000)).toMatchObject({ ok: false, status: 404, error: `HTTP 404 from ${base}/nope` });
    const refused = await checkHttpHealth(`http://127.0.0.1:${await closedPort()}/healthz`, 2000);
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain('ECONNREFUSED');
  });
});
