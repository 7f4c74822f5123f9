/**
 * Held tool calls: the gateway's pending approval requests (`GET …/approvals`)
 * with the agent, user, server, tool and the arguments as the call record kept
 * them (only where the server's `access.auditPayloads` asks; an approval itself
 * keeps only the arguments' hash), and, for approvers and admins, Approve / Deny
 * with a note (`POST …/approvals/<id>/approve|deny`). Grants the agent has not
 * used yet are listed with when they expire.
 *
 * Live by polling every {@link POLL_MS} (use-polled.ts; not while the tab is
 * hidden): the registry has no watch for approvals (they are not resource
 * kinds), so a new request shows within that.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Approval, CallRecord, RecordPage } from '../../client/wire.ts';
import { API, requestJson } from '../api.ts';
import { DecisionForm } from '../components/decision-form.tsx';
import { TableFrame } from '../components/table-frame.tsx';
import { Time } from '../components/time.tsx';
import { usePolled } from '../use-polled.ts';

/** How often the approvals are read again. */
export const POLL_MS = 2_000;

/** The open approvals and the arguments their call records kept, by approval id. */
interface HeldCalls {
  approvals: Approval[];
  argumentsOf: Map<string, unknown>;
  /** The call records have been read (arguments missing now are missing from them). */
  recordsRead: boolean;
}

/**
 * Where the held calls' records are: those decided `approval-required` since a
 * minute before the oldest open approval (they name the approval and, where
 * kept, the arguments); undefined when nothing is open.
 */
function heldRecordsPath(approvals: readonly Approval[]): string | undefined {
  const open = approvals.filter((a) => a.status === 'pending' || a.status === 'approved');
  if (open.length === 0) return undefined;
  const oldest = open.reduce((min, a) => (a.requestedAt < min ? a.requestedAt : min), open[0]!.requestedAt);
  const q = new URLSearchParams({ decision: 'approval-required', since: new Date(Date.parse(oldest) - 60_000).toISOString(), limit: '1000' });
  return `${API}/callrecords?${q}`;
}

function argumentsByApproval(records: readonly CallRecord[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  // Every record of one approval carries the same arguments (they are what the approval is bound to).
  for (const r of records) if (r.approvalId !== undefined && r.arguments !== undefined) out.set(r.approvalId, r.arguments);
  return out;
}

function Arguments(props: { id: string; held: HeldCalls }) {
  const a = props.held.argumentsOf.get(props.id);
  if (a === undefined && !props.held.recordsRead) return <span class="help">reading the call record…</span>;
  if (a === undefined) return <span class="help">not in the call records (not written yet, or the server's access.auditPayloads keeps none)</span>;
  return <pre class="args">{JSON.stringify(a, null, 2)}</pre>;
}

function HeldCard(props: { approval: Approval; held: HeldCalls; canDecide: boolean; onDecided: () => void }) {
  const a = props.approval;
  const titleId = `call-${a.id}`;
  const decide = async (approve: boolean, note: string) => {
    await requestJson(`${API}/approvals/${a.id}/${approve ? 'approve' : 'deny'}`, { method: 'POST', body: note !== '' ? { reason: note } : {} });
    props.onDecided();
  };
  return (
    <article class="card" aria-labelledby={titleId} data-approval={a.id}>
      <h3 id={titleId}>
        <code>{a.agent}</code> calls <code>{a.server}/{a.tool}</code>
      </h3>
      <dl class="card-facts">
        <div><dt>Agent</dt><dd>{a.agent}</dd></div>
        <div><dt>User</dt><dd>{a.user ?? '-'}</dd></div>
        <div><dt>Server</dt><dd>{a.server}</dd></div>
        <div><dt>Tool</dt><dd>{a.tool}</dd></div>
        <div><dt>Requested</dt><dd><Time iso={a.requestedAt} /></dd></div>
        <div><dt>Expires</dt><dd>not while pending; a grant is usable once, for the registry's approval TTL</dd></div>
        <div><dt>Approval</dt><dd><code>{a.id}</code></dd></div>
      </dl>
      <div class="field-block">
        <span class="label" id={`${titleId}-args`}>Arguments</span>
        <div aria-labelledby={`${titleId}-args`} role="group">
          <Arguments id={a.id} held={props.held} />
        </div>
        <p class="help">Arguments hash <code>{a.argumentsHash.slice(0, 16)}…</code>: the grant lets exactly this call through.</p>
      </div>
      {props.canDecide && <DecisionForm id={`call-${a.id}-decision`} subject={`${a.agent} calling ${a.server}/${a.tool}`} refuse="Deny" noteRequiredToRefuse={false} onDecide={decide} />}
    </article>
  );
}

/** The held tool calls section; `canRead` false (publishers) shows why instead of asking. */
export function HeldToolCalls(props: { canDecide: boolean; canRead: boolean; role: string }) {
  if (!props.canRead) {
    return (
      <section aria-labelledby="calls-title" class="approvals-section">
        <h2 id="calls-title">Held tool calls</h2>
        <p class="notice">Held tool calls name agents, users and arguments: they are read with an admin, approver or reader token, and you are signed in as a {props.role}.</p>
      </section>
    );
  }
  return <HeldCallList canDecide={props.canDecide} />;
}

function HeldCallList(props: { canDecide: boolean }) {
  // A decision made here reads the list again at once (the card goes without waiting for the next round).
  const [decisions, setDecisions] = useState(0);
  const polled = usePolled<{ items: Approval[] }>(`${API}/approvals?limit=200`, POLL_MS, { refreshKey: decisions });
  const items = polled.data?.items;
  const records = usePolled<RecordPage<CallRecord>>(items !== undefined ? heldRecordsPath(items) : undefined, POLL_MS);
  const data: HeldCalls | undefined = useMemo(
    () => (items !== undefined ? { approvals: items, argumentsOf: argumentsByApproval(records.data?.items ?? []), recordsRead: records.settled } : undefined),
    [items, records.data, records.settled],
  );
  const error = polled.error;
  const refresh = () => setDecisions((n) => n + 1);
  const pending = data?.approvals.filter((a) => a.status === 'pending') ?? [];
  const granted = data?.approvals.filter((a) => a.status === 'approved') ?? [];
  const decided = data?.approvals.filter((a) => a.status !== 'pending' && a.status !== 'approved').slice(0, 10) ?? [];
  return (
    <section aria-labelledby="calls-title" class="approvals-section">
      <div class="view-head">
        <h2 id="calls-title">Held tool calls</h2>
        <span class="live live" title={`read every ${POLL_MS / 1000} s`}>
          Every {POLL_MS / 1000} s
        </span>
      </div>
      {error !== undefined && (
        <p class="error" role="alert">
          Approvals could not be read: {error.message}
        </p>
      )}
      <p class="summary" aria-live="polite" data-testid="calls-summary">
        {data === undefined ? 'Loading held calls…' : pending.length === 0 ? 'No tool call is waiting for an approval.' : `${pending.length} tool call${pending.length === 1 ? '' : 's'} waiting for an approval.`}
      </p>
      {data !== undefined && pending.map((a) => <HeldCard key={a.id} approval={a} held={data} canDecide={props.canDecide} onDecided={refresh} />)}
      {granted.length > 0 && (
        <>
          <h3>Granted, waiting for the agent to call again</h3>
          <DecidedTable caption="Granted tool calls" items={granted} timeLabel="Expires" time={(a) => a.expiresAt} />
        </>
      )}
      {decided.length > 0 && (
        <>
          <h3>Recently decided</h3>
          <DecidedTable caption="Recently decided tool calls" items={decided} timeLabel="Decided" time={(a) => a.decidedAt} />
        </>
      )}
    </section>
  );
}

function DecidedTable(props: { caption: string; items: Approval[]; timeLabel: string; time: (a: Approval) => string | undefined }) {
  return (
    <TableFrame label={props.caption}>
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Server/tool</th>
            <th scope="col">Status</th>
            <th scope="col">By</th>
            <th scope="col">Note</th>
            <th scope="col">{props.timeLabel}</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((a) => (
            <tr key={a.id} data-approval-row={a.id}>
              <th scope="row">{a.agent}</th>
              <td>{a.server}/{a.tool}</td>
              <td>{a.status}</td>
              <td>{a.decidedBy ?? '-'}</td>
              <td class="note">{a.reason ?? ''}</td>
              <td><Time iso={props.time(a)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}
