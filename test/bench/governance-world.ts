/**
 * What the governance benchmarks (governance.bench.ts, governance-instructions.ts)
 * run against, each part its own process: the SDK-built upstream
 * (gateway.bench.ts's stateful SSE server), the canned upstream, a registry over
 * SQLite in a temp dir, and a local OIDC issuer (in the calling process: the
 * gateways ask it once, for discovery and keys). The registry holds two
 * MCPServers — `bench` (→ the SDK upstream) and `canned` — made Ready by writing
 * the status a reconciler would, an AccessPolicy granting both benchmark agents
 * the tool's scope, a gateway token, and an agent key; the issuer has minted a
 * long-lived access token for the other agent. Gateways are started by the caller
 * ({@link World.startGateway}), so it can wrap them (valgrind) or profile them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRegistryClient } from '../../src/client/http-client.ts';
import { API_VERSION } from '../../src/manifest/resource.ts';
import type { MCPServer } from '../../src/manifest/types.ts';
import { startOidcIssuer, type OidcIssuer } from '../support/oidc-issuer.ts';
import { GATEWAY_BENCH, spawnListening, type SpawnOptions } from './bench-process.ts';

/** governance.bench.ts, whose roles (registry, canned-upstream, gateway, loadgen) the scripts start. */
export const GOVERNANCE_BENCH = new URL('./governance.bench.ts', import.meta.url).pathname;

/** The token audience, also the governed gateways' public URL (the load reaches them on loopback). */
export const AUDIENCE = 'https://gateway.bench.test/mcp';
/** The agent calling with a Berth agent key, and the one calling with an access token. */
export const KEY_AGENT = 'bench-key-agent';
export const JWT_AGENT = 'bench-jwt-agent';

/** The three gateways compared: no governance, governed called with an agent key, governed called with a JWT. */
export const GATEWAY_KINDS = ['plain', 'key', 'jwt'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

/** What a gateway process is told (as JSON on its command line). */
export interface GatewayConfig {
  governed: boolean;
  registryUrl: string;
  /** A gateway token. */
  token: string;
  issuer: string;
  /** Where its JSON log (with the per-call audit lines) goes. */
  logFile: string;
}

/** Request headers of every benchmark call (the session id is added per client). */
export const BASE_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

/** A started gateway. */
export interface StartedGateway {
  kind: GatewayKind;
  port: number;
  child: ChildProcess;
  /** The credential header its callers send (none for plain). */
  auth: Record<string, string>;
  logFile: string;
}

/** The running processes and what the registry holds. */
export interface World {
  dir: string;
  registryUrl: string;
  registry: { port: number; child: ChildProcess };
  /** The registry's SQLite file (call_records can be counted from it). */
  dbFile: string;
  admin: HttpRegistryClient;
  idp: OidcIssuer;
  /** Starts one gateway of `kind` over this registry (as governance.bench.ts's `gateway` role). */
  startGateway(kind: GatewayKind, opts?: SpawnOptions): Promise<StartedGateway>;
  /** Kills whatever is still running, stops the issuer, removes the temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts the upstreams, the registry and the issuer and fills the registry (see the module comment).
 * @example const world = await startWorld(); const gw = await world.startGateway('key'); … await world.stop();
 */
export async function startWorld(opts: { registry?: SpawnOptions } = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-governance-bench-'));
  const idp = await startOidcIssuer({ audience: AUDIENCE });
  const children: ChildProcess[] = [];
  const spawnRole = async (args: string[], spawnOpts: SpawnOptions = {}) => {
    const started = await spawnListening(args, spawnOpts);
    children.push(started.child);
    return started;
  };
  const stop = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await idp.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const sdk = await spawnRole([GATEWAY_BENCH, 'sdk-upstream', 'sse']);
    const canned = await spawnRole([GOVERNANCE_BENCH, 'canned-upstream']);
    const registry = await spawnRole([GOVERNANCE_BENCH, 'registry', dir], opts.registry);
    const registryUrl = `http://127.0.0.1:${registry.port}`;
    const admin = new HttpRegistryClient({ baseUrl: registryUrl, token: (await readFile(join(dir, 'admin-token'), 'utf8')).trim() });
    for (const [name, port] of [['bench', sdk.port], ['canned', canned.port]] as const) {
      const url = `http://127.0.0.1:${port}/mcp`;
      const { object } = await admin.apply<MCPServer>({
        apiVersion: API_VERSION,
        kind: 'MCPServer',
        metadata: { name },
        spec: {
          owner: { team: 'bench' },
          environment: 'dev',
          lifecycle: 'approved-dev',
          risk: 'low',
          dataClassification: 'internal',
          remote: { url, transport: 'streamable-http' },
          tools: [{ name: 'echo', scopes: ['bench.echo'] }],
        },
      });
      // Approved as an approver would (the admin may), so its effective stage lets it take traffic.
      await admin.decideStage(name, { stage: 'approved-dev', decision: 'approved', note: 'governance benchmark' });
      // No reconciler runs here: the status a reconciler would write after a health check makes the server Ready.
      await admin.updateStatus('MCPServer', name, {
        observedGeneration: object.metadata.generation,
        phase: 'Ready',
        endpoint: url,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Healthy', message: 'benchmark upstream', lastTransitionTime: new Date().toISOString() }],
      });
    }
    await admin.apply({
      apiVersion: API_VERSION,
      kind: 'AccessPolicy',
      metadata: { name: 'bench-agents' },
      spec: { subjects: [{ agent: KEY_AGENT }, { agent: JWT_AGENT }], allow: ['bench.echo'] },
    });
    const gatewayToken = (await admin.createToken({ role: 'gateway', description: 'governance benchmark gateways' })).token;
    const agentKey = (await admin.createToken({ role: 'agent', agent: KEY_AGENT })).token;
    const jwt = await idp.mint({ claims: { azp: JWT_AGENT, sub: 'bench-user' }, expiresIn: 24 * 3600 });
    const auth: Record<GatewayKind, Record<string, string>> = { plain: {}, key: { authorization: `Bearer ${agentKey}` }, jwt: { authorization: `Bearer ${jwt}` } };

    return {
      dir,
      registryUrl,
      registry,
      dbFile: join(dir, 'registry.db'),
      admin,
      idp,
      async startGateway(kind, spawnOpts = {}) {
        const cfg: GatewayConfig = { governed: kind !== 'plain', registryUrl, token: gatewayToken, issuer: idp.issuer, logFile: join(dir, `gateway-${kind}.log`) };
        const { port, child } = await spawnRole([GOVERNANCE_BENCH, 'gateway', JSON.stringify(cfg)], spawnOpts);
        return { kind, port, child, auth: auth[kind], logFile: cfg.logFile };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One tools/call on session `sessionId`; throws unless the answer is 200 and
 * carries the echoed text (so a benchmark never measures refusals).
 */
export async function checkToolCall(what: string, url: string, headers: Record<string, string>, sessionId: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId },
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}',
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"hello"')) throw new Error(`${what}: tools/call answered ${res.status}: ${text.slice(0, 300)}`);
}
