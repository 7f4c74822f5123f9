/**
 * The ServerLogSource port: where the registry reads a server's recent output
 * for `GET …/mcpservers/<name>/logs`. Optional: a registry started with none (a
 * standalone `berth registry`, whose servers run elsewhere) answers 404 saying
 * so. `berth up` wires it to the local runtime's log files (src/cli).
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
