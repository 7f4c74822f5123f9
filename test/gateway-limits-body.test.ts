/**
 * Request body limits per server (`spec.gateway.maxRequestBodyBytes`), through a
 * gateway in its own process so that the client keeps writing while the gateway
 * answers, as it does in production: a 5 MB POST to a server allowing 16 MiB is
 * served, and to one allowing 1 MiB it is answered 413 with a JSON-RPC error
 * every time — never a reset connection (which 9 of 20 such fetches got before
 * the gateway read the rest of a refused body before closing).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { server, spawnServer, type ChildServer } from './gateway-helpers.ts';

const MiB = 1024 * 1024;
let upstream: http.Server;
/** Bodies the upstream received, by length. */
const received: number[] = [];
let gw: ChildServer;
let base: string;

beforeAll(async () => {
  // A JSON-RPC server of its own: the SDK's transport refuses bodies over 4 MB itself.
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push(body.length);
      const { id } = JSON.parse(body.toString()) as { id: number };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: { receivedBytes: body.length } }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
  const servers = [server('roomy', { endpoint, gateway: { maxRequestBodyBytes: 16 * MiB } }), server('tight', { endpoint, gateway: { maxRequestBodyBytes: 1 * MiB } })];
  gw = await spawnServer(['test/support/gateway-process.ts', JSON.stringify({ servers })], { path: '' });
  base = gw.url;
});

afterAll(async () => {
  await gw?.kill();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

/** A tools/call of echo whose body is about `bytes` long. */
function bigCall(bytes: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(bytes) } } });
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const REFUSAL = {
  jsonrpc: '2.0',
  error: { code: -32004, message: 'request body is larger than server "tight" accepts (1 MiB); send a smaller one, or ask the server\'s owner to raise spec.gateway.maxRequestBodyBytes' },
  id: null,
};

/** Sends `send` 20 times one after the other; counts the outcomes (status, or the error's code). */
async function twenty(send: () => Promise<{ status: number; body: unknown }>): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    let key: string;
    try {
      const { status, body } = await send();
      key = status === 413 && JSON.stringify(body) === JSON.stringify(REFUSAL) ? '413 with the JSON-RPC error' : `${status} ${JSON.stringify(body).slice(0, 120)}`;
    } catch (err) {
      key = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    }
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return outcomes;
}

describe('request body limits per server', () => {
  it('5 MB calls to a server allowing 16 MiB are served, 20 times out of 20, every byte forwarded', async () => {
    const body = bigCall(5_000_000);
    const outcomes = await twenty(async () => {
      const res = await fetch(`${base}/mcp/roomy`, { method: 'POST', headers: HEADERS, body });
      return { status: res.status, body: await res.json() };
    });
    expect(outcomes).toEqual({ [`200 ${JSON.stringify({ jsonrpc: '2.0', id: 7, result: { receivedBytes: body.length } })}`]: 20 });
    expect(received.filter((n) => n === body.length)).toHaveLength(20);
  });

  it('5 MB POSTs to a server allowing 1 MiB: 413 with the JSON-RPC error 20 times out of 20 — fetch with a length, fetch streaming a chunked body, node:http', async () => {
    const body = bigCall(5_000_000);
    const started = performance.now();
    const declared = await twenty(async () => {
      const res = await fetch(`${base}/mcp/tight`, { method: 'POST', headers: HEADERS, body });
      return { status: res.status, body: await res.json() };
    });
    const chunked = await twenty(async () => {
      const bytes = Buffer.from(body);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) c.enqueue(bytes.subarray(at, at + 64 * 1024));
          c.close();
        },
      });
      const res = await fetch(`${base}/mcp/tight`, { method: 'POST', headers: HEADERS, body: stream, duplex: 'half' } as RequestInit);
      return { status: res.status, body: await res.json() };
    });
    const nodeHttp = await twenty(
      () =>
        new Promise((resolve, reject) => {
          const req = http.request(`${base}/mcp/tight`, { method: 'POST', headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) } }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
          });
          req.on('error', reject);
          req.end(body);
        }),
    );
    const perPost = (performance.now() - started) / 60;
    expect({ declared, chunked, nodeHttp }).toEqual({
      declared: { '413 with the JSON-RPC error': 20 },
      chunked: { '413 with the JSON-RPC error': 20 },
      nodeHttp: { '413 with the JSON-RPC error': 20 },
    });
    console.info(`[limits] 60 five-megabyte POSTs to a 1 MiB server: 60 × 413, ${perPost.toFixed(0)} ms each on average`);
  });

  it('a body of exactly the limit is forwarded, one byte more is refused', async () => {
    const post = (text: string) => fetch(`${base}/mcp/tight`, { method: 'POST', headers: HEADERS, body: text });
    const envelope = bigCall(0).length;
    const at = await post(bigCall(MiB - envelope));
    expect([at.status, await at.json()]).toEqual([200, { jsonrpc: '2.0', id: 7, result: { receivedBytes: MiB } }]);
    const over = await post(bigCall(MiB - envelope + 1));
    expect([over.status, await over.json()]).toEqual([413, REFUSAL]);
  });
});
