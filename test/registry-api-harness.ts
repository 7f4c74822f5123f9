/**
 * Shared setup for the registry API tests and benchmark: a real registry server on
 * a real socket over a real SQLite file in a temp dir, plus manifest generators.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { MCPServer } from '../src/manifest/types.ts';
import { mintToken, type Role } from '../src/registry/auth/tokens.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { startRegistryServer, type RunningRegistry } from '../src/registry/server.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import type { Store } from '../src/registry/store.ts';
import type { ServerLogSource } from '../src/registry/server-log-source.ts';
import type { RemoteAddressPolicy } from '../src/manifest/remote-address.ts';
import type { DashboardOptions } from '../src/registry/dashboard/dashboard.ts';

/** A running registry with its store, admin token and temp dir. */
export interface Harness {
  dir: string;
  dbPath: string;
  store: Store;
  server: RunningRegistry;
  url: string;
  adminToken: string;
  admin: HttpRegistryClient;
  /** Stores a token of `role` directly and returns the token string. */
  token(role: Role, opts?: { team?: string; agent?: string; groups?: string[]; expiresAt?: Date; revoked?: boolean }): Promise<string>;
  /** Restarts the HTTP server (same store, same port). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a registry for a test. `wrapStore` puts something between the API and
 * the store (fault injection); the harness's own `store` stays the real one.
 */
export async function startHarness(
  opts: {
    heartbeatMs?: number;
    maxWatchers?: number;
    approvalTtlMs?: number;
    wrapStore?: (store: Store) => Store;
    remoteAddresses?: RemoteAddressPolicy;
    dir?: string;
    storeProbeIntervalMs?: number;
    maxWatchersPerToken?: number;
    /** Serve the dashboard (/ui/) and accept its session cookie. */
    dashboard?: DashboardOptions;
    logSource?: ServerLogSource;
  } = {},
): Promise<Harness> {
  // `dir`: an existing folder to hold the database and state (e.g. a small tmpfs); removed on close.
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'berth-api-')));
  const dbPath = join(dir, 'registry.db');
  const logger = pino({ level: 'silent' });
  const store = await openSqliteStore({ path: dbPath, logger });
  const served = opts.wrapStore ? opts.wrapStore(store) : store;
  const start = (port: number): Promise<RunningRegistry> =>
    startRegistryServer({ store: served, host: '127.0.0.1', port, stateDir: dir, logger, heartbeatMs: opts.heartbeatMs ?? 200, drainMs: 2_000, ...(opts.maxWatchers !== undefined ? { maxWatchers: opts.maxWatchers } : {}), ...(opts.approvalTtlMs !== undefined ? { approvalTtlMs: opts.approvalTtlMs } : {}), ...(opts.remoteAddresses !== undefined ? { remoteAddresses: opts.remoteAddresses } : {}), ...(opts.storeProbeIntervalMs !== undefined ? { storeProbeIntervalMs: opts.storeProbeIntervalMs } : {}), ...(opts.maxWatchersPerToken !== undefined ? { maxWatchersPerToken: opts.maxWatchersPerToken } : {}), ...(opts.dashboard !== undefined ? { dashboard: opts.dashboard } : {}), ...(opts.logSource !== undefined ? { logSource: opts.logSource } : {}) });
  let server = await start(0);
  const adminToken = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
  const h: Harness = {
    dir,
    dbPath,
    store,
    server,
    url: server.url,
    adminToken,
    admin: new HttpRegistryClient({ baseUrl: server.url, token: adminToken }),
    async token(role, o = {}) {
      const now = new Date();
      const minted = mintToken({ role, now, ...(o.team ? { team: o.team } : {}), ...(o.agent ? { agent: o.agent } : {}), ...(o.groups ? { groups: o.groups } : {}) });
      if (o.expiresAt) minted.record.expiresAt = o.expiresAt.toISOString();
      if (o.revoked) minted.record.revokedAt = now.toISOString();
      await store.putToken(minted.record);
      return minted.token;
    },
    async restart() {
      await server.close();
      server = await start(Number(new URL(h.url).port));
      h.server = server;
    },
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** A valid MCPServer manifest (a remote one, so it needs no image). */
export function serverManifest(name: string, o: { team?: string; description?: string; labels?: Record<string, string> } = {}): MCPServer {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      description: o.description ?? `The ${name} server`,
      owner: { team: o.team ?? 'platform' },
      environment: 'dev',
      lifecycle: 'approved-dev',
      risk: 'low',
      dataClassification: 'internal',
      remote: { url: `https://${name}.example.com/mcp`, transport: 'streamable-http' },
      tools: [{ name: 'lookup', scopes: [`${name.replace(/-/g, '')}.read`] }],
    },
  };
}

/** The same manifest as YAML text. */
export function serverYaml(name: string, o: { team?: string; description?: string } = {}): string {
  const m = serverManifest(name, o);
  const spec = m.spec as { owner: { team: string }; description: string };
  return `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: ${name}
spec:
  description: ${JSON.stringify(spec.description)}
  owner:
    team: ${spec.owner.team}
  environment: dev
  lifecycle: approved-dev
  risk: low
  dataClassification: internal
  remote:
    url: https://${name}.example.com/mcp
    transport: streamable-http
  tools:
    - name: lookup
      scopes: [${name.replace(/-/g, '')}.read]
`;
}
