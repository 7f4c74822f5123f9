/**
 * `berth registry`: serves the registry API over a store — one SQLite file by
 * default, MongoDB / Amazon DocumentDB with `--store mongodb://…` — until
 * interrupted. Flag parsing only; src/cli/runtime.ts does the wiring.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bootstrapTokensFromEnv } from '../bootstrap-tokens.ts';
import { CommandFailure, ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { durationFlag, parseFlags, portFlag, wholeNumberFlag } from '../config.ts';
import { DEFAULT_MAX_WATCHERS_PER_TOKEN } from '../../registry/api/watch-slots.ts';
import { REMOTE_ADDRESS_FLAGS, REMOTE_ADDRESS_USAGE, allowRemoteFromFlags } from '../remote-address-flags.ts';
import { OIDC_LOGIN_FLAGS, OIDC_LOGIN_USAGE, oidcLoginFromFlags } from '../oidc-login-flags.ts';
import { DASHBOARD_FLAGS, DASHBOARD_USAGE, dashboardFromFlags } from '../dashboard-flags.ts';
import { DEFAULT_APPROVAL_TTL_MS } from '../../registry/api/routes-approvals.ts';
import { createLogger, logLevel } from '../logger.ts';
import { runRuntime } from '../runtime.ts';
import { resolveStoreChoice, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-config.ts';
import { EcsConfigError } from '../../providers/ecs/index.ts';
import type { ServerLogSource } from '../../registry/server-log-source.ts';
import { DEFAULT_ECS_CONFIG_FILE, wireEcsRuntime } from '../ecs-wiring.ts';
import { ECS_ENVIRONMENT_FLAGS, ecsEnvironmentFromFlags } from '../ecs-environment-flags.ts';
import { DEFAULT_ECS_LOG_READ_TIMEOUT_MS, ecsServerLogSource } from '../server-log-wiring.ts';

const usage = `Usage: berth registry [--port 7070] [--host 127.0.0.1] [--state-dir ./.berth] [--store URL [--store-ca FILE] | --db PATH] [--approval-ttl 10m]
                      [--max-watchers-per-token 16] [--no-dashboard] [--ui-session-ttl 8h] [--log-level info]
                      [--oidc-issuer URL --oidc-client-id ID --oidc-role-map G=R[:T]…]
                      [--logs-provider ecs --environment ENV [--config FILE] [--logs-timeout 5s]]

Serves the registry API (${'/apis/berth.dev/v1alpha1/…'}, /openapi.json, /metrics) and the
web dashboard (/ui/) over
one SQLite file, or over MongoDB / Amazon DocumentDB with --store mongodb://…. On
first start it creates an admin token in <state-dir>/admin-token (readable only by
you); \`berth\` commands on this machine use it automatically. A deployment that
generated its own tokens sets BERTH_BOOTSTRAP_ADMIN_TOKEN (and BERTH_BOOTSTRAP_GATEWAY_TOKEN):
a first start stores those instead and writes no file.

Options:
  --port N          port to listen on (default 7070; 0 = any free port)
  --host ADDR       address to listen on (default 127.0.0.1)
  --state-dir DIR   where the bootstrap token (and by default the database) live (default ./.berth)
${STORE_FLAGS_USAGE}
  --db PATH         SQLite database file (default <state-dir>/registry.db; same as --store sqlite:PATH)
  --approval-ttl D  how long an approved tool call stays usable before it expires (default 10m)
  --max-watchers-per-token N
                    most watch streams one token may hold open on this registry (default 16;
                    one more gets 429)
${REMOTE_ADDRESS_USAGE}
${DASHBOARD_USAGE}
  --oidc-issuer URL       the identity provider people sign in to the dashboard with (with --oidc-client-id)
${OIDC_LOGIN_USAGE}
  --logs-provider ecs
                    where the dashboard's server logs come from: CloudWatch Logs, read as
                    \`berth logs --provider ecs\` does (the identity needs logs:FilterLogEvents
                    on the servers' log group, ecs:DescribeServices, ecs:DescribeTaskDefinition).
                    Default: none (the page says where to read them)
  --environment ENV with --logs-provider ecs: the environment (dev, staging, production)
  --config FILE     with --logs-provider ecs: the environment config (default ${DEFAULT_ECS_CONFIG_FILE})
  --logs-timeout D  with --logs-provider ecs: longest wait for CloudWatch on one log request; then
                    504 (default ${DEFAULT_ECS_LOG_READ_TIMEOUT_MS / 1000}s)
  --log-level L     trace, debug, info, warn, error (default: BERTH_LOG_LEVEL, else info)
  -h, --help        show this help

Exit codes: 0 stopped, 1 cannot listen, the identity provider cannot be used or the --config file is wrong, 2 bad usage, 3 store unreachable.`;

const command: Command = {
  name: 'registry',
  summary: 'serve the registry API (SQLite, or MongoDB / DocumentDB with --store)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-dir': { type: 'string' },
      ...STORE_FLAGS,
      db: { type: 'string' },
      'log-level': { type: 'string' },
      'approval-ttl': { type: 'string' },
      'max-watchers-per-token': { type: 'string' },
      ...REMOTE_ADDRESS_FLAGS,
      ...OIDC_LOGIN_FLAGS,
      ...DASHBOARD_FLAGS,
      'logs-provider': { type: 'string' },
      'logs-timeout': { type: 'string' },
      ...ECS_ENVIRONMENT_FLAGS,
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = portFlag(values.port, 7070, '--port');
    const host = values.host ?? '127.0.0.1';
    const level = logLevel(values['log-level'], io.env);
    const approvalTtlMs = durationFlag(values['approval-ttl'], '--approval-ttl', DEFAULT_APPROVAL_TTL_MS);
    const maxWatchersPerToken = wholeNumberFlag(values['max-watchers-per-token'], '--max-watchers-per-token', DEFAULT_MAX_WATCHERS_PER_TOKEN, 'watch streams');
    const stateDir = resolve(io.cwd, values['state-dir'] ?? '.berth');
    const dashboard = dashboardFromFlags(values);
    const oidc = await oidcLoginFromFlags(values, io, host);
    if (oidc === undefined && values['oidc-issuer'] !== undefined) throw new UsageError('--oidc-issuer needs --oidc-client-id and --oidc-role-map: the client registered for Berth at the identity provider, and who signs in as what');
    if (oidc !== undefined && dashboard === undefined) throw new UsageError('--oidc-client-id signs people in to the dashboard, which --no-dashboard turns off: drop one of them');
    const logsProvider = values['logs-provider'];
    if (logsProvider !== undefined && logsProvider !== 'ecs') throw new UsageError(`--logs-provider must be ecs (got "${logsProvider}"); without it the registry reads no server logs`);
    const ecs = ecsEnvironmentFromFlags(values, logsProvider === 'ecs', '--logs-provider');
    if (ecs === undefined && values['logs-timeout'] !== undefined) throw new UsageError('--logs-timeout bounds the reads of --logs-provider ecs: add it, or drop --logs-timeout');
    const logsTimeoutMs = durationFlag(values['logs-timeout'], '--logs-timeout', DEFAULT_ECS_LOG_READ_TIMEOUT_MS);
    const bootstrapTokens = bootstrapTokensFromEnv(io.env);
    const store = await resolveStoreChoice(values, io, join(stateDir, 'registry.db'));
    await mkdir(stateDir, { recursive: true, mode: 0o700 });

    const { logger, flush } = createLogger({ component: 'registry', level, destination: { stream: io.stdout }, env: io.env });
    try {
      let logSource: ServerLogSource | undefined;
      if (ecs !== undefined) {
        // Reads only the config file: a registry without AWS credentials still starts, and its log page says why it cannot read.
        const wired = await wireEcsRuntime({ ...ecs, cwd: io.cwd, logger }).catch((err: unknown) => {
          throw err instanceof EcsConfigError ? new CommandFailure(ExitCode.Failed, `--logs-provider ecs: ${err.message}`, { cause: err }) : err;
        });
        logSource = ecsServerLogSource({ logs: wired.ecs, environment: ecs.environment, timeoutMs: logsTimeoutMs });
      }
      return await runRuntime({ logger, io, registry: { store, host, port, stateDir, portFlag: '--port', approvalTtlMs, maxWatchersPerToken, ...(dashboard ? { dashboard: { ...dashboard, ...(oidc ? { oidc } : {}) } } : {}), ...(bootstrapTokens ? { bootstrapTokens } : {}), ...(logSource ? { logSource } : {}) }, allowRemote: allowRemoteFromFlags(values) }, (rt) => {
        const where = store.location.adapter === 'sqlite' ? `database ${store.location.path}` : `store ${store.location.display}`;
        io.stderr.write(`registry listening on ${rt.registryUrl} (${where})\n`);
        if (dashboard) io.stderr.write(`dashboard at ${rt.registryUrl}/ui/\n`);
        if (logSource) io.stderr.write(`server logs from ${logSource.description}\n`);
      });
    } finally {
      flush();
    }
  },
};

export default command;
