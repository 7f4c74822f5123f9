/**
 * The gateway's edge under slow and greedy clients, with real sockets and a real
 * MCP SDK client: idle sockets and slow bodies are closed within the header and
 * body timeouts (even by clients that never read, which node:http's default
 * answer left open for ever), the connection caps close connections over them at
 * once, and meanwhile a well-behaved client keeps calling tools. Timeouts here
 * are a second or less, so the file runs in seconds.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import type { EdgeLimits } from '../src/gateway/limits.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { server, silentLogger, spawnServer, type ChildServer } from './gateway-helpers.ts';
import type { GatewayProcessConfig } from './support/gateway-process.ts';
import { waitFor } from './support/wait.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fixture(): Promise<FixtureServer> {
  const f = await startFixtureServer();
  cleanups.push(() => f.close());
  return f;
}

/** A gateway in its own process, and the number of file descriptors it holds. */
async function gatewayProcess(config: GatewayProcessConfig): Promise<ChildServer & { base: string; fds(): number }> {
  const child = await spawnServer(['test/support/gateway-process.ts', JSON.stringify(config)], { path: '' });
  cleanups.push(() => child.kill());
  return { ...child, base: child.url, fds: () => readdirSync(`/proc/${child.child.pid}/fd`).length };
}

async function gatewayInProcess(table: RouteTable, limits: Partial<EdgeLimits>): Promise<RunningGateway> {
  const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, limits, remoteAddresses: LOOPBACK_REMOTES });
  cleanups.push(() => gw.close());
  return gw;
}

/** An SDK client of `url`, its connections made from `localAddress` (any 127.x.y.z is this machine). */
async function connect(url: string, localAddress = '127.0.0.1'): Promise<Client> {
  const agent = new Agent({ localAddress });
  const client = new Client({ name: 'limits-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: (u, init) => undiciFetch(u as string, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response> }));
  cleanups.push(async () => {
    await client.close();
    await agent.close();
  });
  return client;
}

/** Calls echo on `client` every few milliseconds until stopped; resolves with what happened. */
function keepCalling(client: Client): { stop(): Promise<{ calls: number; failures: string[]; slowestMs: number }> } {
  let stopping = false;
  let calls = 0;
  let slowestMs = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (!stopping) {
      const t0 = performance.now();
      try {
        const result = await client.callTool({ name: 'echo', arguments: { text: `call ${calls}` } });
        const text = (result.content as Array<{ text: string }>)[0]!.text;
        if (text !== `call ${calls}`) failures.push(`call ${calls} answered ${text}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      calls++;
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { calls, failures, slowestMs };
    },
  };
}

/** Opens a raw TCP connection to `port` that never reads what it is sent. */
function rawSocket(port: number, localAddress = '127.0.0.1'): net.Socket {
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  s.on('error', () => undefined);
  cleanups.push(() => s.destroy());
  return s;
}

/** Resolves when `s` is closed; `s` reads (and drops) what it is sent so its end is seen. */
function closedAfter(s: net.Socket): Promise<number> {
  const t0 = performance.now();
  s.resume();
  return new Promise((resolve) => s.once('close', () => resolve(performance.now() - t0)));
}

describe('slow clients are closed within the timeouts', () => {
  it('300 idle sockets and 50 slow-body clients, none of which ever reads: all closed by the gateway within timeout + 1 s, while an SDK client keeps calling tools', async () => {
    const up = await fixture();
    const limits = { headerTimeoutMs: 1_000, bodyTimeoutMs: 1_000, idleTimeoutMs: 1_000 };
    const gw = await gatewayProcess({ servers: [server('fx', { endpoint: up.url })], limits });
    const client = await connect(`${gw.base}/mcp/fx`);
    await client.callTool({ name: 'echo', arguments: { text: 'warm' } });
    const baseline = gw.fds();
    const calling = keepCalling(client);

    const started = performance.now();
    for (let i = 0; i < 300; i++) rawSocket(gw.port);
    const slow: net.Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = rawSocket(gw.port);
      s.write(`POST /mcp/fx HTTP/1.1\r\nHost: 127.0.0.1:${gw.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"jsonrpc":`);
      slow.push(s);
    }
    // A byte every 200 ms: never idle, never done.
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(' ');
    }, 200);
    cleanups.push(() => clearInterval(drip));

    const peak = await waitFor('the gateway to hold all 350 connections', () => (gw.fds() >= baseline + 350 ? gw.fds() : false), 5_000, 20);
    await waitFor('the 300 idle sockets closed', () => gw.fds() <= baseline + 50 + 5, 5_000, 20);
    const idleClosedMs = performance.now() - started;
    await waitFor('the 50 slow bodies closed', () => gw.fds() <= baseline + 5, 5_000, 20);
    const slowClosedMs = performance.now() - started;
    const result = await calling.stop();

    // Header timeout 1 s, header + body 2 s; node:http looks every 250 ms.
    expect(idleClosedMs).toBeLessThan(limits.headerTimeoutMs + 1_000);
    expect(slowClosedMs).toBeLessThan(limits.headerTimeoutMs + limits.bodyTimeoutMs + 1_000);
    expect(slowClosedMs).toBeGreaterThan(limits.headerTimeoutMs + limits.bodyTimeoutMs - 100);
    expect(result.failures).toEqual([]);
    expect(result.calls).toBeGreaterThan(10);
    expect(result.slowestMs).toBeLessThan(1_000);
    console.info(
      `[limits] gateway descriptors ${baseline} → ${peak} → ${gw.fds()}; idle sockets closed after ${Math.round(idleClosedMs)} ms, slow bodies after ${Math.round(slowClosedMs)} ms; ` +
        `${result.calls} tool calls meanwhile, none failed, slowest ${Math.round(result.slowestMs)} ms`,
    );
  });

  it('a client that reads hears why: 408 with a JSON-RPC error naming the timeouts; a request that is not HTTP gets 400', async () => {
    const table = new RouteTable();
    table.replaceAll([]);
    const gw = await gatewayInProcess(table, { headerTimeoutMs: 300, bodyTimeoutMs: 400 });
    const read = (s: net.Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.once('close', () => resolve(text));
      });
    const partial = rawSocket(gw.port);
    partial.write('GET /mcp/x HTTP/1.1\r\nHost: x\r\n');
    const answer = await read(partial);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application\/json\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      jsonrpc: '2.0',
      error: { code: -32600, message: 'the request did not arrive in time: its headers must arrive within 300 ms, and all of it within 700 ms; the gateway closed the connection' },
      id: null,
    });
    const garbage = rawSocket(gw.port);
    garbage.write('HELLO\r\n\r\n');
    expect(await read(garbage)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"message":"the request is not valid HTTP \(HPE_INVALID_METHOD\)"/);
  });
});

describe('connection caps', () => {
  it('per address: connections over the cap from one address are closed at once and counted; a client from another address is served', async () => {
    const up = await fixture();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: up.url })]);
    const gw = await gatewayInProcess(table, { maxConnections: 1_000, maxConnectionsPerAddress: 20, headerTimeoutMs: 10_000 });
    const closings = Array.from({ length: 30 }, () => closedAfter(rawSocket(gw.port, '127.0.0.1')));
    await waitFor('20 held, 10 refused', () => gw.connections.open === 20 && gw.connections.rejectedPerAddress === 10, 5_000, 20);
    const closed = await Promise.all(closings.map((c) => Promise.race([c, new Promise<number>((r) => setTimeout(() => r(-1), 500))])));
    // The refused ones were closed at once (well within the 10 s header timeout), the others are held.
    expect(closed.filter((ms) => ms >= 0 && ms < 1_000)).toHaveLength(10);

    const client = await connect(`${gw.url}/mcp/fx`, '127.0.0.2');
    const result = await client.callTool({ name: 'echo', arguments: { text: 'from another address' } });
    expect((result.content as Array<{ text: string }>)[0]!.text).toBe('from another address');
    const fromGreedy = new Agent({ localAddress: '127.0.0.1' });
    cleanups.push(() => fromGreedy.close());
    await expect(undiciFetch(`${gw.url}/mcp/fx`, { method: 'POST', body: '{}', dispatcher: fromGreedy })).rejects.toThrow('fetch failed');
    expect(gw.connections.rejectedPerAddress).toBeGreaterThan(10);
  });

  it('overall: connections over the cap are closed at once and counted; once some close, new ones are served', async () => {
    const up = await fixture();
    const table = new RouteTable();
    table.replaceAll([server('fx', { endpoint: up.url })]);
    const gw = await gatewayInProcess(table, { maxConnections: 20, maxConnectionsPerAddress: 20, headerTimeoutMs: 10_000 });
    const sockets = Array.from({ length: 30 }, (_, i) => rawSocket(gw.port, `127.0.0.${1 + (i % 3)}`));
    await waitFor('20 held, 10 refused', () => gw.connections.open === 20 && gw.connections.rejectedOverall === 10, 5_000, 20);
    for (const s of sockets) s.destroy();
    await waitFor('all closed', () => gw.connections.open === 0, 5_000, 20);
    const client = await connect(`${gw.url}/mcp/fx`, '127.0.0.4');
    expect((await client.callTool({ name: 'echo', arguments: { text: 'room again' } })).content).toEqual([{ type: 'text', text: 'room again' }]);
  });
});
