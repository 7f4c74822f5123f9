/**
 * A server's recent history: its change audit (`/audit?kind=MCPServer&name=…`:
 * who changed what, status reports) and its recent call records
 * (`/callrecords?server=…`: agent, tool, decision, reason, latency).
 */
import type { AuditEntry, CallRecord, RecordPage } from '../../client/wire.ts';
import type { Polled } from '../use-polled.ts';
import { shortTime } from '../time.ts';
import { TableFrame } from '../components/table-frame.tsx';

const DECISION_TONE: Record<string, string> = { allow: 'ok', deny: 'bad', 'approval-required': 'busy', 'rate-limited': 'busy', error: 'bad' };

/** What one audit entry changed, in a few words. */
function auditSummary(e: AuditEntry): string {
  const d = e.details ?? {};
  if (typeof d['degraded'] === 'string') return `reported a failure: ${d['degraded']}`;
  const changes = d['changes'];
  // `changes` lists each changed field, "path: old → new" (secrets as "(changed)").
  if (!Array.isArray(changes)) return '';
  // A create lists every field: the first few say enough, the audit view has the rest.
  const shown = changes.slice(0, 4).map(String).join('; ');
  return changes.length > 4 ? `${shown}; … and ${changes.length - 4} more` : shown;
}

/** The recent audit section. */
export function RecentAudit(props: { audit: Polled<RecordPage<AuditEntry>> }) {
  const items = props.audit.data?.items ?? [];
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Recent changes</h2>
      {props.audit.error && <p class="error">The audit could not be read: {props.audit.error.message}</p>}
      {props.audit.data && items.length === 0 && <p class="help">No audit records for this server.</p>}
      {items.length > 0 && (
        <TableFrame label="Recent changes">
          <table>
            <caption class="visually-hidden">The newest audit records of this server</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Generation</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <th scope="row">
                    <time dateTime={e.time}>{shortTime(e.time ?? '')}</time>
                  </th>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td class="num">{e.generationAfter ?? '-'}</td>
                  <td class="wrap">{auditSummary(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </section>
  );
}

/** The recent call records section; `calls` undefined: the role may not read them. */
export function RecentCalls(props: { calls: Polled<RecordPage<CallRecord>> | undefined; role: string }) {
  const items = props.calls?.data?.items ?? [];
  return (
    <section aria-labelledby="calls-title">
      <h2 id="calls-title">Recent calls</h2>
      {props.calls === undefined && <p class="notice">Call records are read with an admin, approver or reader token; you are {props.role}.</p>}
      {props.calls?.error && <p class="error">The call records could not be read: {props.calls.error.message}</p>}
      {props.calls?.data && items.length === 0 && <p class="help">No calls recorded for this server yet.</p>}
      {items.length > 0 && (
        <TableFrame label="Recent calls">
          <table>
            <caption class="visually-hidden">The newest calls the gateway decided for this server</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Agent</th>
                <th scope="col">Tool or method</th>
                <th scope="col">Decision</th>
                <th scope="col">Latency</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} data-decision={r.decision}>
                  <th scope="row">
                    <time dateTime={r.time}>{shortTime(r.time ?? '')}</time>
                  </th>
                  <td>{r.agent}</td>
                  <td>
                    <code>{r.tool ?? r.method}</code>
                  </td>
                  <td>
                    <span class={`phase ${DECISION_TONE[r.decision] ?? 'idle'}`}>{r.decision}</span>
                  </td>
                  <td class="num">{r.latencyMs} ms</td>
                  <td class="wrap">{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </section>
  );
}
