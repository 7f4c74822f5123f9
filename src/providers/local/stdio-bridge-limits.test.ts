import { afterEach, describe, expect, it } from 'vitest';
import { alive, pidsWithTag, STDIO_SERVER, waitFor } from '../../../test/fixtures/mcp-servers/harness.ts';
import { bridgeTestScope, KB_SERVER, openRawSession, rawRequest, taggedRssBytes } from '../../../test/fixtures/mcp-servers/bridge-process.ts';

const MiB = 1024 * 1024;
const scope = bridgeTestScope(afterEach);

describe('stdio bridge limits (bridge processes with real stdio servers)', () => {
  it('a flood of 200 initializes stays under maxMemoryMiB, the rest get 503 with Retry-After, and another server keeps answering', async () => {
    const floodTag = scope.tag('flood');
    const otherTag = scope.tag('other');
    const capMiB = 300;
    const flooded = await scope.process(['--max-sessions', '8', '--max-memory-mib', String(capMiB)], [process.execPath, KB_SERVER, floodTag]);
    const other = await scope.process([], [process.execPath, STDIO_SERVER, otherTag]);
    const otherSession = (await openRawSession(other.url)).sessionId!;
    expect(otherSession).toBeDefined();

    // Watch the flooded bridge's children (not the bridge) every 20 ms, and ping the other server throughout.
    let peak = 0;
    let flooding = true;
    const watcher = (async () => {
      while (flooding) {
        peak = Math.max(peak, taggedRssBytes(floodTag, [flooded.pid]));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const pings: { ok: boolean; ms: number }[] = [];
    const pinger = (async () => {
      for (let i = 0; flooding; i++) {
        const t = performance.now();
        const r = await rawRequest(other.url, otherSession, 'ping', `ping-${i}`);
        pings.push({ ok: r.status === 200 && r.message?.result !== undefined, ms: performance.now() - t });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => openRawSession(flooded.url, i)));
    // Let the admitted servers settle at full size while still watching.
    await new Promise((r) => setTimeout(r, 1500));
    flooding = false;
    await Promise.all([watcher, pinger]);

    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    console.log(`flood: ${admitted.length} admitted, ${refused.length} refused; children's RSS peak ${(peak / MiB).toFixed(0)} MiB of ${capMiB} MiB; ` +
      `${pings.length} pings to the other server, slowest ${Math.max(...pings.map((p) => p.ms)).toFixed(0)} ms`);
    expect(admitted.length + refused.length).toBe(200);
    expect(admitted.length).toBeGreaterThanOrEqual(2); // a Node server takes ~95 MiB: room for two or three
    expect(admitted.length).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(capMiB * MiB);
    expect(pidsWithTag(floodTag).filter((p) => p !== flooded.pid)).toHaveLength(admitted.length);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      const body = JSON.parse(r.body!) as { id: unknown; error: { code: number; message: string; data: { limit: string; field: string } } };
      expect(body.error.code).toBe(-32000);
      expect(body.error.data).toMatchObject({ limit: 'maxMemoryMiB', field: 'spec.runtime.stdio.maxMemoryMiB' });
      expect(body.error.message).toContain('raise spec.runtime.stdio.maxMemoryMiB');
      expect(typeof body.id).toBe('number'); // the initialize's own id
    }
    expect(pings.length).toBeGreaterThan(5);
    expect(pings.every((p) => p.ok)).toBe(true);

    // The admitted sessions still work; the bridge and every child go when it stops.
    expect((await rawRequest(flooded.url, admitted[0]!.sessionId!, 'tools/list', 'after')).message?.result).toBeDefined();
    await Promise.all([flooded.stop(), other.stop()]);
    await waitFor('no process of either bridge left', () => pidsWithTag(floodTag).length === 0 && pidsWithTag(otherTag).length === 0);
  }, 60_000);

  it('ends a session idle for idleTimeoutSeconds, and its server process; a session in use stays', async () => {
    const t = scope.tag('idle');
    const bridge = await scope.process(['--idle-timeout-s', '1'], [process.execPath, STDIO_SERVER, t]);
    const used = (await openRawSession(bridge.url, 'used')).sessionId!;
    // Keep one session in use (a ping every 250 ms) while the other sits idle.
    let using = true;
    const pingStatuses: number[] = [];
    const user = (async () => {
      for (let i = 0; using; i++) {
        pingStatuses.push((await rawRequest(bridge.url, used, 'ping', i)).status);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const idle = (await openRawSession(bridge.url, 'idle')).sessionId!;
    const children = pidsWithTag(t).filter((p) => p !== bridge.pid);
    expect(children).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 2500));
    using = false;
    await user;
    expect(pingStatuses.every((s) => s === 200)).toBe(true);
    expect((await rawRequest(bridge.url, idle, 'ping', 'late')).status).toBe(404);
    expect(children.filter((p) => alive(p))).toHaveLength(1); // the used session's child
    expect((await rawRequest(bridge.url, used, 'ping', 'still')).status).toBe(200);
    await bridge.stop();
    expect(children.filter((p) => alive(p))).toEqual([]);
  }, 20_000);
});

describe('stdio bridge session limit (in-process bridge, real stdio servers)', () => {
  it('refuses a session over maxSessions with 503, then ends the session idle longest to make room', async () => {
    const t = scope.tag('cap');
    let skewMs = 0; // the bridge's clock runs ahead by this much: sessions age without waiting
    const bridge = await scope.inProcess([process.execPath, STDIO_SERVER, t], { limits: { maxSessions: 2 }, tuning: { reclaimIdleAfterMs: 60_000 }, now: () => Date.now() + skewMs });
    const first = (await openRawSession(bridge.url, 'a')).sessionId!;
    const second = (await openRawSession(bridge.url, 'b')).sessionId!;
    const [firstPid] = bridge.childPids();

    const over = await openRawSession(bridge.url, 'c');
    expect(over.status).toBe(503);
    expect(Number(over.retryAfter)).toBeGreaterThanOrEqual(1);
    const error = (JSON.parse(over.body!) as { error: { message: string; data: object } }).error;
    expect(error.message).toMatch(/already runs 2 sessions, its limit \(maxSessions 2\).*raise spec\.runtime\.stdio\.maxSessions/);
    expect(error.data).toMatchObject({ limit: 'maxSessions', value: 2, sessions: 2, field: 'spec.runtime.stdio.maxSessions' });
    expect(bridge.stats().refused.maxSessions).toBe(1);
    // Open sessions are never refused.
    expect((await rawRequest(bridge.url, second, 'ping', 1)).status).toBe(200);

    // Once the sessions have been idle a minute, a new session ends the one idle longest and takes its place.
    skewMs = 61_000;
    const third = await openRawSession(bridge.url, 'd');
    expect(third.status).toBe(200);
    expect(bridge.stats()).toMatchObject({ sessions: 2, reclaimed: 1 });
    expect(alive(firstPid!)).toBe(false);
    expect((await rawRequest(bridge.url, first, 'ping', 2)).status).toBe(404);
    expect((await rawRequest(bridge.url, second, 'ping', 3)).status).toBe(200);
    expect((await rawRequest(bridge.url, third.sessionId!, 'ping', 4)).status).toBe(200);
    await bridge.close();
    expect(pidsWithTag(t)).toEqual([]);
  });

  it('answers a POST without a session that is not an initialize itself, starting no process', async () => {
    const t = scope.tag('noinit');
    const bridge = await scope.inProcess([process.execPath, STDIO_SERVER, t]);
    const res = await fetch(bridge.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('single initialize request');
    const garbage = await fetch(bridge.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(garbage.status).toBe(400);
    await garbage.text();
    expect(pidsWithTag(t)).toEqual([]);
  });
});
