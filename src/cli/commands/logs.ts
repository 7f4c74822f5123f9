/**
 * `berth logs <server> [-f] [--since D] [--tail N]`: a server's own output, from
 * the local runtime's files in the state folder of the `berth up` (or `berth
 * reconciler`) on this machine. The reading is the local provider's
 * (server-logs.ts); this command only finds the folder and prints. Servers on ECS
 * log to CloudWatch (the task definition's awslogs configuration), which this
 * command does not read: its error says where to look instead.
 */
import { resolve } from 'node:path';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { durationFlag, parseFlags } from '../config.ts';
import { findStateFolder } from '../state-folder.ts';
import { followServerLogs, NoServerLogsError, readServerLogs, type ServerLogLine } from '../../providers/local/index.ts';

const usage = `Usage: berth logs <server> [-f] [--since 10m] [--tail N] [--state-dir DIR]

Prints a server's own output (stdout to stdout, stderr to stderr) from the local
runtime: the files <state-dir>/logs/<server>.stdout.log and .stderr.log.
Lines carry no timestamps (the server writes the files itself), so stdout's
lines come before stderr's and --since skips a stream whose file was last
written before then. Servers on ECS log to CloudWatch instead: the log group
set as logGroup in the ECS environment config, stream prefix <server>/.

Options:
  -f, --follow         keep printing new lines until Ctrl-C
  --since D            only streams written in the last D (10s, 5m, 1h)
  --tail N             the last N lines of each stream (default: all)
  --state-dir DIR      the state folder of the berth up that runs the server
                       (default: the nearest .berth/ with a client.json, upward)`;

function ecsHint(name: string): string {
  return `\`berth logs\` reads the local runtime's output files; a server run on ECS logs to CloudWatch, to the log group set as logGroup in the ECS environment config (streams ${name}/…), e.g. \`aws logs tail <logGroup> --log-stream-name-prefix ${name}/\``;
}

const command: Command = {
  name: 'logs',
  summary: "print a local server's own output (-f follows)",
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      help: { type: 'boolean', short: 'h' },
      follow: { type: 'boolean', short: 'f' },
      since: { type: 'string' },
      tail: { type: 'string' },
      'state-dir': { type: 'string' },
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
    const sinceMs = values.since === undefined ? undefined : Date.now() - durationFlag(values.since, '--since', 0);
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
    const print = (l: ServerLogLine): void => {
      (l.stream === 'stdout' ? io.stdout : io.stderr).write(`${l.line}\n`);
    };
    let offsets: Record<'stdout' | 'stderr', number>;
    try {
      const read = await readServerLogs({ stateDir, name, ...(tail !== undefined ? { tail } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) });
      read.lines.forEach(print);
      offsets = read.offsets;
    } catch (err) {
      if (!(err instanceof NoServerLogsError)) throw err;
      io.stderr.write(`berth logs: ${err.message}; the server has not been started by the local runtime of this state folder (\`berth get servers\` lists them). ${ecsHint(name)}\n`);
      return ExitCode.Failed;
    }
    if (!values.follow) return ExitCode.Ok;
    await followServerLogs({ stateDir, name, offsets, onLine: print, signal: io.signal });
    return ExitCode.Interrupted;
  },
};

export default command;
