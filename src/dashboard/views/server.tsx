/**
 * One server (`#/servers/<name>`): its phase, spec summary, conditions as a
 * timeline, activity charts, tools and the policy matrix, runtime resources,
 * recent log lines, and its recent changes and calls. The object itself is live
 * (the kind's watch); what the watch does not carry (matrix, logs, audit, calls,
 * statistics) is read again on a timer, and the matrix also whenever the object
 * changes.
 */
import type { AuditEntry, CallRecord, RecordPage, ServerAccessMatrix } from '../../client/wire.ts';
import type { MCPServer } from '../../manifest/types.ts';
import { API } from '../api.ts';
import { Activity } from '../components/activity.tsx';
import { LiveBadge } from '../components/live-badge.tsx';
import { mayReadCalls } from '../roles.ts';
import { usePolled } from '../use-polled.ts';
import { useWatchedKind } from '../use-watched.ts';
import type { ViewProps } from './props.ts';
import { AccessMatrix, ToolsTable } from './server-access.tsx';
import { ConditionsTimeline } from './server-conditions.tsx';
import { ServerLogLines } from './server-logs.tsx';
import { RecentAudit, RecentCalls } from './server-records.tsx';
import { RuntimeResources, SpecSummary } from './server-summary.tsx';
import './server.css';

/** How often the audit, call records and matrix are read again. */
const RECORDS_REFRESH_MS = 15_000;
const PHASE_CLASS: Record<string, string> = { Ready: 'ok', Progressing: 'busy', Pending: 'busy', Degraded: 'bad', Deleting: 'busy', Retiring: 'busy' };

/** The server view. */
export function ServerView(props: ViewProps & { name: string }) {
  const { name, session } = props;
  const { objects, live, loaded } = useWatchedKind<MCPServer>('mcpservers');
  const server = objects.get(name);
  const base = `${API}/mcpservers/${encodeURIComponent(name)}`;
  const q = encodeURIComponent(name);
  const access = usePolled<ServerAccessMatrix>(server ? `${base}/access` : undefined, RECORDS_REFRESH_MS, { refreshKey: server?.metadata.resourceVersion });
  const audit = usePolled<RecordPage<AuditEntry>>(server ? `${API}/audit?kind=MCPServer&name=${q}&limit=20` : undefined, RECORDS_REFRESH_MS, { refreshKey: server?.metadata.resourceVersion });
  const callsPolled = usePolled<RecordPage<CallRecord>>(server && mayReadCalls(session) ? `${API}/callrecords?server=${q}&limit=20` : undefined, RECORDS_REFRESH_MS);
  const calls = mayReadCalls(session) ? callsPolled : undefined;

  const head = (
    <>
      <p class="crumbs">
        <a href="#/">← Fleet</a>
      </p>
      <div class="view-head">
        <h1 id="view-title">{name}</h1>
        {server && (
          <span class={`phase ${PHASE_CLASS[server.status?.phase ?? ''] ?? 'idle'}`} data-testid="server-phase">
            {server.metadata.deletionTimestamp ? 'Deleting' : (server.status?.phase ?? 'Pending')}
          </span>
        )}
        <LiveBadge state={live} />
      </div>
    </>
  );
  if (!server) {
    return (
      <section aria-labelledby="view-title">
        {head}
        <p role="status">{loaded ? `No server named ${name}: it may have been deleted. Back to the fleet to see what exists.` : 'Loading…'}</p>
      </section>
    );
  }
  const failures = (audit.data?.items ?? []).filter((e) => typeof e.details?.['degraded'] === 'string');
  return (
    <section aria-labelledby="view-title" class="server-view">
      {head}
      <div class="server-grid">
        <SpecSummary server={server} />
        <ConditionsTimeline conditions={server.status?.conditions ?? []} failures={failures} />
      </div>
      <Activity session={session} server={name} idPrefix="server" />
      <ToolsTable tools={server.spec.tools ?? []} discovered={(server.status?.tools ?? []).map((t) => t.name)} />
      <AccessMatrix access={access} />
      <div class="server-grid">
        <RuntimeResources server={server} />
        <ServerLogLines session={session} server={server} />
      </div>
      <RecentCalls calls={calls} role={session.role} />
      <RecentAudit audit={audit} />
    </section>
  );
}
