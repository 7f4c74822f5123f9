/**
 * A server's recent output (`…/logs?tail=100`), newest at the bottom, with each
 * line's time. Says plainly when the person's role may not read it, or when the
 * registry has no log source for it (a standalone registry; the registry's own
 * message says where to look instead).
 */
import type { ServerLogs } from '../../client/wire.ts';
import type { MCPServer } from '../../manifest/types.ts';
import { API } from '../api.ts';
import { mayReadLogs } from '../roles.ts';
import type { SessionInfo } from '../session.tsx';
import { shortTime } from '../time.ts';
import { usePolled } from '../use-polled.ts';

/** How often the lines are read again. */
const LOGS_REFRESH_MS = 10_000;

/** The logs section. */
export function ServerLogLines(props: { session: SessionInfo; server: MCPServer }) {
  const name = props.server.metadata.name;
  const allowed = mayReadLogs(props.session, props.server);
  const logs = usePolled<ServerLogs>(allowed ? `${API}/mcpservers/${encodeURIComponent(name)}/logs?tail=100` : undefined, LOGS_REFRESH_MS);
  const lines = logs.data?.lines ?? [];
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Recent log lines</h2>
      {!allowed && (
        <p class="notice">
          A server's output is read by its owner team's publishers (team {props.server.spec.owner.team}), approvers and admins; you are {props.session.role}
          {props.session.team !== undefined ? ` of team ${props.session.team}` : ''}.
        </p>
      )}
      {logs.error && <p class={logs.error.status === 404 ? 'notice' : 'error'}>{logs.error.status === 404 ? 'No log lines: ' : 'The log lines could not be read: '}{logs.error.message}</p>}
      {allowed && !logs.settled && <p role="status">Loading log lines…</p>}
      {logs.data && (
        <>
          <p class="help">
            {lines.length > 0 ? `The newest ${lines.length} ${lines.length === 1 ? 'line' : 'lines'}` : 'No output yet'}, from {logs.data.source}; read again every {LOGS_REFRESH_MS / 1000} s.
          </p>
          {lines.length > 0 && (
            <ol class="logs" tabIndex={0} aria-label={`Log lines of ${name}`} data-testid="log-lines">
              {lines.map((l, i) => (
                <li key={i} class={l.stream}>
                  <time dateTime={l.time}>{l.time !== undefined ? shortTime(l.time) : '-'}</time>
                  <span class="stream">{l.stream}</span>
                  <span class="line">{l.line}</span>
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
