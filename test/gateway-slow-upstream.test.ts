/**
 * A tool that takes 65 s, answered with plain JSON (the SDK's
 * `enableJsonResponse`), through the gateway: served for a server whose
 * manifest allows 70 s (`spec.gateway.upstreamTimeoutSeconds`), and 504 after
 * the default 60 s for one that says nothing. Real time, because the point is
 * the real default: this file takes about 65 s, run beside the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { startFixtureServer, type FixtureServer } from './gateway-fixture-server.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

let up: FixtureServer;
let gw: RunningGateway;
const clients: Client[] = [];

beforeAll(async () => {
  up = await startFixtureServer({ json: true });
  const table = new RouteTable(); // the built-in default: 60 s
  table.replaceAll([server('patient', { endpoint: up.url, gateway: { upstreamTimeoutSeconds: 70 } }), server('hasty', { endpoint: up.url })]);
  gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, remoteAddresses: LOOPBACK_REMOTES });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await gw?.close();
  await up?.close();
});

async function call(name: string): Promise<{ ms: number; text?: string; error?: string; status?: number }> {
  const client = new Client({ name: `${name}-caller`, version: '1.0.0' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/${name}`)));
  const t0 = performance.now();
  try {
    // The SDK's own request timeout is 60 s: the client must outwait the gateway.
    const result = await client.callTool({ name: 'slow', arguments: { ms: 65_000, steps: 1 } }, undefined, { timeout: 90_000 });
    return { ms: performance.now() - t0, text: (result.content as Array<{ text: string }>)[0]!.text };
  } catch (err) {
    // The SDK's StreamableHTTPError carries the HTTP status as its code.
    return { ms: performance.now() - t0, error: (err as Error).message, status: (err as { code?: number }).code };
  }
}

describe('a 65 s JSON answer', () => {
  it('succeeds where the server allows 70 s; 504 after the default 60 s where it does not', async () => {
    const [patient, hasty] = await Promise.all([call('patient'), call('hasty')]);
    expect(patient.text).toBe('done after 65000 ms');
    expect(patient.ms).toBeGreaterThan(65_000);
    expect(hasty.error).toContain('"code":-32003,"message":"server \\"hasty\\" did not answer within 60 s (its spec.gateway.upstreamTimeoutSeconds sets how long the gateway waits)"');
    expect(hasty.status).toBe(504);
    expect(hasty.ms).toBeGreaterThan(59_900);
    expect(hasty.ms).toBeLessThan(62_000);
    console.info(`[limits] 65 s JSON call: patient (70 s) answered after ${(patient.ms / 1000).toFixed(1)} s; hasty (default 60 s) got 504 after ${(hasty.ms / 1000).toFixed(1)} s`);
  }, 100_000);
});
