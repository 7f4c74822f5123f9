/**
 * Activity charts over the registry's statistics: calls and denials over time,
 * latency percentiles (the gateway's own per-call measurements), reconcile
 * failures. For one server (its page) or the whole fleet (compact, on the fleet
 * page). A window choice (1 h / 24 h); read again every 15 s. A role that may not
 * read call records (publishers) sees the reconcile chart and a note why.
 */
import { useMemo, useState } from 'preact/hooks';
import type { CallStats, ReconcileStats } from '../../client/wire.ts';
import { ACTIVITY_WINDOWS, callLines, callSeriesOf, callsSentence, callTotals, latencyLines, reconcileLines, reconcileTotal, windowUrl, xsOf, type ActivityWindow } from '../activity-series.ts';
import { API } from '../api.ts';
import { mayReadCalls } from '../roles.ts';
import type { SessionInfo } from '../session.tsx';
import { usePolled } from '../use-polled.ts';
import { TimeChart } from './chart.tsx';

/** How often the charts are read again. */
export const ACTIVITY_REFRESH_MS = 15_000;

/** Props of {@link Activity}. */
export interface ActivityProps {
  session: SessionInfo;
  /** One server's activity; absent: the whole fleet's. */
  server?: string;
  /** Fewer charts, lower (the fleet page's panel). */
  compact?: boolean;
  /** Prefix of the ids on the page (unique per panel). */
  idPrefix: string;
}

/** The activity panel. */
export function Activity(props: ActivityProps) {
  const [windowId, setWindowId] = useState<ActivityWindow['id']>('1h');
  const w = ACTIVITY_WINDOWS.find((x) => x.id === windowId)!;
  const serverQuery = props.server !== undefined ? `server=${encodeURIComponent(props.server)}&` : '';
  const callsAllowed = mayReadCalls(props.session);
  const urlOf = (path: string) => windowUrl(path, w);
  const calls = usePolled<CallStats>(callsAllowed ? `${API}/stats/calls?${serverQuery}bucket=${w.bucket}` : undefined, ACTIVITY_REFRESH_MS, { urlOf });
  const reconcile = usePolled<ReconcileStats>(`${API}/stats/reconcile?${serverQuery}bucket=${w.bucket}`, ACTIVITY_REFRESH_MS, { urlOf });
  const p = props.idPrefix;
  const height = props.compact ? 140 : 180;
  const series = calls.data ? callSeriesOf(calls.data, props.server) : undefined;
  // Lines are derived once per answer: the page around re-renders on every watch event, and a chart redraws when its lines change.
  const drawn = useMemo(() => (calls.data && series ? { xs: xsOf(calls.data), calls: callLines(series), latency: latencyLines(series) } : undefined), [calls.data]);
  const drawnReconcile = useMemo(() => (reconcile.data ? { xs: xsOf(reconcile.data), lines: reconcileLines(reconcile.data, props.server) } : undefined), [reconcile.data]);
  const windowText = w.label.toLowerCase();

  return (
    <section class="activity" aria-labelledby={`${p}-activity-title`}>
      <div class="section-head">
        <h2 id={`${p}-activity-title`}>{props.server !== undefined ? 'Activity' : 'Fleet activity'}</h2>
        <div class="field inline">
          <label for={`${p}-window`}>Window</label>
          <select id={`${p}-window`} value={windowId} onChange={(e) => setWindowId((e.target as HTMLSelectElement).value as ActivityWindow['id'])}>
            {ACTIVITY_WINDOWS.map((x) => (
              <option key={x.id} value={x.id}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="summary" aria-live="polite" data-testid={`${p}-calls-summary`}>
        {!callsAllowed
          ? `Call statistics are read with an admin, approver or reader token (you are ${props.session.role}).`
          : series
            ? `${callsSentence(callTotals(series))} in the ${windowText}.`
            : calls.error
              ? `Call statistics could not be read: ${calls.error.message}`
              : 'Loading call statistics…'}
        {reconcile.data ? ` ${reconcileTotal(reconcile.data, props.server)} reconcile failures.` : ''}
      </p>
      <div class="charts">
        {drawn && <TimeChart id={`${p}-calls`} title={`Calls and denials, ${w.per}`} yLabel="calls" xs={drawn.xs} series={drawn.calls} height={height} integer />}
        {drawn && !props.compact && <TimeChart id={`${p}-latency`} title="Latency percentiles" yLabel="ms" xs={drawn.xs} series={drawn.latency} height={height} points format={(v) => `${v} ms`} />}
        {drawnReconcile && <TimeChart id={`${p}-reconcile`} title={`Reconcile failures, ${w.per}`} yLabel="failures" xs={drawnReconcile.xs} series={drawnReconcile.lines} height={height} integer />}
      </div>
      {reconcile.error && <p class="error">Reconcile statistics could not be read: {reconcile.error.message}</p>}
      {!props.compact && calls.data && (
        <p class="chart-note">
          Latency percentiles (nearest rank per bucket) come from the gateway's own per-call measurements: each call record's time from the gateway receiving the request to answering it.
        </p>
      )}
      {(calls.data?.complete === false || reconcile.data?.complete === false) && <p class="notice">This window holds more records than one query reads; the oldest buckets are undercounted. Choose the shorter window.</p>}
    </section>
  );
}
