/**
 * Runs the registry API on a socket: `berth registry` and `berth up` call
 * {@link startRegistryServer}. Wiring only; the API is in `api/`.
 *
 * Shutdown (`close()`): stop accepting connections, end watch streams with a
 * RECONNECT line, let in-flight requests (writes) finish, then close idle
 * keep-alive connections; anything still open after `drainMs` is cut.
 *
 * @example
 * const store = await openStore('sqlite:.berth/registry.db');
 * const server = await startRegistryServer({ store, host: '127.0.0.1', port: 7070, stateDir: '.berth', logger });
 * // … server.url is "http://127.0.0.1:7070"
 * await server.close();
 */
import type { RemoteAddressPolicy } from '../manifest/remote-address.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createRegistryApp } from './api/app.ts';
import type { ServerLogSource } from './server-log-source.ts';
import { createRegistryMetrics } from './api/metrics.ts';
import { createBootstrapAgentKey, ensureBootstrapAdmin, resetBootstrapAdmin, type AdminTokenReset, type GivenBootstrapTokens } from './auth/bootstrap.ts';
import type { Store } from './store.ts';
import type { DashboardOptions, DashboardSettings } from './dashboard/dashboard.ts';
import { CALLBACK_PATH } from './dashboard/oidc/login-config.ts';
import type { Principal } from './auth/authenticate.ts';
import { InProcessRegistryClient } from '../client/in-process-client.ts';
import { inProcessHandler } from './in-process.ts';

/** Options of {@link startRegistryServer}. */
export interface RegistryServerOptions {
  store: Store;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the bootstrap admin token is written on first start. */
  stateDir: string;
  /**
   * On a first start (when the admin token is created), also create an agent key
   * for this agent in `<stateDir>/agent-key` (`berth up`: the examples' agent). Default: none.
   */
  bootstrapAgent?: string;
  /** Mint a new bootstrap admin token into `<stateDir>/admin-token` and revoke the earlier ones (see {@link resetBootstrapAdmin}). */
  resetAdminToken?: boolean;
  /** Tokens a deployment generated, stored on a first start instead of minting one (see {@link GivenBootstrapTokens}). */
  bootstrapTokens?: GivenBootstrapTokens;
  logger: Logger;
  clock?: () => Date;
  /** Idle time before watch streams send a BOOKMARK line. Default 15 s. */
  heartbeatMs?: number;
  /** How long close() waits for in-flight requests. Default 10 s. */
  drainMs?: number;
  version?: string;
  /** Most concurrent watch streams; see `RegistryAppDeps.maxWatchers`. */
  maxWatchers?: number;
  /** Most concurrent watch streams per token; see `RegistryAppDeps.maxWatchersPerToken`. */
  maxWatchersPerToken?: number;
  /**
   * The prom-client Registry the API's metrics go into and /metrics serves, with
   * whatever else is registered in it (`berth up`: the reconciler's). Default: its own.
   */
  metrics?: Registry;
  /** How long an approved call stays usable; see `RegistryAppDeps.approvalTtlMs`. */
  approvalTtlMs?: number;
  /** While the database refuses writes, how often to probe it; see `RegistryAppDeps.storeProbeIntervalMs`. */
  storeProbeIntervalMs?: number;
  /** Which addresses `spec.remote.url` may name (`--allow-remote`); default: the default rule, no allow-list. */
  remoteAddresses?: RemoteAddressPolicy;
  /** Serve the dashboard at /ui/; see `RegistryAppDeps.dashboard`. Default: not served. Its OIDC sign-in's redirect URL defaults to this registry's URL + /ui/oidc/callback. */
  dashboard?: DashboardSettings;
  /** Where `…/mcpservers/<name>/logs` reads (`berth up`: the local runtime's files); absent: that route says there is none. */
  logSource?: ServerLogSource;
}

/** A running registry. */
export interface RunningRegistry {
  /** Base URL, e.g. "http://127.0.0.1:7070". */
  url: string;
  /** The bootstrap token file when this start created one. */
  bootstrapTokenFile?: string;
  /** The agent key file when this start created one (see `bootstrapAgent`). */
  bootstrapAgentKeyFile?: string;
  /** What `resetAdminToken` did, when it was asked and this was not a first start. */
  adminTokenReset?: AdminTokenReset;
  /** A client of this registry in this process, acting as `principal` (no socket, no token). */
  clientFor(principal: Principal): InProcessRegistryClient;
  /** Graceful shutdown (idempotent). Does not close the store. */
  close(): Promise<void>;
}

/** Starts the API server; resolves once it is listening. */
export async function startRegistryServer(opts: RegistryServerOptions): Promise<RunningRegistry> {
  const { store, logger } = opts;
  const clock = opts.clock ?? (() => new Date());
  const bootstrapTokenFile = await ensureBootstrapAdmin({ store, stateDir: opts.stateDir, logger, now: clock(), ...(opts.bootstrapTokens ? { given: opts.bootstrapTokens } : {}) });
  const bootstrapAgentKeyFile =
    bootstrapTokenFile !== undefined && opts.bootstrapAgent !== undefined
      ? await createBootstrapAgentKey({ store, stateDir: opts.stateDir, logger, now: clock(), agent: opts.bootstrapAgent })
      : undefined;
  // A first start just made a fresh admin token: there is nothing to reset.
  const adminTokenReset = opts.resetAdminToken && bootstrapTokenFile === undefined ? await resetBootstrapAdmin({ store, stateDir: opts.stateDir, logger, now: clock() }) : undefined;
  const shutdown = new AbortController();
  // Known once listening (port 0); read only when a sign-in begins.
  let url = '';
  const dashboard = withRedirectUrl(opts.dashboard, () => `${url}${CALLBACK_PATH}`);
  const app = createRegistryApp({
    store,
    logger,
    metrics: createRegistryMetrics(store, opts.metrics !== undefined ? { registry: opts.metrics } : {}),
    shutdownSignal: shutdown.signal,
    clock,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.version !== undefined ? { version: opts.version } : {}),
    ...(opts.maxWatchers !== undefined ? { maxWatchers: opts.maxWatchers } : {}),
    ...(opts.maxWatchersPerToken !== undefined ? { maxWatchersPerToken: opts.maxWatchersPerToken } : {}),
    ...(opts.approvalTtlMs !== undefined ? { approvalTtlMs: opts.approvalTtlMs } : {}),
    ...(opts.storeProbeIntervalMs !== undefined ? { storeProbeIntervalMs: opts.storeProbeIntervalMs } : {}),
    ...(opts.remoteAddresses !== undefined ? { remoteAddresses: opts.remoteAddresses } : {}),
    ...(dashboard !== undefined ? { dashboard } : {}),
    ...(opts.logSource !== undefined ? { logSource: opts.logSource } : {}),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Slow-loris guard: a request must arrive in full within 30 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  url = `http://${host}:${addr.port}`;
  logger.info({ url }, 'registry listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const drainMs = opts.drainMs ?? 10_000;
      const closed = new Promise<void>((done) => server.close(() => done()));
      shutdown.abort(new Error('registry shutting down'));
      // Connections that finish their request become idle; close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      const deadline = setTimeout(() => {
        logger.warn({ drainMs }, 'requests still open at shutdown deadline; closing their connections');
        server.closeAllConnections();
      }, drainMs);
      void closed.then(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        logger.info('registry stopped');
        resolve();
      });
    }));
  return {
    url,
    ...(bootstrapTokenFile !== undefined ? { bootstrapTokenFile } : {}),
    ...(adminTokenReset !== undefined ? { adminTokenReset } : {}),
    ...(bootstrapAgentKeyFile !== undefined ? { bootstrapAgentKeyFile } : {}),
    clientFor: (principal) => new InProcessRegistryClient(inProcessHandler(app, principal)),
    close,
  };
}

/** `settings` with the OIDC sign-in's redirect URL defaulted to `fallback`. */
function withRedirectUrl(settings: DashboardSettings | undefined, fallback: () => string): DashboardOptions | undefined {
  if (settings === undefined) return undefined;
  const { oidc, ...rest } = settings;
  return oidc === undefined ? rest : { ...rest, oidc: { ...oidc, redirectUrl: oidc.redirectUrl ?? fallback } };
}
