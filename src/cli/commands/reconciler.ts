/**
 * `berth reconciler`: the reconciler as its own process (an ECS service in
 * production), following the registry over HTTP with an admin token, acting
 * through the ECS runtime of one environment or through the local + remote
 * runtimes. Several may run: one leads (a lease in the registry), the others
 * stand by and take over within the lease TTL.
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
 * /metrics (see src/reconciler/metrics.ts); without it no port is opened. Flag parsing only;
 * src/cli/runtime.ts does the wiring.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, DEFAULT_SERVER, durationFlag, environmentFlag, parseFlags, portFlag } from '../config.ts';
import { DEFAULT_ECS_CONFIG_FILE } from '../ecs-wiring.ts';
import { createLogger, logLevel } from '../logger.ts';
import { runRuntime, type RuntimesChoice } from '../runtime.ts';
import { SECRET_FLAGS, secretFlagsUsage, secretResolverFromFlags } from '../secret-flags.ts';
import { allowCommandsFrom, pathsToHide, SANDBOX_FLAGS, sandboxLine, sandboxModeFrom, sandboxUsage } from '../sandbox-flag.ts';
import { REMOTE_ADDRESS_FLAGS, REMOTE_ADDRESS_USAGE, allowRemoteFromFlags } from '../remote-address-flags.ts';

const usage = `Usage: berth reconciler [--provider local|ecs] [--environment ENV] [--config FILE]
                        [--server URL --token T] [--state-dir DIR] [--resync 30s] [--concurrency N]
                        [--lease-ttl 15s] [--metrics-port N [--metrics-host H]] [--log-level info]
                        [--sandbox auto|bwrap|off] [--allow-command GLOB]…

Runs the reconciler on its own, against a registry over HTTP (it needs an admin token:
\`berth token create --role admin\`). Run several for availability: one leads, the
others stand by and take over within the lease TTL. Logs go to stdout: JSON lines
(readable lines on a terminal).

Options:
  --provider P        local: MCP servers as processes on this machine (+ remote servers; default)
                      ecs: ECS Fargate + ALB + Route 53 of one environment (+ remote servers)
  --environment ENV   serve only servers of ENV (dev, staging, production); others are left
                      alone. Required with --provider ecs; all environments when omitted with local
  --config FILE       environment config for --provider ecs (default ${DEFAULT_ECS_CONFIG_FILE}; example:
                      infra/environments/production.yaml). AWS credentials come from the default
                      chain; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured
  --state-dir DIR     local runtime state and server logs (default ./.berth; --provider local)
${sandboxUsage(22, '\n                      (both: --provider local only)')}
  --resync D          re-check every server this often (default 30s)
  --concurrency N     servers reconciled at the same time (default 4)
  --lease-ttl D       leader lease TTL; a standby takes over within about this long (default 15s)
  --metrics-port N    serve Prometheus metrics at http://H:N/metrics (0 = any free port; the URL is
                      printed); no port is opened without it
  --metrics-host H    interface the metrics port listens on (default 127.0.0.1)
${secretFlagsUsage('none: file: references fail')}
${REMOTE_ADDRESS_USAGE}
  --log-level L       trace, debug, info, warn, error (default: BERTH_LOG_LEVEL, else info)
  -s, --server URL    registry address (default: BERTH_SERVER, config file, ${DEFAULT_SERVER})
  --token TOKEN       admin API token (default: BERTH_TOKEN, config file; on the command line it shows in \`ps\`)
  --token-file F      read the token from file F (- = standard input)
  -h, --help          show this help

Durations: 500ms, 2s, 1m. Stopping (SIGTERM) releases the lease; with --provider local it
also stops every server process it runs, since nothing else would supervise them.
Exit codes: 0 stopped, 1 bad environment config or metrics port unavailable, 2 bad usage,
3 registry unreachable or token refused.`;

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
      ...SECRET_FLAGS,
      ...SANDBOX_FLAGS,
      ...REMOTE_ADDRESS_FLAGS,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; berth reconciler takes only options`);
    const providerSet = values.provider ?? 'local';
    if (providerSet !== 'local' && providerSet !== 'ecs') throw new UsageError(`--provider must be local or ecs (got "${providerSet}")`);
    const environment = environmentFlag(values.environment);
    if (providerSet === 'ecs' && environment === undefined) throw new UsageError('--provider ecs needs --environment: a reconciler serves the AWS environment its config describes');
    if (providerSet === 'local' && values.config !== undefined) throw new UsageError('--config applies to --provider ecs only');
    if (providerSet === 'ecs' && values.sandbox !== undefined) throw new UsageError('--sandbox applies to --provider local only: ECS tasks are isolated by Fargate');
    if (providerSet === 'ecs' && values['allow-command'] !== undefined) throw new UsageError('--allow-command applies to --provider local only: ECS runs images');
    const sandbox = sandboxModeFrom(values);
    const allowCommands = allowCommandsFrom(values);
    const resyncMs = durationFlag(values.resync, '--resync', 30_000);
    const leaseTtlMs = durationFlag(values['lease-ttl'], '--lease-ttl', 15_000);
    const concurrency = Number(values.concurrency ?? '4');
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256 (got "${values.concurrency}")`);
    const metricsPort = values['metrics-port'] === undefined ? undefined : portFlag(values['metrics-port'], 0, '--metrics-port');
    if (metricsPort === undefined && values['metrics-host'] !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
    const level = logLevel(values['log-level'], io.env);
    const { logger, flush } = createLogger({ component: 'reconciler', level, destination: { stream: io.stdout }, env: io.env });
    const holderId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const leaseName = environment ? `berth-reconciler-${environment}` : 'berth-reconciler';
    const runtimes: RuntimesChoice =
      providerSet === 'ecs'
        ? { kind: 'ecs', configFile: values.config ?? DEFAULT_ECS_CONFIG_FILE, environment: environment! }
        : {
            kind: 'local',
            stateDir: resolve(io.cwd, values['state-dir'] ?? '.berth'),
            sandbox,
            ...(allowCommands ? { allowCommands } : {}),
            hiddenPaths: pathsToHide({ secretsDir: values['secrets-dir'] !== undefined ? resolve(io.cwd, values['secrets-dir']) : undefined }),
          };
    const reconciler = {
      runtimes,
      ...(environment !== undefined ? { environment } : {}),
      holderId,
      leaseName,
      leaseTtlMs,
      resyncMs,
      concurrency,
      metrics: new Registry(),
      // A port only when asked for: several reconcilers share one machine in tests.
      ...(metricsPort !== undefined ? { metricsServer: { host: values['metrics-host'] ?? '127.0.0.1', port: metricsPort } } : {}),
    };
    try {
      return await runRuntime({ logger, io, reconciler, remoteRegistry: values, resolveSecret: secretResolverFromFlags(values, io), allowRemote: allowRemoteFromFlags(values) }, (rt) => {
        const registry = rt.registryConnection?.url;
        logger.info({ registry, provider: providerSet, environment: environment ?? 'all', lease: leaseName, holder: holderId, leaseTtlMs, resyncMs }, 'reconciler started');
        io.stderr.write(`reconciler started (${providerSet} runtime, environment ${environment ?? 'all'}, registry ${registry})\n`);
        if (rt.metricsUrl !== undefined) io.stderr.write(`reconciler metrics at ${rt.metricsUrl}\n`);
        if (rt.sandbox) io.stderr.write(`sandbox: ${sandboxLine(rt.sandbox)}\n`);
      });
    } finally {
      flush();
    }
  },
};

export default command;
