/**
 * The CLI (the real binary) against a hostile "registry": a real socket server in
 * this test that never answers, trickles a body for ever, or sends an endless
 * body. Each run must end with a clear error naming the limit (exit 3) instead of
 * hanging or growing; the endless body is read to the 64 MiB limit only, with the
 * process's peak memory printed and bounded. The watch path is bounded per event.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryAnswerError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { spawnBerth } from './cli-services-harness.ts';

type Mode = 'silent' | 'trickle' | 'endless' | 'endless-watch-line';
let server: Server;
let url: string;
const sockets = new Set<Socket>();
const timers = new Set<ReturnType<typeof setInterval>>();

/** Writes `chunk` as fast as the client takes it, for ever (until the client goes). */
function flood(res: ServerResponse, chunk: Buffer): void {
  const more = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', more);
  };
  more();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const mode = (req.headers.authorization ?? '').replace('Bearer ', '') as Mode;
    if (mode === 'silent') return; // accepts, reads the request, never answers
    if (mode === 'trickle') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
      const t = setInterval(() => res.write(' '), 100);
      timers.add(t);
      res.on('close', () => clearInterval(t));
      return;
    }
    res.writeHead(200, { 'content-type': mode === 'endless-watch-line' ? 'application/x-ndjson' : 'application/json' });
    res.write(mode === 'endless-watch-line' ? '{"type":"ADDED","object":{"spec":"' : '{"items":["');
    flood(res, Buffer.alloc(1024 * 1024, 'a'));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs `berth get servers` against the hostile server; samples the child's peak memory (VmHWM) while it runs. */
async function getServers(mode: Mode, extra: string[] = []): Promise<{ code: number | null; stderr: string; peakMiB: number; seconds: number }> {
  const started = performance.now();
  const p = spawnBerth(['get', 'servers', '--server', url, '--token', mode, ...extra]);
  let peakKiB = 0;
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      /* exited */
    }
  }, 20);
  const { code } = await p.exited;
  clearInterval(sample);
  return { code, stderr: p.stderr(), peakMiB: Math.round(peakKiB / 1024), seconds: Math.round((performance.now() - started) / 100) / 10 };
}

describe('berth get against a hostile registry', () => {
  it('a server that never answers: exit 3 naming the timeout and the flag', async () => {
    const r = await getServers('silent', ['--request-timeout', '1s']);
    console.log(`silent server: exit ${r.code} after ${r.seconds} s (timeout 1 s)`);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^berth get: no answer from the registry at http:\/\/127\.0\.0\.1:\d+\/apis\/berth\.dev\/v1alpha1\/mcpservers within 1 s; .*--request-timeout sets the limit/m);
  });

  it('a server that trickles a byte every 100 ms for ever: the timeout covers the whole answer', async () => {
    const r = await getServers('trickle', ['--request-timeout', '2s']);
    console.log(`trickling server: exit ${r.code} after ${r.seconds} s (timeout 2 s)`);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no answer from the registry at .* within 2 s/);
  });

  it('a server sending an endless body: stops at 64 MiB with a clear error, memory bounded', async () => {
    const r = await getServers('endless', ['--request-timeout', '60s']);
    console.log(`endless body: exit ${r.code} after ${r.seconds} s, peak RSS ${r.peakMiB} MiB (limit 64 MiB of body)`);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the answer from http:\/\/127\.0\.0\.1:\d+\/apis\/berth\.dev\/v1alpha1\/mcpservers is larger than 67108864 bytes/);
    expect(r.peakMiB).toBeGreaterThan(0);
    expect(r.peakMiB).toBeLessThan(512);
  });

  it('refuses a --request-timeout that is not a duration', async () => {
    const r = await getServers('silent', ['--request-timeout', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--request-timeout must be/);
  });
});

describe('HttpRegistryClient.watch against a hostile registry', () => {
  it('a watch event that never ends is cut at the per-event limit', async () => {
    const client = new HttpRegistryClient({ baseUrl: url, token: 'endless-watch-line', maxWatchEventBytes: 4 * 1024 * 1024 });
    const ac = new AbortController();
    let err: unknown;
    try {
      for await (const _ of client.watch('MCPServer', 0, ac.signal)) {
        /* nothing ever arrives */
      }
    } catch (e) {
      err = e;
    }
    ac.abort();
    expect(err).toBeInstanceOf(RegistryAnswerError);
    expect((err as RegistryAnswerError).reason).toBe('too-large');
    expect((err as Error).message).toMatch(/^the answer from http:\/\/127\.0\.0\.1:\d+\/apis\/berth\.dev\/v1alpha1\/mcpservers is larger than 4194304 bytes/);
  });

  it('a watch whose response never starts times out', async () => {
    const client = new HttpRegistryClient({ baseUrl: url, token: 'silent', requestTimeoutMs: 500 });
    const ac = new AbortController();
    const it = client.watch('MCPServer', 0, ac.signal)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ name: 'RegistryAnswerError', reason: 'timeout' });
    ac.abort();
  });
});
