/**
 * `berth logs <server> [-f] [--since D] [--tail N] [--timestamps]`: a server's own
 * output, read through its runtime's {@link ServerLogs}: the local runtime's
 * files in the state folder of the `berth up` (or `berth reconciler`) on this
 * machine (default), or CloudWatch Logs for a server on ECS (`--provider ecs`,
 * wired like `berth plan --provider ecs`). This command only picks the reader,
 * prints, and stops cleanly: on Ctrl-C / SIGTERM (130 / 143, as bin.ts reports
 * them) and when its output pipe closes (`berth logs -f x | head -3`).
 */
import { resolve } from 'node:path';
import { localServerLogs } from '../../providers/local/index.ts';
import { EcsConfigError } from '../../providers/ecs/index.ts';
import { ServerLogsError, type LogLine, type ServerLogs } from '../../providers/server-logs.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { durationFlag, parseFlags } from '../config.ts';
import { createLogger } from '../logger.ts';
import { DEFAULT_ECS_CONFIG_FILE, wireEcsRuntime } from '../ecs-wiring.ts';
import { ECS_ENVIRONMENT_FLAGS, ecsEnvironmentFromFlags } from '../ecs-environment-flags.ts';
import { findStateFolder } from '../state-folder.ts';

const usage = `Usage: berth logs <server> [-f] [--since 10m|TIME] [--tail N] [--timestamps]
                  [--state-dir DIR | --provider ecs --environment ENV [--config FILE]]

Prints a server's own output, oldest first, each line exactly as the server wrote it.
Local runtime (default): the files <state-dir>/logs/<server>.stdout.log and
.stderr.log (stdout to stdout, stderr to stderr), each line timed by when the
server wrote it. ECS (--provider ecs): the CloudWatch Logs group and stream prefix
the server's task definition names (awslogs driver), read with
logs:FilterLogEvents; the AWS identity needs that permission on the group.

Options:
  -f, --follow          keep printing new lines until Ctrl-C
  --since D             only lines written in the last D (10s, 5m, 1h) or since an
                        RFC 3339 time (2026-01-31T09:00:00Z)
  --tail N              only the last N lines (default: all)
  --timestamps          start each line with the time it was written (RFC 3339, UTC)
  --state-dir DIR       the state folder of the berth up that runs the server
                        (default: the nearest .berth/ with a client.json, upward)
  --provider P          local (default) or ecs
  --environment ENV     with --provider ecs: the environment (dev, staging, production)
  --config FILE         with --provider ecs: the environment config (default ${DEFAULT_ECS_CONFIG_FILE});
                        AWS credentials come from the default chain`;

function ecsHint(name: string): string {
  return `A server run on ECS logs to CloudWatch: \`berth logs ${name} --provider ecs --environment ENV\``;
}

/** `--since`: a duration back from now, or an RFC 3339 time. */
function sinceFlag(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new UsageError(`--since must be a duration (10s, 5m, 1h) or an RFC 3339 time such as 2026-01-31T09:00:00Z (got "${text}")`);
    return t;
  }
  return Date.now() - durationFlag(text, '--since', 0);
}

/**
 * Writes lines until they end, the signal aborts or the output closes; waits for
 * a full output to drain, so a slow reader slows the reading instead of filling memory.
 */
async function print(lines: AsyncIterable<LogLine>, io: CommandIo, timestamps: boolean, stop: AbortController): Promise<void> {
  const closed = (): void => stop.abort(new Error('output closed'));
  io.stdout.once('close', closed);
  io.stdout.once('error', closed);
  try {
    for await (const l of lines) {
      if (stop.signal.aborted) break;
      const out = l.stream === 'stderr' ? io.stderr : io.stdout;
      const text = timestamps ? `${new Date(l.time).toISOString()} ${l.line}\n` : `${l.line}\n`;
      if (!out.write(text)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            stop.signal.removeEventListener('abort', done);
            resolve();
          };
          out.once('drain', done);
          stop.signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  } finally {
    io.stdout.off('close', closed);
    io.stdout.off('error', closed);
  }
}

const command: Command = {
  name: 'logs',
  summary: "print a server's own output (local files, or CloudWatch on ECS; -f follows)",
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      help: { type: 'boolean', short: 'h' },
      follow: { type: 'boolean', short: 'f' },
      since: { type: 'string' },
      tail: { type: 'string' },
      timestamps: { type: 'boolean' },
      'state-dir': { type: 'string' },
      provider: { type: 'string' },
      ...ECS_ENVIRONMENT_FLAGS,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one server name: `berth logs <server>`');
    const name = positionals[0]!;
    let tail: number | undefined;
    if (values.tail !== undefined) {
      tail = Number(values.tail);
      if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail must be a whole number of lines, 0 or more (got "${values.tail}")`);
    }
    const since = values.since === undefined ? undefined : sinceFlag(values.since);
    const provider = values.provider ?? 'local';
    if (provider !== 'local' && provider !== 'ecs') throw new UsageError(`--provider must be local or ecs (got "${provider}")`);
    const ecs = ecsEnvironmentFromFlags(values, provider === 'ecs', '--provider');
    if (ecs !== undefined && values['state-dir'] !== undefined) throw new UsageError('--state-dir is the local runtime\'s; with --provider ecs the server\'s task definition says where its output is');

    let reader: ServerLogs;
    if (ecs !== undefined) {
      const { logger } = createLogger({ component: 'logs', level: 'warn', destination: { stream: io.stderr }, env: io.env });
      try {
        reader = (await wireEcsRuntime({ ...ecs, cwd: io.cwd, logger })).ecs;
      } catch (err) {
        if (!(err instanceof EcsConfigError)) throw err;
        io.stderr.write(`berth logs: ${err.message}\n`);
        return ExitCode.Failed;
      }
    } else {
      let stateDir: string;
      if (values['state-dir'] !== undefined) stateDir = resolve(io.cwd, values['state-dir']);
      else {
        const found = await findStateFolder(io.cwd);
        if (!found) {
          io.stderr.write(`berth logs: no .berth/ state folder with a client.json in ${io.cwd} or above; run it where \`berth up\` runs, or pass --state-dir DIR. ${ecsHint(name)}\n`);
          return ExitCode.Failed;
        }
        stateDir = found.dir;
      }
      reader = localServerLogs(stateDir);
    }

    // Ends on Ctrl-C / SIGTERM, and when nobody reads the output any more.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(io.signal.reason);
    io.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await print(reader.readLogs(name, { ...(since !== undefined ? { since } : {}), ...(tail !== undefined ? { tail } : {}), follow: values.follow === true, signal: stop.signal }), io, values.timestamps === true, stop);
    } catch (err) {
      // Interrupted while a read was in flight: a stop, reported as the signal's exit code.
      if (stop.signal.aborted) return ExitCode.Ok;
      if (!(err instanceof ServerLogsError)) throw err;
      const hint = provider === 'local' && err.code === 'not_found' ? `; the server has not been started by the local runtime of this state folder (\`berth get servers\` lists them). ${ecsHint(name)}` : '';
      io.stderr.write(`berth logs: ${err.message}${hint}\n`);
      return ExitCode.Failed;
    } finally {
      io.signal.removeEventListener('abort', onAbort);
    }
    // Stopped by a signal: bin.ts reports it as 130 (Ctrl-C) or 143 (SIGTERM).
    return ExitCode.Ok;
  },
};

export default command;
