/** One audit record in full: every field, arguments and result as recorded, the change summary. */
import type { AuditEntry, CallRecord } from '../../client/wire.ts';
import { CALL_COLUMNS, CHANGE_COLUMNS, changesOf, type AuditStream } from '../audit-records.ts';
import { Time } from '../components/time.tsx';

/** `record`'s fields in `order` first (the CSV's column order), then any others. */
function ordered(record: object, order: readonly string[]): Array<[string, unknown]> {
  const entries = Object.entries(record);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return entries.sort(([a], [b]) => rank(a) - rank(b));
}

const CALL_ORDER = CALL_COLUMNS.map((c) => c.header);
const CHANGE_ORDER = CHANGE_COLUMNS.map((c) => c.header);

function Value(props: { value: unknown }) {
  const v = props.value;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return <>{String(v)}</>;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return <>{v.length > 0 ? v.join(', ') : '(none)'}</>;
  return <pre class="json">{JSON.stringify(v, null, 2)}</pre>;
}

function Fields(props: { entries: Array<[string, unknown]> }) {
  return (
    <dl>
      {props.entries
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => (
          <div key={k} class="pair">
            <dt>{k}</dt>
            <dd data-field={k}>{k === 'time' && typeof v === 'string' ? <Time iso={v} /> : <Value value={v} />}</dd>
          </div>
        ))}
    </dl>
  );
}

/** Props of {@link RecordDetail}. */
export interface RecordDetailProps {
  stream: AuditStream;
  record: CallRecord | AuditEntry;
  onClose: () => void;
}

/** The detail panel (a labelled region; Close returns focus to the table). */
export function RecordDetail(props: RecordDetailProps) {
  const { stream, record } = props;
  const title = `${stream === 'calls' ? 'Call record' : 'Change'} #${record.id ?? '?'}`;
  if (stream === 'calls') {
    const r = record as CallRecord;
    const { arguments: args, result, ...rest } = r;
    return (
      <section class="record-detail" aria-labelledby="detail-title" data-testid="record-detail">
        <h2 id="detail-title">{title}</h2>
        <Fields entries={ordered(rest, CALL_ORDER)} />
        <h3>Arguments</h3>
        {args !== undefined ? <pre class="json" data-testid="detail-arguments">{JSON.stringify(args, null, 2)}</pre> : <p class="help">Not recorded (the server's access.auditPayloads keeps none).</p>}
        <h3>Result</h3>
        {result !== undefined ? <pre class="json">{JSON.stringify(result, null, 2)}</pre> : <p class="help">Not recorded.</p>}
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
      </section>
    );
  }
  const e = record as AuditEntry;
  const { details, ...rest } = e;
  const changes = changesOf(e);
  const { changes: _c, ...otherDetails } = details ?? {};
  return (
    <section class="record-detail" aria-labelledby="detail-title" data-testid="record-detail">
      <h2 id="detail-title">{title}</h2>
      <Fields entries={ordered(rest, CHANGE_ORDER)} />
      <h3>Changes</h3>
      {changes.length > 0 ? (
        <ul class="changes">
          {changes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
      ) : (
        <p class="help">No field changes recorded for this action.</p>
      )}
      <h3>Details</h3>
      {Object.keys(otherDetails).length > 0 ? <Fields entries={Object.entries(otherDetails)} /> : <p class="help">None.</p>}
      <button type="button" class="secondary" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}
