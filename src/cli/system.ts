/**
 * The whole control plane in one process (`berth up`): the SQLite store, the
 * registry API, the reconciler with the local and remote providers, and the
 * gateway following the registry. Wiring only: every part is built elsewhere.
 *
 * Stop order matters: the gateway first (no new agent traffic), then the
 * reconciler (no new runtime actions), then the providers (every child process
 * ends), then the registry API and last the store.
 *
 * Metrics: one prom-client Registry holds the registry API's and the reconciler's,
 * so the registry's /metrics serves both.
 *
 * @example
 * const sys = await startSystem({ stateDir: '.berth', host: '127.0.0.1', registryPort: 7070, gatewayPort: 8080, logger, cwd, nodePath: process.execPath, parentEnv: process.env });
 * console.log(sys.gatewayUrl); … await sys.stop();
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { startGateway, RouteTable, followRegistry } from '../gateway/index.ts';
import { createLocalProvider } from '../providers/local/index.ts';
import { createRemoteProvider } from '../providers/remote/index.ts';
import { startReconciler, type RunningReconciler } from '../reconciler/index.ts';
import { GATEWAY_PRINCIPAL, RECONCILER_PRINCIPAL } from '../registry/in-process.ts';
import { startRegistryServer } from '../registry/server.ts';
import { openSqliteStore } from '../registry/sqlite-store.ts';
import type { Store } from '../registry/store.ts';
import { localHolderId, releaseLeaseOfDeadLocalHolder } from './stale-lease.ts';
import { onForcedExit } from './forced-exit.ts';

/** Lease the embedded reconciler campaigns for (the reconciler's default for all environments). */
const RECONCILER_LEASE = 'berth-reconciler';

/** Options of {@link startSystem}. */
export interface SystemOptions {
  /** Folder for the database, the admin token, the local runtime's state and logs. */
  stateDir: string;
  /** Interface every listener binds. */
  host: string;
  /** 0 picks a free port. */
  registryPort: number;
  /** 0 picks a free port. */
  gatewayPort: number;
  logger: Logger;
  /** Working directory of local servers whose manifest names none (relative `args` resolve here). */
  cwd: string;
  /** Node binary for manifests whose local command is `node`. */
  nodePath: string;
  /** Berth's own environment; only allow-listed variables reach servers. */
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Re-queue everything this often (drift, health). Default 30 s. */
  resyncMs?: number;
  /** Leader lease TTL. Default 15 s. */
  leaseTtlMs?: number;
}

/** A running control plane. */
export interface RunningSystem {
  registryUrl: string;
  gatewayUrl: string;
  /** Where the bootstrap admin token is (created on first start). */
  adminTokenFile: string;
  /** True when this start created the admin token (first start of this state dir). */
  firstStart: boolean;
  store: Store;
  reconciler: RunningReconciler;
  routeTable: RouteTable;
  /** Stops everything in a safe order; every child process has exited when it resolves. Idempotent. */
  stop(): Promise<void>;
}

/** Starts every part and resolves once all are listening. */
export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const { logger } = opts;
  const stateDir = resolve(opts.cwd, opts.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore({ path: join(stateDir, 'registry.db'), logger: logger.child({ part: 'store' }) });
  const stops: Array<() => Promise<void>> = [() => store.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    const metrics = new Registry();
    const registry = await startRegistryServer({
      metrics,
      store,
      host: opts.host,
      port: opts.registryPort,
      stateDir,
      logger: logger.child({ part: 'registry' }),
    });
    stops.push(() => registry.close());

    let reconciler: RunningReconciler | undefined;
    const local = createLocalProvider({
      logger: logger.child({ part: 'local-runtime' }),
      stateDir,
      nodePath: opts.nodePath,
      host: opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host,
      parentEnv: opts.parentEnv,
      defaultCwd: opts.cwd,
      // A crash or health change is noticed by the provider; requeue at once instead of waiting for resync.
      onChange: (name) => reconciler?.enqueue(name),
    });
    const remote = createRemoteProvider({ logger: logger.child({ part: 'remote-runtime' }) });
    // The local provider stops every child process it started on close; a forced exit kills them instead.
    const offForcedExit = onForcedExit(() => local.killNow());
    stops.push(async () => {
      await local.close();
      offForcedExit();
    });
    stops.push(() => remote.close());

    // A `berth up` killed with SIGKILL keeps the lease until its TTL ends; without this the
    // new one would stand by meanwhile, adopting nothing and leaving the servers on Ctrl-C.
    await releaseLeaseOfDeadLocalHolder(store, RECONCILER_LEASE, logger.child({ part: 'reconciler' }));
    reconciler = startReconciler({
      registry: registry.clientFor(RECONCILER_PRINCIPAL),
      providers: [local, remote],
      logger: logger.child({ part: 'reconciler' }),
      leaseName: RECONCILER_LEASE,
      holderId: localHolderId(),
      metrics,
      ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
      ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
    });
    const runningReconciler = reconciler;
    stops.push(() => runningReconciler.stop());

    const routeTable = new RouteTable();
    const following = followRegistry(registry.clientFor(GATEWAY_PRINCIPAL), routeTable, { logger: logger.child({ part: 'gateway-routes' }) });
    stops.push(() => following.stop());
    // Agents' open SSE streams would hold shutdown for the default 5 s grace; on one machine a short grace is kinder.
    const gateway = await startGateway({ routeTable, host: opts.host, port: opts.gatewayPort, logger: logger.child({ part: 'gateway' }), closeGraceMs: 1_000 });
    stops.push(() => gateway.close());

    return {
      registryUrl: registry.url,
      gatewayUrl: gateway.url,
      adminTokenFile: join(stateDir, 'admin-token'),
      firstStart: registry.bootstrapTokenFile !== undefined,
      store,
      reconciler: runningReconciler,
      routeTable,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
