/**
 * The audit explorer: the gateway's call records and the change audit, filtered
 * by the registry's own query parameters (agent, user, server, tool, decision,
 * from/to for calls; actor, action, kind, name, from/to for changes), newest
 * first, paged with the registry's `continue` ("Load more"), a record's detail,
 * and an export of the records loaded as CSV or JSON (built in the browser).
 * The filters live in the hash (`#/audit?view=calls&agent=deal-desk&record=12`),
 * so a filtered view is a link. Publishers read the change audit only: call
 * records are for admins, approvers and readers (authorize.ts mayReadCallAudit).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AuditEntry, CallRecord, RecordPage } from '../../client/wire.ts';
import { API, ApiError, requestJson } from '../api.ts';
import { CALL_COLUMNS, CALL_DECISION_OPTIONS, CHANGE_COLUMNS, changesOf, FILTERS, isoToLocal, localToIso, STREAM_PATH, type AuditStream } from '../audit-records.ts';
import { TableFrame } from '../components/table-frame.tsx';
import { Time } from '../components/time.tsx';
import { downloadText } from '../download.ts';
import { toCsv } from '../export.ts';
import { readHashQuery, withHashQuery } from '../hash-query.ts';
import { mayReadCalls } from '../roles.ts';
import { RecordDetail } from './audit-detail.tsx';
import type { ViewProps } from './props.ts';
import './approvals.css';

/** Records per page read from the registry, unless the link says `limit` (1 to 1000, as the registry allows). */
const PAGE_SIZE = 100;

type AnyRecord = CallRecord | AuditEntry;

/** The explorer's state as the hash holds it. */
interface Query {
  view: AuditStream;
  filters: Record<string, string>;
  record?: string;
  /** Page size from the link. */
  limit?: string;
}

function queryOf(hash: string, canReadCalls: boolean): Query {
  const q = readHashQuery(hash);
  const view: AuditStream = q['view'] === 'changes' || !canReadCalls ? 'changes' : 'calls';
  const filters: Record<string, string> = {};
  for (const f of FILTERS[view]) if (q[f.param] !== undefined) filters[f.param] = q[f.param]!;
  const limit = q['limit'] !== undefined && /^\d{1,4}$/.test(q['limit']) && Number(q['limit']) >= 1 && Number(q['limit']) <= 1000 ? q['limit'] : undefined;
  return { view, filters, ...(q['record'] !== undefined ? { record: q['record'] } : {}), ...(limit !== undefined ? { limit } : {}) };
}

function hashOf(q: Query): Record<string, string | undefined> {
  return { view: q.view, ...q.filters, limit: q.limit, record: q.record };
}

/** Loaded pages of one query. */
interface Loaded {
  items: AnyRecord[];
  continue?: string;
  loading: boolean;
  error?: string;
}

function FilterForm(props: { query: Query; onApply: (filters: Record<string, string>) => void }) {
  const { view } = props.query;
  // Mounted afresh (keyed) for each applied query, so what is typed is never reset under the person's hands.
  const [draft, setDraft] = useState<Record<string, string>>(() => {
    const d: Record<string, string> = {};
    for (const f of FILTERS[view]) d[f.param] = f.control === 'time' ? isoToLocal(props.query.filters[f.param]) : (props.query.filters[f.param] ?? '');
    return d;
  });
  const set = (param: string, value: string) => setDraft((d) => ({ ...d, [param]: value }));
  const submit = (e: Event) => {
    e.preventDefault();
    const out: Record<string, string> = {};
    for (const f of FILTERS[view]) {
      const v = (draft[f.param] ?? '').trim();
      if (v === '') continue;
      const value = f.control === 'time' ? localToIso(v) : v;
      if (value !== undefined) out[f.param] = value;
    }
    props.onApply(out);
  };
  return (
    <form class="filters" role="search" aria-label={`Filter ${view === 'calls' ? 'call records' : 'changes'}`} onSubmit={submit}>
      {FILTERS[view].map((f) => {
        const id = `audit-${view}-${f.param}`;
        return (
          <div class="field" key={id}>
            <label for={id}>{f.control === 'time' ? `${f.label} (your time)` : f.label}</label>
            {f.control === 'decision' ? (
              <select id={id} value={draft[f.param] ?? ''} onChange={(e) => set(f.param, (e.target as HTMLSelectElement).value)}>
                <option value="">All</option>
                {CALL_DECISION_OPTIONS.map((d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ))}
              </select>
            ) : f.control === 'time' ? (
              <input id={id} type="datetime-local" step={1} value={draft[f.param] ?? ''} onInput={(e) => set(f.param, (e.target as HTMLInputElement).value)} />
            ) : (
              <input id={id} type="text" placeholder={f.placeholder} value={draft[f.param] ?? ''} onInput={(e) => set(f.param, (e.target as HTMLInputElement).value)} />
            )}
          </div>
        );
      })}
      <div class="field">
        <button type="submit">Apply filters</button>
      </div>
      <div class="field">
        <button type="button" class="secondary" onClick={() => props.onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}

/** One table column: its header and cell. */
interface Column<T> {
  header: string;
  cell: (r: T) => ComponentChildren;
  /** Class of the cell (`num`, `wrap`). */
  class?: string;
}

const CALL_TABLE: Column<CallRecord>[] = [
  { header: 'Time', cell: (r) => <Time iso={r.time} /> },
  { header: 'Agent', cell: (r) => r.agent },
  { header: 'User', cell: (r) => r.user ?? '-' },
  { header: 'Server', cell: (r) => r.server },
  { header: 'Tool', cell: (r) => r.tool ?? r.method },
  { header: 'Decision', cell: (r) => <span data-decision={r.decision}>{r.decision}</span> },
  { header: 'Status', cell: (r) => r.status, class: 'num' },
  { header: 'Latency', cell: (r) => `${r.latencyMs} ms`, class: 'num' },
  { header: 'Reason', cell: (r) => r.reason, class: 'wrap' },
];

/** A change's field list, shortened, and the note or reason a decision carried. */
function changeText(e: AuditEntry): string {
  const changes = changesOf(e);
  const note = typeof e.details?.['note'] === 'string' ? e.details['note'] : typeof e.details?.['reason'] === 'string' ? e.details['reason'] : undefined;
  const shown = `${changes.slice(0, 3).join('; ')}${changes.length > 3 ? ` … (${changes.length - 3} more)` : ''}`;
  return note === undefined ? shown : `${shown}${shown !== '' ? ' · ' : ''}note: ${note}`;
}

const CHANGE_TABLE: Column<AuditEntry>[] = [
  { header: 'Time', cell: (e) => <Time iso={e.time} /> },
  { header: 'Actor', cell: (e) => e.actor },
  { header: 'Action', cell: (e) => e.action },
  { header: 'Object', cell: (e) => (e.kind !== undefined ? `${e.kind}/${e.name ?? ''}` : (e.name ?? '-')) },
  { header: 'Changes', cell: changeText, class: 'wrap' },
];

/** The loaded records, newest first; the first cell of a row opens its detail. */
function RecordTable<T extends AnyRecord>(props: { caption: string; columns: Column<T>[]; items: T[]; selected: string | undefined; onSelect: (id: string) => void }) {
  return (
    <table class="audit-table">
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Record</th>
          {props.columns.map((c) => (
            <th scope="col" key={c.header}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.items.map((r) => (
          <tr key={r.id} data-record={r.id} class={String(r.id) === props.selected ? 'selected' : undefined}>
            <th scope="row">
              <button type="button" class="link" onClick={() => props.onSelect(String(r.id))}>
                Show #{r.id}
              </button>
            </th>
            {props.columns.map((c) => (
              <td key={c.header} class={c.class}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The audit explorer. */
export function AuditView(props: ViewProps) {
  const canReadCalls = mayReadCalls(props.session);
  const [query, setQuery] = useState<Query>(() => queryOf(location.hash, canReadCalls));
  const [loaded, setLoaded] = useState<Loaded>({ items: [], loading: true });
  const generation = useRef(0);

  // A link followed to another audit query (or the nav's plain #/audit) replaces the state.
  useEffect(() => {
    const onHash = () => setQuery(queryOf(location.hash, canReadCalls));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [canReadCalls]);

  const update = (q: Query) => {
    // No new history entry and no hashchange: this view already holds the state.
    history.replaceState(history.state, '', withHashQuery(location.hash, hashOf(q)));
    setQuery(q);
  };

  const load = async (q: Query, cont: string | undefined) => {
    const gen = ++generation.current;
    setLoaded((l) => ({ ...(cont === undefined ? { items: [] } : l), loading: true }));
    const params = new URLSearchParams({ ...q.filters, limit: q.limit ?? String(PAGE_SIZE), ...(cont !== undefined ? { continue: cont } : {}) });
    try {
      const page = await requestJson<RecordPage<AnyRecord>>(`${API}${STREAM_PATH[q.view]}?${params}`);
      if (gen !== generation.current) return;
      setLoaded((l) => ({ items: cont === undefined ? page.items : [...l.items, ...page.items], ...(page.continue !== undefined ? { continue: page.continue } : {}), loading: false }));
    } catch (err) {
      if (gen !== generation.current) return;
      setLoaded((l) => ({ items: cont === undefined ? [] : l.items, loading: false, error: err instanceof ApiError ? err.message : String(err) }));
    }
  };

  const filterKey = JSON.stringify([query.view, query.filters, query.limit]);
  useEffect(() => {
    void load(query, undefined);
  }, [filterKey]);

  const selected = query.record !== undefined ? loaded.items.find((r) => String(r.id) === query.record) : undefined;
  const select = (id: string | undefined) => {
    const { record: _r, ...rest } = query;
    update(id !== undefined ? { ...rest, record: id } : rest);
    if (id === undefined) requestAnimationFrame(() => document.querySelector<HTMLElement>('.audit-table button')?.focus());
    else requestAnimationFrame(() => document.getElementById('detail-title')?.parentElement?.querySelector<HTMLElement>('button')?.focus());
  };

  const exportAs = (format: 'csv' | 'json') => {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = `berth-${query.view === 'calls' ? 'callrecords' : 'audit'}-${stamp}`;
    if (format === 'json') downloadText(`${base}.json`, 'application/json', `${JSON.stringify(loaded.items, null, 2)}\n`);
    else downloadText(`${base}.csv`, 'text/csv;charset=utf-8', query.view === 'calls' ? toCsv(CALL_COLUMNS, loaded.items as CallRecord[]) : toCsv(CHANGE_COLUMNS, loaded.items as AuditEntry[]));
  };

  const tab = (view: AuditStream, label: string) => (
    <a
      href={`#/audit?view=${view}`}
      aria-current={query.view === view ? 'page' : undefined}
      onClick={(e) => {
        e.preventDefault();
        update({ view, filters: {} });
      }}
    >
      {label}
    </a>
  );

  const filtered = Object.keys(query.filters).length > 0;
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">Audit</h1>
      <nav class="tabs" aria-label="Audit records">
        {canReadCalls && tab('calls', 'Tool calls')}
        {tab('changes', 'Changes')}
      </nav>
      {!canReadCalls && <p class="notice">Call records name agents, users and arguments: they are read with an admin, approver or reader token. You see the change audit.</p>}
      <FilterForm key={filterKey} query={query} onApply={(filters) => update({ view: query.view, filters, ...(query.limit !== undefined ? { limit: query.limit } : {}) })} />
      {loaded.error !== undefined && (
        <p class="error" role="alert">
          {loaded.error}
        </p>
      )}
      <div class="audit-actions">
        <p class="summary" aria-live="polite" data-testid="audit-summary">
          {loaded.loading ? 'Loading…' : `${loaded.items.length} ${query.view === 'calls' ? 'call record' : 'change'}${loaded.items.length === 1 ? '' : 's'}${filtered ? ' matching the filters' : ''}${loaded.continue !== undefined ? ' loaded; older ones follow' : ''}`}
        </p>
        <button type="button" class="secondary" disabled={loaded.items.length === 0} onClick={() => exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" class="secondary" disabled={loaded.items.length === 0} onClick={() => exportAs('json')}>
          Export JSON
        </button>
        <span class="help">Exports the records loaded here; Load more to include older ones.</span>
      </div>
      {selected !== undefined && <RecordDetail stream={query.view} record={selected} onClose={() => select(undefined)} />}
      {query.record !== undefined && selected === undefined && !loaded.loading && <p class="notice">Record #{query.record} is not among the records loaded; clear the filters or load more.</p>}
      <TableFrame label={query.view === 'calls' ? 'Call records' : 'Changes'}>
        {query.view === 'calls' ? (
          <RecordTable caption="Call records, newest first" columns={CALL_TABLE} items={loaded.items as CallRecord[]} selected={query.record} onSelect={select} />
        ) : (
          <RecordTable caption="Changes, newest first" columns={CHANGE_TABLE} items={loaded.items as AuditEntry[]} selected={query.record} onSelect={select} />
        )}
      </TableFrame>
      {loaded.continue !== undefined && (
        <p>
          <button type="button" class="secondary" disabled={loaded.loading} onClick={() => void load(query, loaded.continue)}>
            Load more
          </button>
        </p>
      )}
    </section>
  );
}
