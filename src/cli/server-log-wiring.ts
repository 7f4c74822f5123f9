/**
 * The registry's ServerLogSource, wired to a runtime's reader with the same
 * reader as `berth logs`, so the dashboard's lines and the command's agree:
 * - `berth up` (registry and local runtime in one process, one state folder):
 *   the local runtime's output files (src/providers/local/server-logs.ts);
 * - `berth registry --logs-provider ecs`: CloudWatch Logs through the ECS
 *   provider's readLogs, tail only, bounded in time so a slow AWS never holds a
 *   dashboard request.
 * Wiring only: runtime errors become the port's errors, worded by the reader.
 */
import { localServerLogs } from '../providers/local/index.ts';
import { ServerLogsError, type ServerLogs } from '../providers/server-logs.ts';
import type { ServerLogEntry } from '../client/wire.ts';
import { formatDuration } from '../kit/duration.ts';
import { ServerLogsReadError, ServerLogsUnavailableError, type ServerLogSource } from '../registry/server-log-source.ts';

/** Options of {@link serverLogSource}. */
interface ReaderSourceOptions {
  /** The runtime's reader, the one `berth logs` uses. */
  logs: ServerLogs;
  description: string;
  /** Give up after `ms`, answering 504 with `message(server)`; no limit when absent. */
  timeout?: { ms: number; message: (server: string) => string };
}

/**
 * A log source over a runtime's reader: one tail (no follow), each line in RFC 3339
 * as on the wire. Nothing to read (no output, no service, no awslogs driver, no log
 * group) is {@link ServerLogsUnavailableError}; a refusal (AccessDenied) or failure is
 * {@link ServerLogsReadError} 502; past the timeout, 504. Messages are the reader's
 * (they name the file, the group, the IAM action and its resource).
 */
function serverLogSource(opts: ReaderSourceOptions): ServerLogSource {
  return {
    description: opts.description,
    async recent(server, { tail }) {
      const stop = new AbortController();
      const read = (async (): Promise<ServerLogEntry[]> => {
        const lines: ServerLogEntry[] = [];
        for await (const l of opts.logs.readLogs(server, { tail, signal: stop.signal })) lines.push({ time: new Date(l.time).toISOString(), stream: l.stream, line: l.line });
        return lines;
      })();
      let timer: NodeJS.Timeout | undefined;
      // The reader ends quietly when its signal aborts; the race makes a timeout an answer, not a short list.
      const { timeout } = opts;
      const tooSlow = timeout
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              stop.abort();
              reject(new ServerLogsReadError(504, timeout.message(server)));
            }, timeout.ms);
          })
        : undefined;
      try {
        return await (tooSlow ? Promise.race([read, tooSlow]) : read);
      } catch (err) {
        if (!(err instanceof ServerLogsError)) throw err;
        if (err.code === 'access_denied' || err.code === 'read_failed') throw new ServerLogsReadError(502, err.message, { cause: err });
        throw new ServerLogsUnavailableError(err.message, { cause: err });
      } finally {
        clearTimeout(timer);
        stop.abort();
      }
    },
  };
}

/** A log source reading `<stateDir>/logs/<server>.stdout.log` and `.stderr.log`, each line with the time the line-times index gives it. */
export function localServerLogSource(stateDir: string): ServerLogSource {
  return serverLogSource({ logs: localServerLogs(stateDir), description: 'the local runtime\'s output files (berth logs reads the same)' });
}

/** How long one dashboard read may wait on CloudWatch before it answers 504. */
export const DEFAULT_ECS_LOG_READ_TIMEOUT_MS = 5000;

/** Options of {@link ecsServerLogSource}. */
export interface EcsServerLogSourceOptions {
  /** The ECS provider (its readLogs reads CloudWatch Logs as `berth logs --provider ecs`). */
  logs: ServerLogs;
  /** The environment it serves, for the source's description. */
  environment: string;
  /** Default {@link DEFAULT_ECS_LOG_READ_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** A log source over the ECS provider's reader; each read gives up after `timeoutMs`, aborting its AWS calls. */
export function ecsServerLogSource(opts: EcsServerLogSourceOptions): ServerLogSource {
  const ms = opts.timeoutMs ?? DEFAULT_ECS_LOG_READ_TIMEOUT_MS;
  return serverLogSource({
    logs: opts.logs,
    description: `CloudWatch Logs of ECS environment ${opts.environment} (berth logs --provider ecs reads the same)`,
    timeout: {
      ms,
      message: (server) => `CloudWatch Logs did not answer within ${formatDuration(ms)} (--logs-timeout); try again, or read them with \`berth logs ${server} --provider ecs --environment ${opts.environment}\``,
    },
  });
}
