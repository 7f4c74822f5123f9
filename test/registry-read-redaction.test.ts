/**
 * Env values on read (item 5 of issue 14): a reader, an agent, a gateway and a
 * publisher of another team read every env value as `<redacted>` through get,
 * list and watch — and so the gateway's route table never holds them and its
 * discovery (`/v1/discovery`, `/v0.1/servers`) never shows them — while admin,
 * approvers and the owning team's publisher see them. Against a real registry
 * and gateway over HTTP.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { followRegistry } from '../src/gateway/follow-registry.ts';
import { startGateway } from '../src/gateway/gateway.ts';
import { createGovernance } from '../src/gateway/governance/governance.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { conditions } from './gateway-helpers.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';
import { waitFor } from './support/wait.ts';

let h: Harness;
const ENV = { DB_HOST: 'db-prod.internal.example', LOG_LEVEL: 'debug-visible-value' };
const VALUES = Object.values(ENV);

function withEnv(name: string, team: string): MCPServer {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name },
    spec: {
      owner: { team },
      environment: 'dev',
      lifecycle: 'approved-dev',
      risk: 'low',
      dataClassification: 'internal',
      tools: [{ name: 'lookup', scopes: ['billing.read'] }],
      runtime: { image: 'ghcr.io/acme/billing:1.0.0', transport: 'stdio', env: ENV, local: { command: 'node', args: ['server.js', '--region', 'eu-west-1'], env: { LOCAL_ONLY: 'local-visible-value' } } },
    },
  };
}

beforeAll(async () => {
  h = await startHarness();
  await h.admin.apply(withEnv('billing', 'payments'));
  // Approved, so the gateway — which reads env values redacted — must still find it routable (metadata.specHashes).
  await h.admin.decideStage('billing', { stage: 'approved-dev', decision: 'approved' });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

async function get(token: string): Promise<string> {
  const res = await fetch(`${h.url}/apis/berth.dev/v1alpha1/mcpservers/billing`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

async function list(token: string): Promise<string> {
  const res = await fetch(`${h.url}/apis/berth.dev/v1alpha1/mcpservers`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** The first ADDED/MODIFIED line a watch from version 0 sends. */
async function firstWatchEvent(token: string): Promise<string> {
  const ac = new AbortController();
  const res = await fetch(`${h.url}/apis/berth.dev/v1alpha1/mcpservers?watch=1&resourceVersion=0`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('watch ended before an event');
      buffered += decoder.decode(value, { stream: true });
      const line = buffered.split('\n').find((l) => /"type":"(ADDED|MODIFIED)"/.test(l));
      if (line) return line;
    }
  } finally {
    ac.abort();
  }
}

function expectRedacted(text: string, who: string): void {
  for (const v of [...VALUES, 'local-visible-value']) expect(text, who).not.toContain(v);
  expect(text, who).toContain('"DB_HOST":"<redacted>"');
  expect(text, who).toContain('"LOCAL_ONLY":"<redacted>"');
  expect(text, who).toContain('eu-west-1'); // ordinary arguments stay
}

function expectShown(text: string, who: string): void {
  for (const v of [...VALUES, 'local-visible-value']) expect(text, who).toContain(v);
}

describe('env values on read', () => {
  it('reader, agent, gateway and another team publisher: redacted in get, list and watch', async () => {
    const tokens = {
      reader: await h.token('reader'),
      agent: await h.token('agent', { agent: 'sales-copilot' }),
      gateway: await h.token('gateway'),
      'publisher of another team': await h.token('publisher', { team: 'marketing' }),
    };
    for (const [who, token] of Object.entries(tokens)) {
      expectRedacted(await get(token), `${who} get`);
      expectRedacted(await list(token), `${who} list`);
      expectRedacted(await firstWatchEvent(token), `${who} watch`);
    }
  });

  it('admin, approver and the owning team publisher: shown', async () => {
    const tokens = { admin: h.adminToken, approver: await h.token('approver'), 'owning publisher': await h.token('publisher', { team: 'payments' }) };
    for (const [who, token] of Object.entries(tokens)) {
      expectShown(await get(token), `${who} get`);
      expectShown(await list(token), `${who} list`);
      expectShown(await firstWatchEvent(token), `${who} watch`);
    }
  });

  it('the gateway route table (what discovery is built from) never holds env values', async () => {
    const client = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('gateway') });
    const table = new RouteTable();
    const following = followRegistry(client, table, { logger: pino({ level: 'silent' }) });
    try {
      await following.synced();
      await waitFor('billing in the route table', () => table.get('billing') !== undefined);
      expectRedacted(JSON.stringify(table.get('billing')!.server), 'route table');
    } finally {
      await following.stop();
    }
  });

  it('gateway discovery (/v1/discovery, /v0.1/servers) lists the server without its env values', async () => {
    await h.admin.apply({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'discoverer' }, spec: { subjects: [{ agent: 'discoverer' }], allow: ['*'] } });
    await h.store.updateStatus('MCPServer', 'billing', { observedGeneration: 1, conditions: conditions(true), endpoint: 'http://127.0.0.1:9/mcp' });
    const agentKey = (await h.admin.createToken({ role: 'agent', agent: 'discoverer' })).token;
    const logger = pino({ level: 'silent' });
    const client = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('gateway') });
    const routeTable = new RouteTable();
    const following = followRegistry(client, routeTable, { logger });
    let url = '';
    const governance = createGovernance({ registry: client, routeTable, logger, publicUrl: () => url });
    try {
      await Promise.all([following.synced(), governance.synced()]);
      await waitFor('billing routable', () => routeTable.get('billing')?.routable);
      const gateway = await startGateway({ routeTable, host: '127.0.0.1', port: 0, logger, closeGraceMs: 100, governance });
      url = gateway.url;
      try {
        for (const path of ['/v1/discovery', '/v0.1/servers']) {
          const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${agentKey}` } });
          const body = await res.text();
          expect(res.status, path).toBe(200);
          expect(body, path).toContain('billing');
          for (const v of [...VALUES, 'local-visible-value']) expect(body, path).not.toContain(v);
        }
      } finally {
        await gateway.close();
      }
    } finally {
      await governance.close();
      await following.stop();
    }
  });
});
