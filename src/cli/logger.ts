/**
 * The one logger factory of the berth services (`up`, `registry`, `reconciler`,
 * `gateway`): one redaction list, one error serializer, one format rule.
 *
 * - Redaction: credentials never reach a log line, even when a request, a header
 *   set or an options object is logged by mistake (REDACT_PATHS in src/kit/log-options.ts,
 *   shared with the stdio bridge process).
 * - Errors: log them as `{ err }`; the serializer keeps the type, the stack, the
 *   cause chain and an AggregateError's errors (pino's `errWithCause`).
 * - Format: JSON lines for machines (a pipe, a file, a log collector); readable,
 *   coloured lines (pino-pretty) when writing to a terminal. `BERTH_LOG_FORMAT=json`
 *   or `pretty` overrides the guess.
 *
 * @example
 * const { logger, flush } = createLogger({ component: 'registry', level: logLevel(values['log-level'], io.env), destination: { stream: io.stdout }, env: io.env });
 * logger.error({ err }, 'listing servers failed');
 */
import type { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger } from 'pino';
import { logOptions } from '../kit/log-options.ts';
import { prettyFactory } from 'pino-pretty';
import { UsageError, type CommandIo } from './command.ts';

/** Levels `--log-level` accepts. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * The log level from `--log-level`, else `BERTH_LOG_LEVEL`, else `info`.
 * @throws UsageError for a level pino does not know
 */
export function logLevel(flag: string | undefined, env: CommandIo['env']): string {
  const level = flag ?? env.BERTH_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be trace, debug, info, warn or error (got "${level}")`);
  return level;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Names the process in every line: `up`, `registry`, `reconciler`, `gateway`. */
  component: string;
  level: string;
  /** The command's stdout (JSON, or readable on a terminal), or a file appended to (always JSON). */
  destination: { stream: Writable } | { file: string };
  /** Where `BERTH_LOG_FORMAT` is read. */
  env: CommandIo['env'];
}

/** A logger and how to flush what it buffered (call before exiting). */
export interface CliLogger {
  logger: Logger;
  flush(): void;
}

/** A destination that writes each JSON line as a readable line to `stream`. */
function prettyDestination(stream: Writable, colorize: boolean): DestinationStream {
  const pretty = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return { write: (line: string) => void stream.write(pretty(line)) };
}

/** Builds the process logger (see the module comment). */
export function createLogger(opts: LoggerOptions): CliLogger {
  const options = logOptions(opts.component, opts.level);
  if ('file' in opts.destination) {
    const file = pino.destination({ dest: opts.destination.file, append: true, sync: false, mkdir: true });
    const flush = (): void => {
      try {
        file.flushSync();
      } catch (err) {
        // A start that fails within milliseconds (an identity provider refusing the connection) comes before the file is open.
        if (!/not ready/.test((err as Error).message)) throw err;
      }
    };
    return { logger: pino(options, file), flush };
  }
  const { stream } = opts.destination;
  const tty = (stream as Partial<NodeJS.WriteStream>).isTTY === true;
  const format = opts.env.BERTH_LOG_FORMAT ?? (tty ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new UsageError(`BERTH_LOG_FORMAT must be json or pretty (got "${format}")`);
  if (format === 'json' && stream === process.stdout) {
    // Buffered, written in the background: lines logged in one turn of the event loop
    // (a busy gateway's audit lines) leave in one write instead of one each.
    const out = pino.destination({ dest: 1, sync: false });
    // A reader that went away (`| tee` and Ctrl-C) must not crash the process before it stops its servers: drop the lines.
    let closed = false;
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed = true;
    });
    const flush = (): void => {
      if (closed) return;
      try {
        out.flushSync();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      }
    };
    return { logger: pino(options, out), flush };
  }
  const destination = format === 'pretty' ? prettyDestination(stream, tty) : stream;
  return { logger: pino(options, destination), flush: () => undefined };
}
