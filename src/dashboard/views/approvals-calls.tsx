/**
 * Held tool calls: the gateway's pending approval requests (`GET …/approvals`)
 * with the agent, user, server, tool and the arguments as the call record kept
 * them (only where the server's `access.auditPayloads` asks; an approval itself
 * keeps only the arguments' hash), and, for approvers and admins, Approve / Deny
 * with a note (`POST …/approvals/<id>/approve|deny`). Grants the agent has not
 * used yet are listed with when they expire.
 *
 * Live by polling every {@link POLL_MS}: the registry has no watch for
 * approvals (they are not resource kinds), so a new request shows within that.
 */
import type { Approval, CallRecord, RecordPage } from '../../client/wire.ts';
import { API, requestJson } from '../api.ts';
import { DecisionForm } from '../components/decision-form.tsx';
import { ScrollFrame } from '../components/scroll-frame.tsx';
import { Time } from '../components/time.tsx';
import { usePoll } from '../use-poll.ts';

/** How often the approvals are read again. */
export const POLL_MS = 2_000;

/** Held calls with the arguments their call records kept, by approval id. */
interface HeldCalls {
  approvals: Approval[];
  argumentsOf: Map<string, unknown>;
}

async function readHeldCalls(signal: AbortSignal): Promise<HeldCalls> {
  const { items } = await requestJson<{ items: Approval[] }>(`${API}/approvals?limit=200`, { signal });
  const argumentsOf = new Map<string, unknown>();
  const open = items.filter((a) => a.status === 'pending' || a.status === 'approved');
  if (open.length > 0) {
    // The call records of the held calls (decision approval-required) name the approval and, where kept, the arguments.
    const oldest = open.reduce((min, a) => (a.requestedAt < min ? a.requestedAt : min), open[0]!.requestedAt);
    const since = new Date(Date.parse(oldest) - 60_000).toISOString();
    const q = new URLSearchParams({ decision: 'approval-required', since, limit: '1000' });
    const page = await requestJson<RecordPage<CallRecord>>(`${API}/callrecords?${q}`, { signal });
    // Newest first: the oldest record of an approval (its first hold) is written last and wins; all carry the same arguments.
    for (const r of page.items) if (r.approvalId !== undefined && r.arguments !== undefined) argumentsOf.set(r.approvalId, r.arguments);
  }
  return { approvals: items, argumentsOf };
}

function Arguments(props: { id: string; held: HeldCalls }) {
  const a = props.held.argumentsOf.get(props.id);
  if (a === undefined) return <span class="help">not recorded (the server's access.auditPayloads keeps none)</span>;
  return <pre class="args">{JSON.stringify(a, null, 2)}</pre>;
}

function HeldCard(props: { approval: Approval; held: HeldCalls; canDecide: boolean; onDecided: () => Promise<void> }) {
  const a = props.approval;
  const titleId = `call-${a.id}`;
  const decide = async (approve: boolean, note: string) => {
    await requestJson(`${API}/approvals/${a.id}/${approve ? 'approve' : 'deny'}`, { method: 'POST', body: note !== '' ? { reason: note } : {} });
    await props.onDecided();
  };
  return (
    <article class="card" aria-labelledby={titleId} data-approval={a.id}>
      <h3 id={titleId}>
        <code>{a.agent}</code> calls <code>{a.server}/{a.tool}</code>
      </h3>
      <dl class="facts">
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
  const { data, error, refresh } = usePoll(readHeldCalls, POLL_MS, 'approvals');
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
    <ScrollFrame label={props.caption}>
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
    </ScrollFrame>
  );
}
