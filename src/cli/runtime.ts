/**
 * The one wiring function of the berth services. `berth up` runs every part in
 * one process; `berth registry`, `berth reconciler` and `berth gateway` run one
 * each (an ECS service apiece in production). Each command parses its flags into
 * a {@link RuntimeSpec} naming the parts it runs, and {@link runRuntime} (or
 * {@link startRuntime}) builds, starts and stops them. Wiring only: every part
 * is built elsewhere.
 *
 * Start order: store → registry API → runtimes (providers) → registry client
 * (checked before anything acts) → reconciler → route table (filled from a first
 * list) → gateway (its port opens only once the table holds that list).
 *
 * Stop order, the reverse, which is the safe one: the gateway first (no new agent
 * traffic; in-flight requests may finish), then the reconciler (no new runtime
 * actions; the lease is released so a standby leads at once), then the providers
 * (with the local runtime, every child process ends), then the registry API and
 * last the store. A second Ctrl-C / SIGTERM skips all that: the forced-exit hook
 * kills the local runtime's process groups instead of leaving them behind.
 *
 * @example
 * const code = await runRuntime({ logger, io, registry: { store, host, port: 7070, stateDir, portFlag: '--port' } }, (rt) => io.stderr.write(`registry listening on ${rt.registryUrl}\n`));
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { followRegistry, RouteTable, startGateway, type EdgeLimits, type EdgeOptions, type SecretResolver, type ServerLimits, type SessionKeys, type TrustedProxies } from '../gateway/index.ts';
import { createGovernance, type GovernanceOptions } from '../gateway/governance/governance.ts';
import { describeError, errorChain } from '../kit/errors.ts';
import type { Environment, SecretRef } from '../manifest/types.ts';
import { EcsConfigError } from '../providers/ecs/index.ts';
import { createLocalProvider, SandboxUnavailableError, type LocalProvider, type SandboxMode, type SandboxStatus } from '../providers/local/index.ts';
import type { RuntimeProvider } from '../providers/provider.ts';
import { createRemoteProvider } from '../providers/remote/index.ts';
import { startReconciler, type ReconcilerOptions, type RunningReconciler } from '../reconciler/index.ts';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { RegistryClient } from '../client/registry-client.ts';
import type { GivenBootstrapTokens } from '../registry/auth/bootstrap.ts';
import { startRegistryServer, type RunningRegistry } from '../registry/server.ts';
import type { DashboardSettings } from '../registry/dashboard/dashboard.ts';
import { checkIdentityProvider, ProviderUnavailableError } from '../registry/dashboard/oidc/provider.ts';
import { buildInfo } from './version.ts';
import { localServerLogSource } from './server-log-wiring.ts';
import type { ServerLogSource } from '../registry/server-log-source.ts';
import type { Store } from '../registry/store.ts';
import { CommandFailure, ExitCode, type CommandIo } from './command.ts';
import { wireEcsRuntime } from './ecs-wiring.ts';
import { onForcedExit } from './forced-exit.ts';
import { MetricsServerError, startMetricsServer } from './metrics-server.ts';
import { connectRegistryClient, type RegistryConnection, type RegistryWhereabouts } from './registry-connection.ts';
import { releaseLeaseOfDeadLocalHolder } from './stale-lease.ts';
import { openChosenStore, type StoreChoice } from './store-config.ts';
import type { ClientFlags } from './config.ts';
import { hostAddresses } from './remote-address-flags.ts';
import type { RemoteAddressPolicy } from '../manifest/remote-address.ts';

/** The registry part: the store and the registry API over it. */
export interface RegistryPart {
  store: StoreChoice;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the bootstrap admin token is written on first start. */
  stateDir: string;
  /** On a first start, also create an agent key for this agent (`<stateDir>/agent-key`). */
  bootstrapAgent?: string;
  /** `berth up --reset-admin-token`: a new admin token in `<stateDir>/admin-token`, the earlier ones revoked. */
  resetAdminToken?: boolean;
  /** The flag that sets the port, named when it is taken. */
  portFlag?: string;
  /** The prom-client Registry its /metrics serves (`berth up`: shared with the reconciler). */
  metrics?: MetricsRegistry;
  /** How long an approved tool call stays usable (default: the registry's, 10 min). */
  approvalTtlMs?: number;
  /** Most watch streams one token may hold open (default: the registry's, 16). */
  maxWatchersPerToken?: number;
  /** Tokens the deployment generated for a first start (`berth registry`: BERTH_BOOTSTRAP_*_TOKEN). */
  bootstrapTokens?: GivenBootstrapTokens;
  /** Serve the dashboard at /ui/ (absent: `--no-dashboard`), with its sign-in through an identity provider when `oidc` is set. */
  dashboard?: DashboardSettings;
  /** Where `GET …/mcpservers/<name>/logs` reads (`berth registry --logs-provider ecs`); default: the local runtime's files when this process runs it, else none. */
  logSource?: ServerLogSource;
}

/** Where the reconciler's servers run. */
export type RuntimesChoice =
  /** Processes on this machine (and servers hosted elsewhere). */
  | { kind: 'local'; stateDir: string; host?: string; sandbox?: SandboxMode; hiddenPaths?: string[]; allowCommands?: string[] }
  /** ECS Fargate + ALB + Route 53 of one environment from a config file (and servers hosted elsewhere). */
  | { kind: 'ecs'; configFile: string; environment: Environment };

/** The reconciler part: its runtimes, the reconciler's own options, and where its metrics are served (none: no port). */
export type ReconcilerPart = { runtimes: RuntimesChoice; leaseName: string; metricsServer?: { host: string; port: number } } & Omit<
  ReconcilerOptions,
  'registry' | 'providers' | 'logger' | 'leaseName'
>;

/** The gateway part: the route table following the registry, and the MCP gateway. */
export interface GatewayPart {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** How long in-flight requests may finish on stop. */
  closeGraceMs: number;
  /** The flag that sets the port, named when it is taken. */
  portFlag?: string;
  /** The gateway's public URL (OAuth resource, token audience, discovery URLs); default its listen address. */
  publicUrl?: string;
  /** The edge's Host, Origin and CORS rules: every public URL, `--allowed-host`, `--cors-origin` (the listen address is added). */
  edge?: Omit<EdgeOptions, 'listenHost'>;
  /** An identity provider whose access tokens the gateway accepts; absent: Berth agent keys only. */
  oidc?: GovernanceOptions['oidc'];
  /** The prom-client Registry its metrics go to (`berth up`: shared with the registry's /metrics). */
  metrics?: MetricsRegistry;
  /** Where its metrics are served on their own port (`berth gateway --metrics-port`); none: no port. */
  metricsServer?: { host: string; port: number };
  /** The edge's limits and the per-server defaults (body size, upstream timeout); each absent is the gateway's default. */
  limits?: Partial<EdgeLimits & ServerLimits>;
  /** Proxies whose X-Forwarded-* and Forwarded headers are believed (`--trusted-proxy`); default none. */
  trustedProxies?: TrustedProxies;
  /**
   * The keys sealing session ids, the same on every replica (`--session-key-file`;
   * `berth up`: its state folder's). Absent: a random key of this process, with a
   * warning that its sessions die with it and span no replicas.
   */
  sessionKeys?: SessionKeys;
}

/** Which parts one process runs, and how. */
export interface RuntimeSpec {
  logger: Logger;
  io: CommandIo;
  registry?: RegistryPart;
  reconciler?: ReconcilerPart;
  gateway?: GatewayPart;
  /** Where the reconciler and the gateway find the registry when it does not run here (client flags). */
  remoteRegistry?: ClientFlags;
  /**
   * Reads the servers' header secrets (`spec.remote.headers`, `spec.runtime.headers`)
   * for the gateway and the remote runtime's health checks (secret-flags.ts). Absent:
   * servers with such headers are unavailable, saying no resolver is configured.
   */
  resolveSecret?: SecretResolver;
  /**
   * `--allow-remote`: addresses `spec.remote.url` may point at although the
   * remote-address rule refuses them by default. The registry's admission, the
   * remote runtime's probes and the gateway's connections all use it, with this
   * process's own listeners always refused.
   */
  allowRemote?: readonly string[];
}

/** What runs; a part's fields are set when it runs. */
export interface Runtime {
  store?: Store;
  registryUrl?: string;
  /** The registry API when it runs in this process. */
  registryServer?: RunningRegistry;
  /** Where the bootstrap admin token is (created on first start). */
  adminTokenFile?: string;
  /** True when this start created the admin token (first start of this state folder). */
  firstStart: boolean;
  /** The agent key file this start created (first start with `bootstrapAgent`). */
  agentKeyFile?: string;
  /** How the reconciler and the gateway reach the registry. */
  registryConnection?: RegistryConnection;
  /** The runtimes the reconciler acts through. */
  providers?: RuntimeProvider[];
  /** The local runtime's sandbox, when it runs here (to tell the operator what is isolated). */
  sandbox?: SandboxStatus;
  reconciler?: RunningReconciler;
  /** Where the reconciler's metrics are served, when asked for. */
  metricsUrl?: string;
  routeTable?: RouteTable;
  /** Unset when stopped before the gateway's port opened. */
  gatewayUrl?: string;
  /** Stops everything in the safe order (see the module comment). Idempotent. */
  stop(): Promise<void>;
}

/** Resolves when `signal` aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) return done();
    signal.addEventListener('abort', () => done(), { once: true });
  });
}

/** A listen failure (port taken, no permission) as a CommandFailure naming the port flag; anything else unchanged. */
function listenFailure(err: unknown, host: string, port: number, portFlag: string | undefined): unknown {
  if (!errorChain(err).some((e) => (e as NodeJS.ErrnoException).syscall === 'listen')) return err;
  return new CommandFailure(ExitCode.Failed, `cannot listen on ${host}:${port}: ${describeError(err)}${portFlag ? `; choose another ${portFlag}` : ''}`, { cause: err });
}

/**
 * The registry client, reporting every lease answer to `onLease` so the process
 * can say when it stands by (the elector only logs becoming and losing leader).
 * A Proxy keeps the client's own fields working (methods stay bound to it).
 */
function reportingLeases(client: RegistryClient, onLease: (held: boolean) => void): RegistryClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'acquireLease') {
        return async (name: string, holder: string, ttlMs: number): Promise<boolean> => {
          const held = await target.acquireLease(name, holder, ttlMs);
          onLease(held);
          return held;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Serves `registry` at `GET /metrics` on its own port until stopped; resolves with the URL. @throws CommandFailure (exit 1) when the port is taken */
async function serveMetrics(registry: MetricsRegistry, at: { host: string; port: number }, log: Logger, stops: StopSteps): Promise<string> {
  const server = await startMetricsServer({ registry, host: at.host, port: at.port, onError: (err) => log.warn({ err }, 'collecting metrics failed') }).catch((err: unknown) => {
    throw err instanceof MetricsServerError ? new CommandFailure(ExitCode.Failed, err.message, { cause: err }) : err;
  });
  stops.push(() => server.close());
  log.info({ url: server.url }, 'metrics listening');
  return server.url;
}

/** Stop steps, run in reverse order of registration; one that fails is logged and the rest still run. */
class StopSteps {
  readonly #steps: Array<() => Promise<void>> = [];
  readonly #logger: Logger;
  constructor(logger: Logger) {
    this.#logger = logger;
  }
  push(step: () => Promise<void>): void {
    this.#steps.push(step);
  }
  async runAll(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        this.#logger.error({ err }, 'error while stopping');
      }
    }
  }
}

/** The runtimes' option for `resolve`: the remote runtime's health checks send the servers' headers as the gateway does; the local runtime puts `runtime.secrets` in its processes' environment. */
function providerSecrets(resolve: SecretResolver | undefined): { resolveSecret?: (ref: SecretRef) => Promise<string> } {
  return resolve === undefined ? {} : { resolveSecret: (ref) => resolve(ref.valueFrom) };
}

/**
 * Builds the runtimes; the reconciler is told of servers a runtime noticed
 * changing (crash, health) through `enqueue`.
 * @throws CommandFailure (exit 1) for a bad ECS environment config
 */
async function startRuntimes(choice: RuntimesChoice, spec: RuntimeSpec, remoteAddresses: RemoteAddressPolicy, enqueue: (name: string) => void, stops: StopSteps): Promise<{ providers: RuntimeProvider[]; sandbox?: SandboxStatus }> {
  const { logger, io } = spec;
  let providers: RuntimeProvider[];
  let sandbox: SandboxStatus | undefined;
  let offForcedExit = (): void => undefined;
  if (choice.kind === 'ecs') {
    try {
      providers = (await wireEcsRuntime({ configFile: choice.configFile, environment: choice.environment, cwd: io.cwd, logger, remoteAddresses, ...providerSecrets(spec.resolveSecret) })).providers;
    } catch (err) {
      if (err instanceof EcsConfigError) throw new CommandFailure(ExitCode.Failed, err.message, { cause: err });
      throw err;
    }
  } else {
    let local: LocalProvider;
    try {
      local = createLocalProvider({
        logger: logger.child({ part: 'local-runtime' }),
        stateDir: choice.stateDir,
        nodePath: process.execPath,
        ...(choice.host !== undefined ? { host: choice.host } : {}),
        parentEnv: io.env,
        defaultCwd: io.cwd,
        ...(choice.sandbox !== undefined ? { sandbox: choice.sandbox } : {}),
        ...(choice.hiddenPaths !== undefined ? { hiddenPaths: choice.hiddenPaths } : {}),
        ...(choice.allowCommands !== undefined ? { allowCommands: choice.allowCommands } : {}),
        // runtime.secrets: the provider reads no environment or files itself; values go only into the child's environment.
        ...providerSecrets(spec.resolveSecret),
        // A crash or health change is noticed by the provider: requeue at once instead of at the next resync.
        onChange: enqueue,
      });
    } catch (err) {
      if (err instanceof SandboxUnavailableError) throw new CommandFailure(ExitCode.Failed, `${err.message}; or choose --sandbox auto / off`, { cause: err });
      throw err;
    }
    sandbox = local.sandbox;
    // A second SIGINT/SIGTERM exits at once: kill the server process groups rather than leave them behind.
    offForcedExit = onForcedExit(() => local.killNow());
    providers = [local, createRemoteProvider({ logger: logger.child({ part: 'remote-runtime' }), remoteAddresses, ...providerSecrets(spec.resolveSecret) })];
  }
  stops.push(async () => {
    for (const p of providers) await p.close().catch((err: unknown) => logger.error({ provider: p.name, err }, 'closing the runtime failed'));
    offForcedExit();
    logger.info('reconciler stopped');
  });
  return { providers, ...(sandbox ? { sandbox } : {}) };
}

/**
 * The remote-address policy of this process: the operator's `--allow-remote`, and
 * its own listeners (registry, gateway, metrics, and the registry it follows) on
 * this host's addresses, read at each check since port 0 is chosen at listen time.
 */
function remoteAddressPolicy(spec: RuntimeSpec, rt: Runtime): RemoteAddressPolicy {
  const portIn = (url: string | undefined): number | undefined => {
    if (url === undefined) return undefined;
    try {
      const u = new URL(url);
      return u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    } catch {
      return undefined;
    }
  };
  const configured = [spec.registry?.port, spec.gateway?.port, spec.reconciler?.metricsServer?.port, spec.gateway?.metricsServer?.port];
  return {
    allow: spec.allowRemote ?? [],
    ownPorts: () =>
      [...configured, portIn(rt.registryUrl), portIn(rt.gatewayUrl), portIn(rt.metricsUrl), portIn(rt.registryConnection?.url)].filter(
        (p): p is number => p !== undefined && p !== 0,
      ),
    localAddresses: hostAddresses,
  };
}

/**
 * Builds and starts the parts `spec` names, in order (see the module comment).
 * If one fails, the parts already started are stopped before it throws.
 * @throws CommandFailure naming what failed and how to fix it (store or registry unreachable: 3; port taken, bad config: 1)
 */
export async function startRuntime(spec: RuntimeSpec): Promise<Runtime> {
  const { logger, io } = spec;
  const stops = new StopSteps(logger);
  const rt: Runtime = { firstStart: false, stop: () => stops.runAll() };
  const remoteAddresses = remoteAddressPolicy(spec, rt);
  try {
    if (spec.registry) {
      const part = spec.registry;
      // An identity provider people cannot sign in with is a configuration error: say so before anything starts.
      const issuer = part.dashboard?.oidc?.issuer;
      if (issuer !== undefined) {
        await checkIdentityProvider(issuer).catch((err: unknown) => {
          throw err instanceof ProviderUnavailableError ? new CommandFailure(ExitCode.Failed, `${err.message}; check --oidc-issuer (it must equal the issuer the provider names in its discovery document) and that this machine reaches it`, { cause: err }) : err;
        });
      }
      const store = await openChosenStore(part.store, { cwd: io.cwd, logger: logger.child({ part: 'store' }) });
      stops.push(() => store.close());
      // Shown by /openapi.json and the dashboard's /ui/config; a malformed build-info file is `berth --version`'s to report.
      const version = (await buildInfo().catch(() => undefined))?.version;
      rt.store = store;
      const registry = await startRegistryServer({
        store,
        host: part.host,
        port: part.port,
        stateDir: part.stateDir,
        ...(part.bootstrapTokens !== undefined ? { bootstrapTokens: part.bootstrapTokens } : {}),
        logger: logger.child({ part: 'registry' }),
        ...(version !== undefined ? { version } : {}),
        ...(part.metrics !== undefined ? { metrics: part.metrics } : {}),
        ...(part.approvalTtlMs !== undefined ? { approvalTtlMs: part.approvalTtlMs } : {}),
        ...(part.maxWatchersPerToken !== undefined ? { maxWatchersPerToken: part.maxWatchersPerToken } : {}),
        ...(part.bootstrapAgent !== undefined ? { bootstrapAgent: part.bootstrapAgent } : {}),
        ...(part.resetAdminToken ? { resetAdminToken: true } : {}),
        ...(part.dashboard !== undefined ? { dashboard: part.dashboard } : {}),
        remoteAddresses,
        // Without a chosen source, the registry reads server output only where the local runtime writes it: in this process's state folder.
        ...(part.logSource !== undefined ? { logSource: part.logSource } : spec.reconciler?.runtimes.kind === 'local' ? { logSource: localServerLogSource(spec.reconciler.runtimes.stateDir) } : {}),
      }).catch(
        (err: unknown) => {
          throw listenFailure(err, part.host, part.port, part.portFlag);
        },
      );
      stops.push(() => registry.close());
      rt.registryServer = registry;
      rt.registryUrl = registry.url;
      rt.adminTokenFile = join(part.stateDir, 'admin-token');
      rt.firstStart = registry.bootstrapTokenFile !== undefined;
      if (registry.bootstrapAgentKeyFile !== undefined) rt.agentKeyFile = registry.bootstrapAgentKeyFile;
    }

    // Runtimes before the registry client: a bad config file is the operator's to fix and needs no registry to report.
    if (spec.reconciler) {
      const started = await startRuntimes(spec.reconciler.runtimes, spec, remoteAddresses, (name) => rt.reconciler?.enqueue(name), stops);
      rt.providers = started.providers;
      if (started.sandbox) rt.sandbox = started.sandbox;
    }

    // Over HTTP one process runs one of the two parts, so one client serves it; in one
    // process each part gets a client acting as its own principal.
    const connect = (part: 'reconciler' | 'gateway'): Promise<RegistryConnection> => {
      const where: RegistryWhereabouts = rt.registryServer
        ? { local: rt.registryServer, part }
        : {
            flags: spec.remoteRegistry ?? {},
            needs: spec.reconciler ? { role: 'admin', lease: spec.reconciler.leaseName, holderId: spec.reconciler.holderId } : { role: 'gateway' },
          };
      return connectRegistryClient(where, io);
    };
    if (spec.reconciler || spec.gateway) rt.registryConnection = await connect(spec.reconciler ? 'reconciler' : 'gateway');

    if (spec.reconciler && rt.providers && rt.registryConnection) {
      const { runtimes: _runtimes, metricsServer: metricsAt, ...options } = spec.reconciler;
      const reconcilerLog = logger.child({ part: 'reconciler' });
      const lease = options.leaseName;
      // A `berth up` killed with SIGKILL keeps the lease until its TTL ends; without this the
      // new one would stand by meanwhile, adopting nothing and leaving the servers on Ctrl-C.
      if (rt.store) await releaseLeaseOfDeadLocalHolder(rt.store, lease, reconcilerLog);
      let standingBy = false;
      const registry = reportingLeases(rt.registryConnection.client, (held) => {
        if (!held && !standingBy) reconcilerLog.info({ lease, holder: options.holderId }, 'standby: another reconciler holds the lease; taking over if it stops renewing');
        standingBy = !held;
      });
      const reconciler = startReconciler({ ...options, registry, providers: rt.providers, logger: reconcilerLog });
      rt.reconciler = reconciler;
      stops.push(async () => {
        const why = io.signal.reason instanceof Error ? io.signal.reason.message : 'stopping';
        reconcilerLog.info({ why }, 'stopping: finishing in-flight work and releasing the lease');
        await reconciler.stop();
      });
      if (metricsAt !== undefined && options.metrics !== undefined) rt.metricsUrl = await serveMetrics(options.metrics, metricsAt, reconcilerLog, stops);
    }

    if (spec.gateway && rt.registryConnection) {
      const part = spec.gateway;
      const connection = spec.reconciler ? await connect('gateway') : rt.registryConnection;
      const { maxRequestBodyBytes, upstreamTimeoutMs, ...edgeLimits } = part.limits ?? {};
      const routeTable = new RouteTable({ ...(maxRequestBodyBytes !== undefined ? { maxRequestBodyBytes } : {}), ...(upstreamTimeoutMs !== undefined ? { upstreamTimeoutMs } : {}) });
      const following = followRegistry(connection.client, routeTable, { logger: logger.child({ part: 'gateway-routes' }) });
      stops.push(async () => {
        await following.stop();
        logger.info('gateway stopped');
      });
      rt.routeTable = routeTable;
      const gatewayLog = logger.child({ part: 'gateway' });
      // The listen address is known only once listening (port 0); the URL is read when first needed.
      let listening: string | undefined;
      const governance = createGovernance({
        registry: connection.client,
        routeTable,
        logger: gatewayLog,
        publicUrl: part.publicUrl ?? (() => listening ?? `http://${part.host}:${part.port}`),
        ...(part.oidc !== undefined ? { oidc: part.oidc } : {}),
        ...(part.metrics !== undefined ? { metrics: part.metrics } : {}),
      });
      stops.push(async () => {
        const lost = await governance.close();
        if (lost > 0) gatewayLog.error({ lost }, 'audit records were not persisted before the gateway stopped; they are in this log');
      });
      // Open the port once the table holds the first list and the policies are loaded (or not at all when stopped before).
      await Promise.race([Promise.all([following.synced(), governance.synced()]), aborted(io.signal)]);
      if (!io.signal.aborted) {
        if (part.sessionKeys === undefined) {
          gatewayLog.warn('no --session-key-file: session ids are sealed with a random key of this process, so its sessions end when it restarts and no other gateway replica can serve them; give every replica the same key file');
        }
        const gateway = await startGateway({
          routeTable,
          host: part.host,
          port: part.port,
          logger: gatewayLog,
          closeGraceMs: part.closeGraceMs,
          governance,
          ...(part.edge !== undefined ? { edge: part.edge } : {}),
          limits: edgeLimits,
          ...(part.metrics !== undefined ? { metrics: part.metrics } : {}),
          ...(part.trustedProxies !== undefined ? { trustedProxies: part.trustedProxies } : {}),
          ...(spec.resolveSecret !== undefined ? { resolveSecret: spec.resolveSecret } : {}),
          ...(part.sessionKeys !== undefined ? { sessionKeys: part.sessionKeys } : {}),
          remoteAddresses,
        }).catch((err: unknown) => {
          throw listenFailure(err, part.host, part.port, part.portFlag);
        });
        listening = gateway.url;
        if (part.metricsServer !== undefined && part.metrics !== undefined) rt.metricsUrl = await serveMetrics(part.metrics, part.metricsServer, gatewayLog, stops);
        stops.push(async () => {
          gatewayLog.info('stopping: no new connections; in-flight requests may finish');
          await gateway.close();
        });
        rt.gatewayUrl = gateway.url;
      }
    }
    return rt;
  } catch (err) {
    await stops.runAll();
    throw err;
  }
}

/**
 * Starts the parts, calls `onStarted` (print where they are), runs until the
 * command's abort signal (SIGINT / SIGTERM), then stops them in the safe order.
 * @returns the exit code: 0 once stopped
 * @throws CommandFailure when a part cannot start (see {@link startRuntime})
 */
export async function runRuntime(spec: RuntimeSpec, onStarted: (rt: Runtime) => void): Promise<number> {
  const rt = await startRuntime(spec);
  try {
    if (!spec.io.signal.aborted) {
      onStarted(rt);
      await aborted(spec.io.signal);
    }
  } finally {
    await rt.stop();
  }
  return ExitCode.Ok;
}
