/**
 * The rules of the servers' credentials in memory: one read for many requests,
 * refresh in the background, a read again after a 401, retry after a failure,
 * a refresh that fails keeps the value, and every failure logged once.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { mcpServer } from '../../test/support/manifests.ts';
import { routeFromServer, type Route } from './route.ts';
import { UpstreamCredentials, type CredentialLookup } from './upstream-credentials.ts';

function crmRoute(refs = [{ name: 'Authorization', valueFrom: 'env:BERTH_SECRET_CRM' }]): Route {
  const s = mcpServer('crm', { remote: { url: 'https://crm.example.com/mcp', transport: 'streamable-http', headers: refs } });
  return routeFromServer(s);
}

/** A resolver whose answers the test sets, counting reads. */
function scriptedResolver() {
  const values = new Map<string, string | Error>();
  const reads: string[] = [];
  return {
    values,
    reads,
    resolve: async (ref: string): Promise<string> => {
      reads.push(ref);
      const v = values.get(ref);
      if (v === undefined) throw new Error(`${ref} is not set`);
      if (v instanceof Error) throw v;
      return v;
    },
  };
}

function logs() {
  const lines: Array<{ level: number; msg: string; reference?: string; reason?: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Looks up until the lookup is not pending. */
async function settled(c: UpstreamCredentials, route: Route): Promise<Exclude<CredentialLookup, { kind: 'pending' }>> {
  for (;;) {
    const found = c.lookup(route);
    if (found.kind !== 'pending') return found;
    await found.settled;
  }
}

describe('UpstreamCredentials', () => {
  it('reads a reference once for every request that waits on it, then serves it from memory', async () => {
    const r = scriptedResolver();
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer one');
    const { logger } = logs();
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger });
    const route = crmRoute();
    const first = c.lookup(route);
    const second = c.lookup(route);
    expect(first.kind).toBe('pending');
    expect(second.kind).toBe('pending');
    expect(await settled(c, route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer one'] });
    expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer one'] });
    expect(r.reads).toEqual(['env:BERTH_SECRET_CRM']);
  });

  it('reads again in the background after refreshMs, sending the held value meanwhile', async () => {
    const r = scriptedResolver();
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer one');
    let now = 1_000;
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger: logs().logger, now: () => now, refreshMs: 60_000 });
    const route = crmRoute();
    await settled(c, route);
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer two');
    now += 59_000;
    expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer one'] });
    now += 1_000;
    expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer one'] }); // refresh started, old value sent
    await new Promise((res) => setImmediate(res));
    expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer two'] });
    expect(r.reads).toHaveLength(2);
  });

  it('after a 401, reads the references again (not more often than minRefreshMs)', async () => {
    const r = scriptedResolver();
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer old');
    let now = 0;
    const { logger } = logs();
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger, now: () => now, minRefreshMs: 10_000 });
    const route = crmRoute();
    await settled(c, route);
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer rotated');
    c.rejected(route); // just read: not again yet
    await new Promise((res) => setImmediate(res));
    expect(r.reads).toHaveLength(1);
    now += 10_000;
    c.rejected(route);
    await new Promise((res) => setImmediate(res));
    expect(r.reads).toHaveLength(2);
    expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer rotated'] });
  });

  it('a failure answers at once until retryMs has passed, then tries again; logged once, and its recovery', async () => {
    const r = scriptedResolver();
    let now = 0;
    const { logger, lines } = logs();
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger, now: () => now, retryMs: 5_000 });
    const route = crmRoute();
    const failed = await settled(c, route);
    expect(failed).toEqual({
      kind: 'failed',
      reason: 'server "crm" is unavailable: its header Authorization could not be resolved from env:BERTH_SECRET_CRM: env:BERTH_SECRET_CRM is not set; the gateway never sends a request without the server\'s credentials',
    });
    now += 4_999;
    expect(c.lookup(route).kind).toBe('failed');
    expect(r.reads).toHaveLength(1);
    now += 1;
    expect((await settled(c, route)).kind).toBe('failed');
    expect(r.reads).toHaveLength(2);
    now += 5_000;
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer at-last');
    expect(await settled(c, route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer at-last'] });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'a server credential cannot be resolved; the server is unavailable (503) until it can'],
      [30, 'server credential resolved again'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('at-last');
  });

  it('a refresh that fails keeps the value held, and says so once', async () => {
    const r = scriptedResolver();
    r.values.set('env:BERTH_SECRET_CRM', 'Bearer kept');
    let now = 0;
    const { logger, lines } = logs();
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger, now: () => now, refreshMs: 1_000 });
    const route = crmRoute();
    await settled(c, route);
    r.values.set('env:BERTH_SECRET_CRM', new Error('AccessDeniedException: not allowed'));
    for (let i = 0; i < 3; i++) {
      now += 1_000;
      expect(c.lookup(route)).toEqual({ kind: 'ready', headers: ['authorization', 'Bearer kept'] });
      await new Promise((res) => setImmediate(res));
    }
    expect(r.reads).toHaveLength(4);
    expect(lines.map((l) => l.msg)).toEqual(['a server credential could not be read again; the value read earlier is still sent']);
  });

  it('refuses values that are not header values (line breaks) or empty, without repeating them', async () => {
    for (const bad of ['Bearer a\r\nX-Injected: 1', '']) {
      const r = scriptedResolver();
      r.values.set('env:BERTH_SECRET_CRM', bad);
      const { logger, lines } = logs();
      const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger });
      const found = await settled(c, crmRoute());
      expect(found.kind).toBe('failed');
      if (bad !== '') expect(JSON.stringify([found, lines])).not.toContain('X-Injected');
    }
  });

  it('shares one read among servers naming the same reference, and keeps header order', async () => {
    const r = scriptedResolver();
    r.values.set('env:BERTH_SECRET_A', 'a');
    r.values.set('env:BERTH_SECRET_B', 'b');
    const c = new UpstreamCredentials({ resolveSecret: r.resolve, logger: logs().logger });
    const one = crmRoute([
      { name: 'X-B', valueFrom: 'env:BERTH_SECRET_B' },
      { name: 'X-A', valueFrom: 'env:BERTH_SECRET_A' },
    ]);
    const two = routeFromServer(mcpServer('two', { runtime: { image: 'ghcr.io/a/b:1', transport: 'streamable-http', headers: [{ name: 'X-A', valueFrom: 'env:BERTH_SECRET_A' }] } }));
    expect(await settled(c, one)).toEqual({ kind: 'ready', headers: ['x-b', 'b', 'x-a', 'a'] });
    expect(await settled(c, two)).toEqual({ kind: 'ready', headers: ['x-a', 'a'] });
    expect(r.reads.sort()).toEqual(['env:BERTH_SECRET_A', 'env:BERTH_SECRET_B']);
  });
});
