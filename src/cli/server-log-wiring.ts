/**
 * The registry's ServerLogSource over the local runtime's output files, for
 * `berth up` (registry and local runtime in one process, one state folder): the
 * same reader as `berth logs` (src/providers/local/server-logs.ts), so the
 * dashboard's lines and the command's agree. Wiring only.
 */
import { NoServerLogsError, readServerLogs } from '../providers/local/index.ts';
import { ServerLogsUnavailableError, type ServerLogSource } from '../registry/server-log-source.ts';

/** A log source reading `<stateDir>/logs/<server>.stdout.log` and `.stderr.log`. */
export function localServerLogSource(stateDir: string): ServerLogSource {
  return {
    description: 'the local runtime\'s output files (berth logs reads the same)',
    async recent(server, { tail }) {
      try {
        // Each line with the time it was written (the line-times index), in RFC 3339 as on the wire.
        return (await readServerLogs({ stateDir, name: server, tail })).lines.map((l) => ({ time: new Date(l.time).toISOString(), stream: l.stream, line: l.line }));
      } catch (err) {
        if (err instanceof NoServerLogsError) throw new ServerLogsUnavailableError(err.message, { cause: err });
        throw err;
      }
    },
  };
}
