/**
 * The two audit streams the explorer reads, described once: their API path,
 * filters (as the registry's query parameters name them), table/CSV columns and
 * detail fields. PURE (no DOM), so the CSV shape is tested without a browser.
 *
 * - `calls`: the gateway's call records (`GET …/callrecords`): one per decided MCP request.
 * - `changes`: the change audit (`GET …/audit`): who changed what, with field-level changes.
 */
import type { AuditEntry, CallDecision, CallRecord } from '../client/wire.ts';
import type { CsvColumn } from './export.ts';

/** Which stream. */
export type AuditStream = 'calls' | 'changes';

/** The gateway's decisions (wire.ts CALL_DECISIONS; the browser imports only types from client). */
export const CALL_DECISION_OPTIONS: readonly CallDecision[] = ['allow', 'deny', 'approval-required', 'rate-limited', 'error'];

/** One filter: its query parameter, label and control. */
export interface FilterSpec {
  param: string;
  label: string;
  control: 'text' | 'time' | 'decision';
  placeholder?: string;
}

const TIME_FILTERS: FilterSpec[] = [
  { param: 'since', label: 'From', control: 'time' },
  { param: 'until', label: 'To', control: 'time' },
];

/** The filters of each stream, in form order (every param is one the registry takes). */
export const FILTERS: Record<AuditStream, FilterSpec[]> = {
  calls: [
    { param: 'agent', label: 'Agent', control: 'text', placeholder: 'deal-desk' },
    { param: 'user', label: 'User', control: 'text' },
    { param: 'server', label: 'Server', control: 'text', placeholder: 'quote' },
    { param: 'tool', label: 'Tool', control: 'text' },
    { param: 'decision', label: 'Decision', control: 'decision' },
    ...TIME_FILTERS,
  ],
  changes: [
    { param: 'actor', label: 'Actor (token id)', control: 'text', placeholder: 'tok_…' },
    { param: 'action', label: 'Action', control: 'text', placeholder: 'update, stage.approve, approval.approve…' },
    { param: 'kind', label: 'Kind', control: 'text', placeholder: 'MCPServer' },
    { param: 'name', label: 'Name (server, policy, approval id)', control: 'text' },
    ...TIME_FILTERS,
  ],
};

/** The registry path each stream is read from (under the API prefix). */
export const STREAM_PATH: Record<AuditStream, string> = { calls: '/callrecords', changes: '/audit' };

const json = (v: unknown): string | undefined => (v === undefined ? undefined : JSON.stringify(v));

/** CSV columns of a call record: every field, arguments and result as JSON. */
export const CALL_COLUMNS: CsvColumn<CallRecord>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'time', value: (r) => r.time },
  { header: 'agent', value: (r) => r.agent },
  { header: 'user', value: (r) => r.user },
  { header: 'server', value: (r) => r.server },
  { header: 'tool', value: (r) => r.tool },
  { header: 'method', value: (r) => r.method },
  { header: 'decision', value: (r) => r.decision },
  { header: 'reason', value: (r) => r.reason },
  { header: 'status', value: (r) => r.status },
  { header: 'upstreamStatus', value: (r) => r.upstreamStatus },
  { header: 'latencyMs', value: (r) => r.latencyMs },
  { header: 'scopes', value: (r) => r.scopes.join(' ') },
  { header: 'approvalId', value: (r) => r.approvalId },
  { header: 'sessionId', value: (r) => r.sessionId },
  { header: 'requestId', value: (r) => r.requestId },
  { header: 'dataClassification', value: (r) => r.dataClassification },
  { header: 'arguments', value: (r) => json(r.arguments) },
  { header: 'result', value: (r) => json(r.result) },
];

/** The field-level changes an audit entry records (`details.changes`), or none. */
export function changesOf(e: AuditEntry): string[] {
  const c = e.details?.['changes'];
  return Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string') : [];
}

/** CSV columns of a change audit entry: every field, the changes one per line, the other details as JSON. */
export const CHANGE_COLUMNS: CsvColumn<AuditEntry>[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'time', value: (e) => e.time },
  { header: 'actor', value: (e) => e.actor },
  { header: 'action', value: (e) => e.action },
  { header: 'kind', value: (e) => e.kind },
  { header: 'name', value: (e) => e.name },
  { header: 'generationBefore', value: (e) => e.generationBefore },
  { header: 'generationAfter', value: (e) => e.generationAfter },
  { header: 'specHash', value: (e) => e.specHash },
  { header: 'changes', value: (e) => changesOf(e).join('\n') },
  {
    header: 'details',
    value: (e) => {
      if (e.details === undefined) return undefined;
      const { changes: _c, ...rest } = e.details;
      return Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined;
    },
  },
];

/** `local` (a `datetime-local` value, the person's time zone) as RFC 3339 UTC, or undefined when it is not a time. */
export function localToIso(local: string): string | undefined {
  if (local === '') return undefined;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** RFC 3339 `iso` as a `datetime-local` value in the person's time zone (`YYYY-MM-DDTHH:MM:SS`), '' when not a time. */
export function isoToLocal(iso: string | undefined): string {
  if (iso === undefined) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
