/**
 * What every `berth` subcommand is: a module in `commands/<name>.ts` whose default
 * export is a {@link Command}. `bin.ts` finds it by name, so adding a command
 * means adding a file.
 */
import type { Readable, Writable } from 'node:stream';

/** Exit codes, the same for every command. */
export const ExitCode = {
  /** Done; for validate/diff: valid / no differences. */
  Ok: 0,
  /** The command ran and found a problem: invalid manifests, differences, failed apply. */
  Failed: 1,
  /** Bad usage: unknown flag, missing argument. */
  Usage: 2,
  /** The registry (or the registry's store) could not be reached or refused the credentials. */
  Unreachable: 3,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130,
} as const;

/** The outside world a command may touch; tests pass their own. */
export interface CommandIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Environment variables (only src/cli reads them, and only through this). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory relative paths resolve against. */
  cwd: string;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
}

/** One `berth` subcommand. */
export interface Command {
  name: string;
  /** One line for `berth help`. */
  summary: string;
  /** Full usage text printed by `berth help <name>` and on usage errors. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to an {@link ExitCode}. */
  run(args: string[], io: CommandIo): Promise<number>;
}

/** Thrown for bad usage; bin.ts prints the message and the command's usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Thrown when a command cannot go on for a reason the user can act on; bin.ts
 * prints `berth <command>: <message>` (no usage) and exits with `exitCode`.
 * @example throw new CommandFailure(ExitCode.Unreachable, 'cannot reach the registry store …');
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  readonly exitCode: number;
  constructor(exitCode: number, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.exitCode = exitCode;
  }
}
