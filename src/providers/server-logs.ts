/**
 * Reading a server's own output, whatever runs it: the interface `berth logs`
 * sees, implemented by the local runtime (its output files in the state folder)
 * and by ECS (CloudWatch Logs, where the task definition's awslogs driver sends
 * it). The CLI picks the implementation the way it picks a provider and never
 * talks to a runtime or AWS itself.
 *
 * Contract of {@link ServerLogs.readLogs}:
 * - yields lines oldest first, each with the time it was written (epoch ms) as
 *   the runtime knows it;
 * - `since`: only lines written at or after it; `tail`: only the last N of those
 *   (over all of the server's streams, as `kubectl logs --tail`);
 * - `follow`: after the lines there now, keeps yielding new ones until `signal`
 *   aborts, then ends normally (no error); each line is yielded once;
 * - the consumer pulls: a slow consumer slows the reading, nothing piles up;
 * - failures are {@link ServerLogsError}s whose message says what is wrong,
 *   where, and how to fix it, with the runtime's error as `cause`.
 *
 * @example
 * for await (const l of logs.readLogs('weather', { tail: 20, follow: true, signal })) {
 *   (l.stream === 'stderr' ? process.stderr : process.stdout).write(`${l.line}\n`);
 * }
 */

/** One line of a server's output. */
export interface LogLine {
  /** When it was written, epoch ms (the local runtime: when the file was last written as Berth read it; ECS: the event's timestamp). */
  time: number;
  /** Where the server wrote it: stdout or stderr (ECS's awslogs driver keeps no such difference: stdout). */
  stream: 'stdout' | 'stderr';
  /** The line as the server wrote it, without its line break. */
  line: string;
  /** Which copy of the server wrote it, when the runtime tells them apart (ECS: the CloudWatch log stream, one per task). */
  source?: string;
}

/** What {@link ServerLogs.readLogs} reads. */
export interface ReadLogsOptions {
  /** Only lines written at or after this time (epoch ms). */
  since?: number;
  /** Only the last N lines (0: none, so `follow` prints only new ones). */
  tail?: number;
  /** Keep yielding new lines until `signal` aborts. */
  follow?: boolean;
  /** Ends following (and any call in flight) when it aborts. */
  signal: AbortSignal;
}

/** A runtime's reader of servers' output. */
export interface ServerLogs {
  /** The server's lines, as the module comment says. @throws ServerLogsError */
  readLogs(server: string, opts: ReadLogsOptions): AsyncIterable<LogLine>;
}

/** Why a server's output could not be read. */
export type ServerLogsErrorCode =
  /** The runtime has no output of this server (never started there, or not a server name). */
  | 'not_found'
  /** ECS: the log group the task definition names does not exist. */
  | 'log_group_missing'
  /** ECS: the task definition sends the output nowhere Berth can read (no awslogs driver). */
  | 'no_log_configuration'
  /** AWS refused the read: the identity lacks an IAM permission. */
  | 'access_denied'
  /** Anything else the runtime failed with. */
  | 'read_failed';

/** A failure to read a server's output; the message is for the person who ran `berth logs`. */
export class ServerLogsError extends Error {
  override readonly name: string = 'ServerLogsError';
  readonly code: ServerLogsErrorCode;
  constructor(code: ServerLogsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
