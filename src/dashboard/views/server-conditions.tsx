/**
 * A server's conditions as a timeline, newest transition first: each with its
 * status, reason and message (why it is or is not Ready), followed by the
 * reconcile failures the change audit kept after the status moved on.
 */
import type { AuditEntry } from '../../client/wire.ts';
import type { Condition } from '../../manifest/resource.ts';
import { shortTime } from '../time.ts';

/** Conditions whose True is bad news (the rest: True is good). */
const TRUE_IS_BAD = new Set(['Degraded', 'Conflict', 'Drifted', 'RetirementHeld']);

/** The badge class of a condition: ok, bad, or busy (Unknown, or Progressing). */
export function conditionTone(c: Condition): 'ok' | 'bad' | 'busy' {
  if (c.status === 'Unknown' || c.type === 'Progressing') return c.status === 'False' ? 'ok' : 'busy';
  return (c.status === 'True') !== TRUE_IS_BAD.has(c.type) ? 'ok' : 'bad';
}

/** The conditions timeline; `failures` are the audit's status records that reported a failure. */
export function ConditionsTimeline(props: { conditions: Condition[]; failures: AuditEntry[] }) {
  const sorted = [...props.conditions].sort((a, b) => (a.lastTransitionTime < b.lastTransitionTime ? 1 : -1));
  return (
    <section aria-labelledby="conditions-title">
      <h2 id="conditions-title">Conditions</h2>
      {sorted.length === 0 ? (
        <p class="help">The reconciler has not reported on this server yet.</p>
      ) : (
        <ol class="timeline" aria-live="polite">
          {sorted.map((c) => (
            <li key={c.type} data-condition={c.type}>
              <time dateTime={c.lastTransitionTime} title={c.lastTransitionTime}>
                {shortTime(c.lastTransitionTime)}
              </time>
              <div>
                <span class={`phase ${conditionTone(c)}`}>
                  {c.type}: {c.status}
                </span>{' '}
                <strong class="reason">{c.reason}</strong>
                <p class="message">{c.message}</p>
              </div>
            </li>
          ))}
        </ol>
      )}
      {props.failures.length > 0 && (
        <>
          <h3>Recent reconcile failures (from the audit)</h3>
          <ol class="timeline">
            {props.failures.map((e) => (
              <li key={e.id}>
                <time dateTime={e.time} title={e.time}>
                  {shortTime(e.time ?? '')}
                </time>
                <div>
                  <span class="phase bad">Degraded</span> <strong class="reason">{String(e.details?.['degraded'])}</strong>
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
