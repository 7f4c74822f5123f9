/**
 * `berth reconciler`: the reconciler as its own process (an ECS service in
 * production), following the registry over HTTP with an admin token, acting
 * through the ECS runtime of one environment or through the local + remote
 * runtimes. Several may run: one leads (a lease in the registry), the others
 * stand by and take over within the lease TTL. Wiring only.
 *
 * Stopping (SIGTERM / SIGINT): in-flight passes end, the lease is released so a
 * standby leads at once, then the providers close. With `--provider local` that
 * stops every MCP server process this reconciler started or adopted: nothing
 * else supervises them (no restart on crash, no health checks), so leaving them
 * behind would leave unmanaged processes. A standby on the same state folder
 * adopts nothing from a leader stopped this way — it starts them again. With
 * `--provider ecs` nothing in AWS changes on stop.
 *
 * With `--metrics-port` it serves its reconcile and work-queue metrics at
 * /metrics (see src/reconciler/metrics.ts); without it no port is opened.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Environment } from '../../manifest/types.ts';
import { createLocalProvider } from '../../providers/local/index.ts';
import type { RuntimeProvider } from '../../providers/provider.ts';
import { createRemoteProvider } from '../../providers/remote/index.ts';
import { startReconciler, type RunningReconciler } from '../../reconciler/index.ts';
import { ForbiddenError, RegistryUnreachableError, UnauthorizedError } from '../../client/errors.ts';
import type { HttpRegistryClient } from '../../client/http-client.ts';
import type { RegistryClient } from '../../client/registry-client.ts';
import { EcsConfigError } from '../../providers/ecs/index.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, connectRegistry, DEFAULT_SERVER, durationFlag, parseFlags, portFlag } from '../config.ts';
import { DEFAULT_ECS_CONFIG_FILE, wireEcsRuntime } from '../ecs-wiring.ts';
import { onForcedExit } from '../forced-exit.ts';
import { MetricsServerError, startMetricsServer, type RunningMetricsServer } from '../metrics-server.ts';

const usage = `Usage: berth reconciler [--provider local|ecs] [--environment ENV] [--config FILE]
                        [--server URL --token T] [--state-dir DIR] [--resync 30s] [--concurrency N]
                        [--lease-ttl 15s] [--metrics-port N [--metrics-host H]] [--log-level info]

Runs the reconciler on its own, against a registry over HTTP (it needs an admin token:
\`berth token create --role admin\`). Run several for availability: one leads, the
others stand by and take over within the lease TTL. Logs are JSON lines on stdout.

Options:
  --provider P        local: MCP servers as processes on this machine (+ remote servers; default)
                      ecs: ECS Fargate + ALB + Route 53 of one environment (+ remote servers)
  --environment ENV   serve only servers of ENV (dev, staging, production); others are left
                      alone. Required with --provider ecs; all environments when omitted with local
  --config FILE       environment config for --provider ecs (default ${DEFAULT_ECS_CONFIG_FILE}; example:
                      infra/environments/production.yaml). AWS credentials come from the default
                      chain; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured
  --state-dir DIR     local runtime state and server logs (default ./.berth; --provider local)
  --resync D          re-check every server this often (default 30s)
  --concurrency N     servers reconciled at the same time (default 4)
  --lease-ttl D       leader lease TTL; a standby takes over within about this long (default 15s)
  --metrics-port N    serve Prometheus metrics at http://H:N/metrics (0 = any free port; the URL is
                      printed); no port is opened without it
  --metrics-host H    interface the metrics port listens on (default 127.0.0.1)
  --log-level L       trace, debug, info, warn, error (default info)
  -s, --server URL    registry address (default: BERTH_SERVER, config file, ${DEFAULT_SERVER})
  --token TOKEN       admin API token (default: BERTH_TOKEN, config file, ./.berth/admin-token for a local registry)
  -h, --help          show this help

Durations: 500ms, 2s, 1m. Stopping (SIGTERM) releases the lease; with --provider local it
also stops every server process it runs, since nothing else would supervise them.
Exit codes: 0 stopped, 1 bad environment config or metrics port unavailable, 2 bad usage,
3 registry unreachable or token refused.`;

const ENVIRONMENTS: readonly Environment[] = ['dev', 'staging', 'production'];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];


/**
 * The registry client, reporting every lease answer to `onLease` so the process
 * can say when it stands by (the elector only logs becoming and losing leader).
 * A Proxy keeps the client's private fields working (methods stay bound to it).
 */
function reportingLeases(client: HttpRegistryClient, onLease: (held: boolean) => void): RegistryClient {
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

/**
 * Checks, before anything starts, that the registry answers and the token may do
 * what a reconciler does (read servers, hold the lease). Releasing a lease this
 * fresh holder cannot hold changes nothing, but needs the admin role.
 * Returns an exit code when it can't go on.
 */
async function checkRegistry(client: HttpRegistryClient, leaseName: string, holderId: string, io: CommandIo): Promise<number | undefined> {
  try {
    await client.list('MCPServer', { limit: 1 });
    await client.releaseLease(leaseName, holderId);
    return undefined;
  } catch (err) {
    if (err instanceof RegistryUnreachableError) {
      io.stderr.write(`berth reconciler: ${err.message}\n`);
      return ExitCode.Unreachable;
    }
    if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
      const why = err instanceof UnauthorizedError ? 'the registry refused the token' : 'the token is not an admin token';
      io.stderr.write(`berth reconciler: ${why} (${err.message}); the reconciler writes status, audit records and a lease: pass --token with an admin token (berth token create --role admin)\n`);
      return ExitCode.Unreachable;
    }
    throw err;
  }
}

const command: Command = {
  name: 'reconciler',
  summary: 'run the reconciler on its own against a registry (local or ECS runtime)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      server: { type: 'string', short: 's' },
      provider: { type: 'string' },
      environment: { type: 'string' },
      config: { type: 'string' },
      'state-dir': { type: 'string' },
      resync: { type: 'string' },
      concurrency: { type: 'string' },
      'lease-ttl': { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      'log-level': { type: 'string' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; berth reconciler takes only options`);
    const providerSet = values.provider ?? 'local';
    if (providerSet !== 'local' && providerSet !== 'ecs') throw new UsageError(`--provider must be local or ecs (got "${providerSet}")`);
    const environment = values.environment as Environment | undefined;
    if (environment !== undefined && !ENVIRONMENTS.includes(environment)) throw new UsageError(`--environment must be one of ${ENVIRONMENTS.join(', ')} (got "${environment}")`);
    if (providerSet === 'ecs' && environment === undefined) throw new UsageError('--provider ecs needs --environment: a reconciler serves the AWS environment its config describes');
    if (providerSet === 'local' && values.config !== undefined) throw new UsageError('--config applies to --provider ecs only');
    const resyncMs = durationFlag(values.resync, '--resync', 30_000);
    const leaseTtlMs = durationFlag(values['lease-ttl'], '--lease-ttl', 15_000);
    const concurrency = Number(values.concurrency ?? '4');
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256 (got "${values.concurrency}")`);
    const metricsPort = portFlag(values['metrics-port'], '--metrics-port');
    if (metricsPort === undefined && values['metrics-host'] !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
    const level = values['log-level'] ?? 'info';
    if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be trace, debug, info, warn or error (got "${level}")`);

    const logger = pino({ level, base: { component: 'reconciler', pid: process.pid }, redact: { paths: ['*.token', '*.authorization'], censor: '[redacted]' } }, io.stdout);
    const holderId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const leaseName = environment ? `berth-reconciler-${environment}` : 'berth-reconciler';

    // Runtime first: a bad config file is the operator's to fix and needs no registry to report.
    let providers: RuntimeProvider[];
    let reconciler: RunningReconciler | undefined;
    if (providerSet === 'ecs') {
      try {
        providers = (await wireEcsRuntime({ configFile: values.config ?? DEFAULT_ECS_CONFIG_FILE, environment: environment!, cwd: io.cwd, logger })).providers;
      } catch (err) {
        if (!(err instanceof EcsConfigError)) throw err;
        io.stderr.write(`berth reconciler: ${err.message}\n`);
        return ExitCode.Failed;
      }
    } else {
      const local = createLocalProvider({
        logger,
        stateDir: resolve(io.cwd, values['state-dir'] ?? '.berth'),
        nodePath: process.execPath,
        parentEnv: io.env,
        defaultCwd: io.cwd,
        // A crash or health change is noticed by the provider: requeue at once instead of at the next resync.
        onChange: (name) => reconciler?.enqueue(name),
      });
      // A second SIGINT/SIGTERM exits at once: kill the server process groups rather than leave them behind.
      onForcedExit(() => local.killNow());
      providers = [local, createRemoteProvider({ logger: logger.child({ provider: 'remote' }) })];
    }
    const closeProviders = async (): Promise<void> => {
      for (const p of providers) await p.close().catch((err: unknown) => logger.error({ provider: p.name, err: err instanceof Error ? err.message : String(err) }, 'closing the runtime failed'));
    };

    let client: HttpRegistryClient;
    try {
      client = await connectRegistry(values, io);
      const failed = await checkRegistry(client, leaseName, holderId, io);
      if (failed !== undefined) {
        await closeProviders();
        return failed;
      }
    } catch (err) {
      await closeProviders();
      throw err;
    }

    let standingBy = false;
    const registry = reportingLeases(client, (held) => {
      if (!held && !standingBy) logger.info({ lease: leaseName, holder: holderId }, 'standby: another reconciler holds the lease; taking over if it stops renewing');
      standingBy = !held;
    });
    // Metrics: a port only when asked for (several reconcilers share one machine in tests).
    const metrics = new Registry();
    let metricsServer: RunningMetricsServer | undefined;
    if (metricsPort !== undefined) {
      try {
        metricsServer = await startMetricsServer({ registry: metrics, host: values['metrics-host'] ?? '127.0.0.1', port: metricsPort, onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'collecting metrics failed') });
      } catch (err) {
        if (!(err instanceof MetricsServerError)) throw err;
        io.stderr.write(`berth reconciler: ${err.message}\n`);
        await closeProviders();
        return ExitCode.Failed;
      }
      logger.info({ url: metricsServer.url }, 'metrics listening');
      io.stderr.write(`reconciler metrics at ${metricsServer.url}\n`);
    }
    reconciler = startReconciler({
      registry,
      providers,
      logger,
      metrics,
      ...(environment !== undefined ? { environment } : {}),
      holderId,
      leaseName,
      leaseTtlMs,
      resyncMs,
      concurrency,
    });
    logger.info({ registry: client.baseUrl, provider: providerSet, environment: environment ?? 'all', lease: leaseName, holder: holderId, leaseTtlMs, resyncMs }, 'reconciler started');
    io.stderr.write(`reconciler started (${providerSet} runtime, environment ${environment ?? 'all'}, registry ${client.baseUrl})\n`);

    if (!io.signal.aborted) await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    logger.info({ why: io.signal.reason instanceof Error ? io.signal.reason.message : 'stopping' }, 'stopping: finishing in-flight work and releasing the lease');
    await reconciler.stop();
    await metricsServer?.close();
    await closeProviders();
    logger.info('reconciler stopped');
    return ExitCode.Ok;
  },
};

export default command;
