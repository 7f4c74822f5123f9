/**
 * `berth plan`: prints what the reconciler would do now for each server, and why,
 * without doing any of it. Reads the registry and observes the runtime; writes
 * nothing and starts nothing.
 */
import { resolve } from 'node:path';
import { createLocalProvider } from '../../providers/local/index.ts';
import type { RuntimeProvider } from '../../providers/provider.ts';
import { createRemoteProvider } from '../../providers/remote/index.ts';
import { planAll } from '../../reconciler/plan-all.ts';
import { describeError } from '../../kit/errors.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, connectRegistry, DEFAULT_SERVER, environmentFlag, parseFlags, reportClientError } from '../config.ts';
import { createLogger } from '../logger.ts';
import { DEFAULT_ECS_CONFIG_FILE, wireEcsRuntime } from '../ecs-wiring.ts';
import { allowCommandsFrom, SANDBOX_FLAGS, sandboxModeFrom, sandboxUsage } from '../sandbox-flag.ts';

const usage = `Usage: berth plan [--provider local|ecs] [--environment ENV] [--config FILE] [-o text|json] [--state-dir DIR] [--detailed-exitcode]
                  [--sandbox auto|bwrap|off] [--allow-command GLOB]…

Prints, for every MCPServer, the reconciler's decision (deploy, retire, skip) with
its reason and the runtime actions it would take, like a Terraform plan. Servers a
runtime still holds but the registry no longer has are listed as orphans. A server
that can't be planned gets its own error line and the others are still planned
(exit 1); a server blocked by a Conflict is reported as blocked, never as "no changes".
Nothing is written and nothing is started.

Options:
  --provider P          runtime set to plan for: local (local processes + remote servers; default) or ecs
  --environment ENV     plan as a reconciler serving only ENV (dev, staging, production); required with --provider ecs
  --config FILE         environment config for --provider ecs (default berth.config.yaml): cluster, subnets,
                        listeners, hosted zone… AWS credentials come from the default chain; only reads are made
  -o, --output F        text (default) or json
  --state-dir DIR       local runtime state folder (default ./.berth)
${sandboxUsage(24, '\n                        (both: as the reconciler runs with them, so the plan matches what it would do)')}
  --detailed-exitcode   as terraform: exit 0 when nothing would change, 2 when some server would change,
                        1 when some server can't be planned or is blocked (Conflict, failed permanently, retirement held)
  -s, --server URL      registry address (default: BERTH_SERVER, config file, ${DEFAULT_SERVER})
  --token TOKEN         API token (default: the nearest .berth/ state folder's, BERTH_TOKEN, config file)
  --token-file F        read the token from file F (- = standard input)
  -h, --help            show this help`;

/** `--detailed-exitcode`'s "some server would change", as terraform plan's. */
const CHANGES_PENDING = 2;

const command: Command = {
  name: 'plan',
  summary: 'show what the reconciler would do now for each server, with reasons',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      server: { type: 'string', short: 's' },
      provider: { type: 'string' },
      environment: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'state-dir': { type: 'string' },
      config: { type: 'string' },
      'detailed-exitcode': { type: 'boolean' },
      ...SANDBOX_FLAGS,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; berth plan takes only options`);
    const output = values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`-o must be text or json (got "${output}")`);
    const environment = environmentFlag(values.environment);
    const providerSet = values.provider ?? 'local';
    if (providerSet !== 'local' && providerSet !== 'ecs') throw new UsageError(`--provider must be local or ecs (got "${providerSet}")`);
    if (providerSet === 'ecs' && environment === undefined) throw new UsageError('--provider ecs needs --environment: a config file describes one AWS environment at a time');

    const allowCommands = allowCommandsFrom(values);
    // Providers log only problems, to stderr, so stdout stays the plan.
    const { logger } = createLogger({ component: 'plan', level: 'warn', destination: { stream: io.stderr }, env: io.env });
    let providers: RuntimeProvider[] = [];
    try {
      providers =
        providerSet === 'ecs'
          ? (await wireEcsRuntime({ configFile: values.config ?? DEFAULT_ECS_CONFIG_FILE, environment: environment!, cwd: io.cwd, logger })).providers
          : [
              createLocalProvider({
                logger,
                stateDir: resolve(io.cwd, values['state-dir'] ?? '.berth'),
                nodePath: process.execPath,
                parentEnv: io.env,
                defaultCwd: io.cwd,
                // Part of how a server runs: a different choice than the reconciler's would plan restarts it will not make.
                sandbox: sandboxModeFrom(values),
                ...(allowCommands ? { allowCommands } : {}),
              }),
              createRemoteProvider({ logger }),
            ];
      const registry = await connectRegistry(values, io);
      const report = await planAll(registry, providers, environment, io.signal);
      io.stdout.write(output === 'json' ? `${JSON.stringify(report.json(), null, 2)}\n` : report.text());
      // Every server is printed first; then the exit code says how it went.
      if (report.errors > 0 || (values['detailed-exitcode'] && report.blocked > 0)) return ExitCode.Failed;
      return values['detailed-exitcode'] && report.changes > 0 ? CHANGES_PENDING : ExitCode.Ok;
    } catch (err) {
      try {
        return reportClientError(err, io, 'plan');
      } catch {
        // Not a registry error: a runtime could not be observed. Say which and why.
        io.stderr.write(`berth plan: ${describeError(err)}\n`);
        return ExitCode.Failed;
      }
    } finally {
      await Promise.all(providers.map((p) => p.close()));
    }
  },
};

export default command;
