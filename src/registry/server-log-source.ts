/**
 * The ServerLogSource port: where the registry reads a server's recent output
 * for `GET …/mcpservers/<name>/logs`. Optional: a registry started with none (a
 * standalone `berth registry`, whose servers run elsewhere) answers 404 saying
 * so. `berth up` wires it to the local runtime's log files, `berth registry
 * --logs-provider ecs` to CloudWatch Logs (src/cli/server-log-wiring.ts).
 */
import type { ServerLogEntry } from '../client/wire.ts';

/** Reads the newest lines of one server's own output. */
export interface ServerLogSource {
  /** What the lines come from, for people (`local runtime files under .berth/logs`). */
  readonly description: string;
  /**
   * The newest `tail` lines of `server`, oldest first (stdout and stderr may each
   * contribute up to `tail`; the route keeps the newest `tail` overall).
   * @throws ServerLogsUnavailableError when this source holds nothing for `server`
   */
  recent(server: string, opts: { tail: number }): Promise<ServerLogEntry[]>;
}

/** This source holds no output for the server (never started here, or its files are gone). */
export class ServerLogsUnavailableError extends Error {
  override name = 'ServerLogsUnavailableError';
}

/**
 * The source could not answer now: where it reads refused (a missing permission),
 * failed, or took too long. The route answers `status` (502 refused or failed,
 * 504 too slow) with the message as the problem's detail, so it must say what
 * is wrong, where, and how to fix it.
 */
export class ServerLogsReadError extends Error {
  override name = 'ServerLogsReadError';
  readonly status: 502 | 504;
  constructor(status: 502 | 504, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
