#!/usr/bin/env node
/**
 * `berth` entry point: finds `commands/<name>.ts` and runs it. Wiring only.
 */
import { fileURLToPath } from 'node:url';
import { CommandFailure, ExitCode, UsageError, type CommandIo } from './command.ts';
import { listCommands, loadCommand } from './command-table.ts';
import { runForcedExitHooks } from './forced-exit.ts';
import { buildInfo, versionLine } from './version.ts';

async function printHelp(io: CommandIo): Promise<void> {
  const cmds = await listCommands();
  const width = Math.max(...cmds.map((c) => c.name.length), 4);
  io.stdout.write(
    'berth — GitOps control plane for MCP servers\n\nUsage: berth <command> [options]\n\nCommands:\n' +
      cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n`).join('') +
      '\nRun `berth help <command>` for a command\'s options.\n',
  );
}

/** Runs `berth` with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    const cmd = topic ? await loadCommand(topic) : undefined;
    if (cmd) io.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    else await printHelp(io);
    return topic && !cmd ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(versionLine(await buildInfo()));
    return ExitCode.Ok;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    io.stderr.write(`berth: unknown command "${name}". Run \`berth help\` to list commands.\n`);
    return ExitCode.Usage;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`berth ${cmd.name}: ${err.message}\n\n${cmd.usage}\n`);
      return ExitCode.Usage;
    }
    if (err instanceof CommandFailure) {
      io.stderr.write(`berth ${cmd.name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** The exit code of a run a signal ended: 128 + the signal's number, as shells report it (130 Ctrl-C, 143 SIGTERM). */
const SIGNAL_EXIT: Readonly<Partial<Record<NodeJS.Signals, number>>> = { SIGINT: ExitCode.Interrupted, SIGTERM: 143 };

/**
 * Keeps `stream` from ending the process when its reader goes away (`berth diff | head -1`,
 * `berth reconciler | tee log` and Ctrl-C): the command still finishes — stops its servers,
 * keeps its exit code — and only its further output is dropped. Other write errors are thrown.
 */
function survivePipeClose(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  const controller = new AbortController();
  let interrupts = 0;
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts += 1;
    stoppedBy ??= sig;
    if (interrupts > 1) {
      // Insisted: exit now, but kill what would otherwise outlive us (server process groups) first.
      runForcedExitHooks();
      process.exit(ExitCode.Interrupted);
    }
    controller.abort(new Error(`received ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  survivePipeClose(process.stdout);
  survivePipeClose(process.stderr);
  const io: CommandIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      // A run a signal stopped says so (a clean stop is still a stop), unless it already failed on its own.
      process.exitCode = stoppedBy !== undefined && code === ExitCode.Ok ? (SIGNAL_EXIT[stoppedBy] ?? ExitCode.Interrupted) : code;
    },
    (err: unknown) => {
      process.stderr.write(`berth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}
