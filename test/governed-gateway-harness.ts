/**
 * The governed gateway end to end, shared by the gateway-authz / attacks /
 * approvals / audit / discovery tests: a real registry over HTTP and SQLite
 * (startHarness), three MCP servers built with the SDK (test/support/tool-upstream.ts)
 * registered as MCPServers with `spec.remote` and made Ready by writing their status,
 * AccessPolicies for agents and a group, agent keys minted through the registry, a
 * local OIDC issuer over HTTP for the agents that present JWTs (audience: the
 * gateway's public URL), and `startGateway` with `createGovernance` over a registry
 * client holding a gateway token, its route table following the registry.
 *
 * The world (what the specification tables in the tests are written against):
 *
 * | server  | upstream answers | declared tools (scopes)                                                                 | undeclared on the upstream |
 * |---------|------------------|-----------------------------------------------------------------------------------------|----------------------------|
 * | crm     | SSE, resumable   | searchAccounts (crm.read), updateOpportunity (crm.write), deleteAccount (crm.admin), exportAccounts (crm.read, approval: required) | debugDump |
 * | billing | JSON             | getInvoice (billing.read), issueRefund (billing.refund)                                 | rawSql                     |
 * | hr      | SSE              | lookupEmployee (hr.read), setSalary (hr.write); records keep arguments and results      | shell                      |
 *
 * | agent       | credential                  | policies                                                                                  |
 * |-------------|-----------------------------|-------------------------------------------------------------------------------------------|
 * | sales-bot   | agent key, group `sales`    | `sales` (group): allow crm.read, crm.write; deny crm.admin · `sales-bot-billing`: allow billing.read, requireApproval billing.refund |
 * | ops-bot     | agent key                   | `ops-bot`: allow *, deny hr.*                                                             |
 * | finance-bot | JWT (user fiona), group `finance` | `finance` (group): allow billing.*, crm.read; deny billing.refund · `finance-bot-hr`: allow hr.read |
 * | hr-bot      | JWT (user hank)             | `hr-bot`: allow hr.*, requireApproval hr.write                                            |
 * | burst-bot   | agent key                   | `burst-bot`: allow crm.read, rateLimit 60/min burst 2                                     |
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { CallRecord } from '../src/client/wire.ts';
import { followRegistry } from '../src/gateway/follow-registry.ts';
import type { EdgeOptions } from '../src/gateway/edge/edge.ts';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import { createGovernance, type Governance } from '../src/gateway/governance/governance.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { SessionKeys } from '../src/gateway/session-keys.ts';
import { openSessionId } from '../src/gateway/session-seal.ts';
import type { AccessPolicy, MCPServer } from '../src/manifest/types.ts';
import type { Store } from '../src/registry/store.ts';
import { conditions } from './gateway-helpers.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';
import { startOidcIssuer, type OidcIssuer } from './support/oidc-issuer.ts';
import { startToolUpstream, type ToolUpstream } from './support/tool-upstream.ts';
import { waitFor } from './support/wait.ts';
import { approveInStore } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

/** The servers of the world, as the upstreams and manifests are built from it. */
export const SERVERS = {
  crm: {
    json: false,
    resumable: true,
    tools: [
      { name: 'searchAccounts', scopes: ['crm.read'] },
      { name: 'updateOpportunity', scopes: ['crm.write'] },
      { name: 'deleteAccount', scopes: ['crm.admin'] },
      { name: 'exportAccounts', scopes: ['crm.read'], approval: 'required' as const },
    ],
    undeclared: ['debugDump'],
    description: 'Accounts and opportunities of the sales team',
  },
  billing: {
    json: true,
    tools: [
      { name: 'getInvoice', scopes: ['billing.read'] },
      { name: 'issueRefund', scopes: ['billing.refund'] },
    ],
    undeclared: ['rawSql'],
    description: 'Invoices and refunds',
  },
  hr: {
    json: false,
    tools: [
      { name: 'lookupEmployee', scopes: ['hr.read'] },
      { name: 'setSalary', scopes: ['hr.write'] },
    ],
    undeclared: ['shell'],
    description: 'Employee records',
    auditPayloads: 'arguments-and-results',
  },
} as const;

/** A server of the world. */
export type ServerName = keyof typeof SERVERS;
export const SERVER_NAMES = Object.keys(SERVERS) as ServerName[];

/** The agents of the world and how each proves who it is. */
export const AGENTS = {
  'sales-bot': { credential: 'key', groups: ['sales'] },
  'ops-bot': { credential: 'key', groups: [] },
  'finance-bot': { credential: 'jwt', user: 'fiona', groups: ['finance'] },
  'hr-bot': { credential: 'jwt', user: 'hank', groups: [] },
  'burst-bot': { credential: 'key', groups: [] },
} as const;

/** An agent of the world. */
export type AgentName = keyof typeof AGENTS;

function policy(name: string, spec: AccessPolicy['spec']): AccessPolicy {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name }, spec };
}

/** The AccessPolicies of the world (see the module comment). */
export const POLICIES: AccessPolicy[] = [
  policy('sales', { subjects: [{ group: 'sales' }], allow: ['crm.read', 'crm.write'], deny: ['crm.admin'] }),
  policy('sales-bot-billing', { subjects: [{ agent: 'sales-bot' }], allow: ['billing.read'], requireApproval: ['billing.refund'] }),
  policy('ops-bot', { subjects: [{ agent: 'ops-bot' }], allow: ['*'], deny: ['hr.*'] }),
  policy('finance', { subjects: [{ group: 'finance' }], allow: ['billing.*', 'crm.read'], deny: ['billing.refund'] }),
  policy('finance-bot-hr', { subjects: [{ agent: 'finance-bot' }], allow: ['hr.read'] }),
  policy('hr-bot', { subjects: [{ agent: 'hr-bot' }], allow: ['hr.*'], requireApproval: ['hr.write'] }),
  policy('burst-bot', { subjects: [{ agent: 'burst-bot' }], allow: ['crm.read'], rateLimit: { requestsPerMinute: 60, burst: 2 } }),
];

/** One HTTP exchange with the gateway, its JSON-RPC messages read from a JSON or SSE body. */
export interface Exchange {
  status: number;
  headers: Headers;
  /** The JSON-RPC messages of the answer (one for a JSON object, several for an array or SSE events). */
  messages: Array<{ id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } }>;
}

/** Options of {@link startGovernedGateway}. */
export interface GovernedGatewayOptions {
  /** Fault injection between the registry API and its store. */
  wrapStore?: (store: Store) => Store;
  auditFailClosedAfterMs?: number;
  /** How long the gateway trusts an accepted agent key; default 5 s. */
  agentKeyCacheMs?: number;
  logger?: Logger;
  /** The edge's Host, Origin and CORS rules (the public URL, where the gateway listens, is always one). */
  edge?: Omit<EdgeOptions, 'publicUrls' | 'listenHost'> & { morePublicUrls?: string[] };
  /** The operator's metrics registry (governance and edge metrics). */
  metrics?: Registry;
}

/** A running governed gateway and everything behind it. */
export interface GovernedGateway {
  registry: Harness;
  upstreams: Record<ServerName, ToolUpstream>;
  idp: OidcIssuer;
  governance: Governance;
  /** The gateway's public URL (where it listens): the OAuth resource and the tokens' audience. */
  url: string;
  /** The bearer credential of `agent`: its agent key, or a fresh-enough JWT from the issuer. */
  bearer(agent: AgentName): Promise<string>;
  /** An SDK client of `server` through the gateway as `agent` (closed by `close`). */
  connect(agent: AgentName, server: ServerName): Promise<Client>;
  /** The MCP session id of a connected client (sealed by the gateway). */
  sessionOf(client: Client): string;
  /** The upstream's own id of the session the gateway sealed into `sessionId` on `server`'s route. */
  upstreamSessionOf(server: ServerName, sessionId: string): string;
  /**
   * One JSON-RPC POST to `server`'s route: `body` as is, `bearer` as the
   * Authorization header (none when absent), and any other headers.
   */
  post(server: ServerName, body: unknown, opts?: { bearer?: string; sessionId?: string; headers?: Record<string, string>; query?: string }): Promise<Exchange>;
  /** Opens a session on `server` by hand (initialize, then initialized); returns its id. */
  openSession(server: ServerName, bearer: string): Promise<string>;
  /** Every call record in the registry (flushing the gateway's audit first), oldest first. */
  callRecords(): Promise<CallRecord[]>;
  /** Waits until `probe` finds what it wants in the call records, and returns what it found. */
  waitForRecords<T>(what: string, probe: (records: CallRecord[]) => T | undefined | false): Promise<T>;
  close(): Promise<void>;
}

/** A port nothing listens on now, so the gateway's URL (the tokens' audience) is known before it starts. */
async function reservePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The manifest of a server of the world, pointing at its upstream. */
function manifestOf(name: ServerName, upstream: ToolUpstream): MCPServer {
  const base = serverManifest(name, { team: 'sales-platform', description: SERVERS[name].description });
  const s: { tools: ReadonlyArray<{ name: string; scopes: readonly string[]; approval?: 'required' }>; auditPayloads?: 'arguments-and-results' } = SERVERS[name];
  return {
    ...base,
    spec: {
      ...base.spec,
      remote: { url: upstream.url, transport: 'streamable-http' },
      tools: s.tools.map((t) => ({ ...t, scopes: [...t.scopes] })),
      ...(s.auditPayloads !== undefined ? { access: { auditPayloads: s.auditPayloads } } : {}),
    },
  };
}

/** Reads a gateway answer: JSON (object or array), SSE events, or nothing. */
async function readExchange(res: Response): Promise<Exchange> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  let messages: Exchange['messages'] = [];
  if (type.startsWith('text/event-stream')) {
    messages = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as Exchange['messages'][number]);
  } else if (text !== '') {
    const parsed = JSON.parse(text) as Exchange['messages'][number] | Exchange['messages'];
    messages = Array.isArray(parsed) ? parsed : [parsed];
  }
  return { status: res.status, headers: res.headers, messages };
}

/** Starts the world and the gateway over it. */
export async function startGovernedGateway(opts: GovernedGatewayOptions = {}): Promise<GovernedGateway> {
  const logger = opts.logger ?? pino({ level: 'silent' });
  const registry = await startHarness({ remoteAddresses: LOOPBACK_REMOTES, ...(opts.wrapStore ? { wrapStore: opts.wrapStore } : {}) });
  const closers: Array<() => Promise<unknown>> = [() => registry.close()];
  const closeAll = async (): Promise<void> => {
    while (closers.length > 0) await closers.pop()!().catch(() => undefined);
  };
  try {
    const upstreams = {} as Record<ServerName, ToolUpstream>;
    for (const name of SERVER_NAMES) {
      const s = SERVERS[name];
      upstreams[name] = await startToolUpstream(name, [...s.tools.map((t) => t.name), ...s.undeclared], { json: s.json, resumable: 'resumable' in s });
      closers.push(() => upstreams[name].close());
    }
    for (const name of SERVER_NAMES) {
      await registry.admin.apply(manifestOf(name, upstreams[name]));
      await approveInStore(registry.store, name);
      await registry.store.updateStatus('MCPServer', name, { observedGeneration: 1, conditions: conditions(true), endpoint: upstreams[name].url });
    }
    for (const p of POLICIES) await registry.admin.apply(p);

    const keys = new Map<string, string>();
    for (const [agent, a] of Object.entries(AGENTS)) {
      if (a.credential === 'key') keys.set(agent, (await registry.admin.createToken({ role: 'agent', agent, groups: [...a.groups] })).token);
    }
    const port = await reservePort();
    const url = `http://127.0.0.1:${port}`;
    const idp = await startOidcIssuer({ audience: url });
    closers.push(() => idp.stop());

    const client = new HttpRegistryClient({ baseUrl: registry.url, token: (await registry.admin.createToken({ role: 'gateway' })).token });
    const routeTable = new RouteTable();
    const following = followRegistry(client, routeTable, { logger, backoff: { baseMs: 20, capMs: 200 } });
    closers.push(() => following.stop());
    const governance = createGovernance({
      registry: client,
      routeTable,
      logger,
      publicUrl: url,
      oidc: { issuer: idp.issuer, audience: url },
      ...(opts.auditFailClosedAfterMs !== undefined ? { auditFailClosedAfterMs: opts.auditFailClosedAfterMs } : {}),
      ...(opts.agentKeyCacheMs !== undefined ? { agentKeyCacheMs: opts.agentKeyCacheMs } : {}),
      ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
    });
    closers.push(() => governance.close());
    await Promise.all([following.synced(), governance.synced()]);
    await waitFor('every server routable', () => SERVER_NAMES.every((n) => routeTable.get(n)?.routable));
    const { morePublicUrls, ...edge } = opts.edge ?? {};
    const sessionKeys = new SessionKeys([randomBytes(32)]);
    const gateway: RunningGateway = await startGateway({
      routeTable,
      host: '127.0.0.1',
      port,
      logger,
      closeGraceMs: 200,
      governance,
      sessionKeys,
      remoteAddresses: LOOPBACK_REMOTES,
      edge: { ...edge, publicUrls: [url, ...(morePublicUrls ?? [])] },
      ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
    });
    closers.push(() => gateway.close());
    const clients: Client[] = [];
    closers.push(() => Promise.all(clients.map((c) => c.close().catch(() => undefined))));

    const jwts = new Map<string, { token: string; until: number }>();
    const bearer = async (agent: AgentName): Promise<string> => {
      const a = AGENTS[agent];
      if (a.credential === 'key') return keys.get(agent)!;
      const held = jwts.get(agent);
      if (held !== undefined && held.until > Date.now()) return held.token;
      const token = await idp.mint({ claims: { azp: agent, sub: a.user, groups: [...a.groups] }, expiresIn: 600 });
      jwts.set(agent, { token, until: Date.now() + 300_000 });
      return token;
    };
    const post: GovernedGateway['post'] = async (server, body, o = {}) => {
      const res = await fetch(`${url}/mcp/${server}${o.query ?? ''}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
          ...(o.bearer !== undefined ? { authorization: `Bearer ${o.bearer}` } : {}),
          ...(o.sessionId !== undefined ? { 'mcp-session-id': o.sessionId } : {}),
          ...o.headers,
        },
        body: JSON.stringify(body),
      });
      return readExchange(res);
    };
    const callRecords = async (): Promise<CallRecord[]> => {
      await governance.governor.audit.flush();
      return (await registry.admin.queryCallRecords({ limit: 1000 })).reverse();
    };
    return {
      registry,
      upstreams,
      idp,
      governance,
      url,
      bearer,
      async connect(agent, server) {
        const c = new Client({ name: `${agent}-test`, version: '1.0.0' });
        await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp/${server}`), { requestInit: { headers: { authorization: `Bearer ${await bearer(agent)}` } } }));
        clients.push(c);
        return c;
      },
      sessionOf(c) {
        const id = (c.transport as StreamableHTTPClientTransport | undefined)?.sessionId;
        if (id === undefined) throw new Error('the client holds no session');
        return id;
      },
      upstreamSessionOf(server, sessionId) {
        const opened = openSessionId(sessionKeys, server, sessionId);
        if (opened === undefined) throw new Error(`${sessionId} is not a session id the gateway sealed for ${server}`);
        return opened.upstreamSessionId;
      },
      post,
      async openSession(server, token) {
        const init = await post(server, { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }, { bearer: token });
        const sessionId = init.headers.get('mcp-session-id');
        if (init.status !== 200 || sessionId === null) throw new Error(`initialize on ${server} answered ${init.status}: ${JSON.stringify(init.messages)}`);
        const initialized = await post(server, { jsonrpc: '2.0', method: 'notifications/initialized' }, { bearer: token, sessionId });
        if (initialized.status !== 202) throw new Error(`notifications/initialized on ${server} answered ${initialized.status}`);
        return sessionId;
      },
      callRecords,
      waitForRecords: (what, probe) => waitFor(what, async () => probe(await callRecords()), 10_000, 100),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The code a call record's reason starts with (`allowed`, `missing-scope`, …). */
export function reasonCode(record: CallRecord): string {
  return record.reason.slice(0, record.reason.indexOf(':'));
}
