/**
 * Lifecycle approvals: every server whose requested stage its current spec has
 * no approval for, with what changed since the last approved spec and, for
 * approvers and admins, Approve / Reject with a note
 * (`POST …/mcpservers/<name>/approvals`, bound to the spec shown: if it moved
 * on meanwhile the registry refuses with 409 and the page says so). Live through
 * the MCPServer watch: a new request, or a decision taken elsewhere, shows
 * without a reload.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AuditEntry, RecordPage } from '../../client/wire.ts';
import { changeSummary } from '../../manifest/change-summary.ts';
import type { MCPServer } from '../../manifest/types.ts';
import { API, requestJson } from '../api.ts';
import { DecisionForm } from '../components/decision-form.tsx';
import { LiveBadge } from '../components/live-badge.tsx';
import { serverHref } from '../router.ts';
import { mergeChanges, stageRequests, type SpecDiff, type StageRequest } from '../stage-requests.ts';
import { useWatchedKind } from '../use-watched.ts';
import { TableFrame } from '../components/table-frame.tsx';
import { Time } from '../components/time.tsx';

/** Audit entries read per server for its diff; more writes than this since the approval are said to be cut. */
const DIFF_ENTRIES = 200;

function DiffTable(props: { caption: string; rows: Array<{ path: string; before?: string; after: string }>; beforeLabel?: string }) {
  return (
    <TableFrame label={props.caption}>
      <table class="diff">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            {props.beforeLabel !== undefined && <th scope="col">{props.beforeLabel}</th>}
            <th scope="col">Now</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={r.path} data-field={r.path}>
              <th scope="row">
                <code>{r.path}</code>
              </th>
              {props.beforeLabel !== undefined && <td class="old">{r.before}</td>}
              <td class="new">{r.after}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}

/** What changed since the last approval, from the audit (or the whole spec when nothing was ever approved). */
function SpecChanges(props: { request: StageRequest; server: MCPServer }) {
  const { request, server } = props;
  const last = request.lastApproved;
  const [diff, setDiff] = useState<SpecDiff & { more: boolean } | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (last === undefined) return;
    const ac = new AbortController();
    const q = new URLSearchParams({ kind: 'MCPServer', name: request.name, since: last.at, limit: String(DIFF_ENTRIES) });
    requestJson<RecordPage<AuditEntry>>(`${API}/audit?${q}`, { signal: ac.signal }).then(
      (page) => setDiff({ ...mergeChanges(page.items), more: page.continue !== undefined }),
      (err: unknown) => ac.signal.aborted || setError(err instanceof Error ? err.message : String(err)),
    );
    return () => ac.abort();
  }, [request.name, request.resourceVersion, last?.at]);

  if (last === undefined) {
    const lines = changeSummary(undefined, server);
    const rows = lines.map((l) => /^(.+?): ∅ → (.*)$/s.exec(l) ?? /^(.+): (.*)$/s.exec(l)).flatMap((m, i) => (m ? [{ path: m[1]!, after: m[2]! }] : [{ path: lines[i]!, after: '' }]));
    return (
      <div class="spec-diff">
        <p>
          <strong>No approval recorded yet</strong>: the whole spec is for review (spec <code>{request.effective.spec8}</code>).
        </p>
        <DiffTable caption={`Spec of ${request.name}`} rows={rows} />
      </div>
    );
  }
  return (
    <div class="spec-diff">
      <p>
        Changes since the last approved spec <code>{last.specHash.slice(0, 8)}</code> ({last.stage} by <code>{last.by}</code>, <Time iso={last.at} />
        {last.note !== undefined ? `: “${last.note}”` : ''}) to spec <code>{request.effective.spec8}</code>.
      </p>
      {error !== undefined && <p class="error" role="alert">The audit could not be read: {error}</p>}
      {diff === undefined && error === undefined && <p class="help">Reading the audit…</p>}
      {diff !== undefined && (
        <>
          {diff.fields.length > 0 ? (
            <DiffTable caption={`Changes to ${request.name} since its last approval`} rows={diff.fields} beforeLabel="At approval" />
          ) : (
            <p>
              {last.specHash.startsWith(request.effective.spec8)
                ? 'No changes since: this is the spec approved then; what it still lacks is said above.'
                : 'No field changes recorded since then; the audit may list them under an older write (see the full audit).'}
            </p>
          )}
          <p class="help">
            From the audit's recorded changes of {diff.writes} write{diff.writes === 1 ? '' : 's'} since the approval: the registry keeps the approved spec's hash, not its body. Secret-looking values show as (changed).
            {diff.truncated || diff.more ? ' Some writes listed more fields than the audit keeps, or more writes happened than were read: see the full audit.' : ''}
          </p>
        </>
      )}
    </div>
  );
}

function RequestCard(props: { request: StageRequest; server: MCPServer; canDecide: boolean }) {
  const { request: r, server } = props;
  const titleId = `stage-${r.name}`;
  const decide = async (approve: boolean, note: string) => {
    await requestJson(`${API}/mcpservers/${encodeURIComponent(r.name)}/approvals`, {
      method: 'POST',
      body: { stage: r.stage, decision: approve ? 'approved' : 'rejected', specHash: r.effective.spec8, ...(note !== '' ? { note } : {}) },
    });
  };
  return (
    <article class="card" aria-labelledby={titleId} data-stage-request={r.name}>
      <h3 id={titleId}>
        <a href={serverHref(r.name)}>{r.name}</a> requests <span class="stage">{r.effective.requested}</span>
      </h3>
      <dl class="card-facts">
        <div><dt>Team</dt><dd>{r.team}</dd></div>
        <div><dt>Environment</dt><dd>{r.environment}</dd></div>
        <div><dt>Risk</dt><dd>{r.risk}</dd></div>
        <div><dt>Effective now</dt><dd>{r.effective.effective}</dd></div>
        <div><dt>Approval needed</dt><dd>{r.stage}</dd></div>
      </dl>
      <p class="reason">{r.reason}</p>
      <SpecChanges request={r} server={server} />
      {props.canDecide && <DecisionForm id={`stage-${r.name}-decision`} subject={`${r.name} for ${r.stage}`} refuse="Reject" noteRequiredToRefuse onDecide={decide} />}
    </article>
  );
}

/** The lifecycle approvals section. */
export function LifecycleApprovals(props: { canDecide: boolean }) {
  const { objects, version, live, loaded } = useWatchedKind<MCPServer>('mcpservers');
  const requests = useMemo(() => stageRequests(objects.values(), new Date()), [objects, version]);
  return (
    <section aria-labelledby="lifecycle-title" class="approvals-section">
      <div class="view-head">
        <h2 id="lifecycle-title">Lifecycle approvals</h2>
        <LiveBadge state={live} />
      </div>
      <p class="summary" aria-live="polite" data-testid="stage-summary">
        {!loaded ? 'Loading servers…' : requests.length === 0 ? 'No server is waiting for a lifecycle approval.' : `${requests.length} server${requests.length === 1 ? '' : 's'} waiting for a lifecycle approval.`}
      </p>
      {requests.map((r) => (
        <RequestCard key={r.name} request={r} server={objects.get(r.name)!} canDecide={props.canDecide} />
      ))}
    </section>
  );
}
