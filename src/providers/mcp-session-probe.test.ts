import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { McpSessionProbe } from './mcp-probe.ts';
import { sessionRouter } from '../../test/fixtures/mcp-servers/session-router.ts';

/**
 * A real SDK streamable-HTTP server in this process that counts the sessions it
 * opens and ends, can forget them (as a restarted or expiring server does), and
 * can stop answering (as a hung one does).
 */
async function countingServer() {
  const counts = { opened: 0, ended: 0 };
  const router = sessionRouter('counting', { onOpened: () => counts.opened++, onClosed: () => counts.ended++ });
  const { sessions } = router;
  let hung = false;
  const http: Server = createServer((req, res) => {
    if (hung) return; // never answers
    void router.handle(req, res);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`,
    counts,
    live: () => sessions.size,
    forgetSessions: () => sessions.clear(),
    hang: (on: boolean) => {
      hung = on;
    },
    stop: () => {
      http.closeAllConnections();
      return new Promise<void>((r) => http.close(() => r()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(freshEvery?: number) {
  const server = await countingServer();
  const probe = new McpSessionProbe(server.url, freshEvery ? { freshEvery } : {});
  cleanups.push(server.stop, () => probe.close());
  return { server, probe };
}

describe('McpSessionProbe', () => {
  it('pings and lists tools on one kept session, and opens a new one every freshEvery checks', async () => {
    const { server, probe } = await setup(3);
    for (let i = 0; i < 5; i++) {
      const r = await probe.check({ timeoutMs: 5000 });
      expect(r.ok, r.error).toBe(true);
      expect(r.tools?.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
      expect(r.server?.name).toBe('counting');
    }
    // Checks 1 and 4 opened sessions; check 4 ended the first one (HTTP DELETE).
    expect(server.counts).toEqual({ opened: 2, ended: 1 });
    await probe.close();
    expect(server.counts).toEqual({ opened: 2, ended: 2 });
    expect(server.live()).toBe(0);
  });

  it('replaces a session the server forgot within the same check: a restart or an expiry is not a failure', async () => {
    const { server, probe } = await setup();
    expect((await probe.check({ timeoutMs: 5000 })).ok).toBe(true);
    server.forgetSessions();
    const r = await probe.check({ timeoutMs: 5000 });
    expect(r.ok, r.error).toBe(true);
    expect(server.counts.opened).toBe(2);
    expect(server.live()).toBe(1);
  });

  it('fails a hung server within the deadline, and starts afresh once it answers again', async () => {
    const { server, probe } = await setup();
    expect((await probe.check({ timeoutMs: 5000 })).ok).toBe(true);
    server.hang(true);
    const started = Date.now();
    const r = await probe.check({ timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(3000);
    server.hang(false);
    const again = await probe.check({ timeoutMs: 5000 });
    expect(again.ok, again.error).toBe(true);
    expect(server.counts.opened).toBe(2);
  });

  it('answers no checks after close(), and opens nothing more', async () => {
    const { server, probe } = await setup();
    expect((await probe.check({ timeoutMs: 5000 })).ok).toBe(true);
    await probe.close();
    expect(await probe.check({ timeoutMs: 5000 })).toMatchObject({ ok: false, error: 'probe closed' });
    expect(server.counts).toEqual({ opened: 1, ended: 1 });
  });

  it('a close() during a check leaves no session behind', async () => {
    const { server, probe } = await setup();
    const checking = probe.check({ timeoutMs: 5000 });
    await probe.close();
    await checking;
    // Whatever the check managed to open, it ended again.
    await expect.poll(() => server.live(), { timeout: 2000 }).toBe(0);
  });
});
