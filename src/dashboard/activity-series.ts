/**
 * The statistics answers (`/stats/calls`, `/stats/reconcile`) as chart lines and
 * totals: pure functions, so the chart components only draw.
 */
import type { CallStats, CallStatsSeries, ReconcileStats } from '../client/wire.ts';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  /** One value per x; null where there is nothing to draw (a gap). */
  values: Array<number | null>;
  /** Index into the chart's colours (`SERIES_COLOURS` in components/chart.tsx); default the series' own index. */
  colour?: number;
}

/** A time window the charts offer: its length and the bucket that keeps it under the registry's 1,440 buckets. */
export interface ActivityWindow {
  id: '1h' | '24h';
  label: string;
  seconds: number;
  /** The `bucket` query value. */
  bucket: string;
  /** How one bucket reads in a chart title ("per minute"). */
  per: string;
}

/** The windows offered, the first being the default. */
export const ACTIVITY_WINDOWS: readonly ActivityWindow[] = [
  { id: '1h', label: 'Last hour', seconds: 3600, bucket: '1m', per: 'per minute' },
  { id: '24h', label: 'Last 24 hours', seconds: 86_400, bucket: '15m', per: 'per 15 minutes' },
];

/** The statistics URL for `path` (`…/stats/calls?server=…&bucket=…`) over the window ending now. */
export function windowUrl(path: string, w: ActivityWindow, now = Date.now()): string {
  return `${path}&since=${encodeURIComponent(new Date(now - w.seconds * 1000).toISOString())}`;
}

/** The x values (Unix seconds) of a statistics answer. */
export function xsOf(stats: { starts: string[] }): number[] {
  return stats.starts.map((s) => Date.parse(s) / 1000);
}

/** Sum of a column. */
function sum(values: Array<number | null>): number {
  let n = 0;
  for (const v of values) n += v ?? 0;
  return n;
}

/** Totals of one call series over the window, for the sentence above the chart. */
export interface CallTotals {
  calls: number;
  allowed: number;
  denied: number;
  held: number;
  rateLimited: number;
  errors: number;
}

/** The totals of `s`. */
export function callTotals(s: CallStatsSeries): CallTotals {
  return { calls: sum(s.total), allowed: sum(s.decisions.allow), denied: sum(s.decisions.deny), held: sum(s.decisions['approval-required']), rateLimited: sum(s.decisions['rate-limited']), errors: sum(s.decisions.error) };
}

/** The calls-and-denials lines: every call, then each kind of refusal (denied, held for approval, rate-limited, errors). */
export function callLines(s: CallStatsSeries): ChartSeries[] {
  return [
    { label: 'Calls', values: s.total, colour: 0 },
    { label: 'Denied', values: s.decisions.deny, colour: 1 },
    { label: 'Held for approval', values: s.decisions['approval-required'], colour: 2 },
    { label: 'Rate-limited', values: s.decisions['rate-limited'], colour: 3 },
    { label: 'Errors', values: s.decisions.error, colour: 5 },
  ];
}

/** The latency lines: p50, p95, p99 in ms (gaps where a bucket held no call). */
export function latencyLines(s: CallStatsSeries): ChartSeries[] {
  return [
    { label: 'p50', values: s.p50, colour: 4 },
    { label: 'p95', values: s.p95, colour: 2 },
    { label: 'p99', values: s.p99, colour: 1 },
  ];
}

/** The series of `server` in a calls answer (the registry always includes the asked one), else the overall one. */
export function callSeriesOf(stats: CallStats, server?: string): CallStatsSeries {
  return (server !== undefined ? stats.servers.find((s) => s.server === server) : undefined) ?? stats.overall;
}

/** The reconcile-failure line of `server`, or of every server together. */
export function reconcileLines(stats: ReconcileStats, server?: string): ChartSeries[] {
  const s = (server !== undefined ? stats.servers.find((x) => x.server === server) : undefined) ?? stats.overall;
  return [{ label: 'Reconcile failures', values: s.errors, colour: 1 }];
}

/** Total reconcile failures in the window. */
export function reconcileTotal(stats: ReconcileStats, server?: string): number {
  return sum(reconcileLines(stats, server)[0]!.values);
}

/** "12 calls: 10 allowed, 1 denied, 1 held for approval" (refusal kinds only when present). */
export function callsSentence(t: CallTotals): string {
  const parts = [`${t.allowed} allowed`, `${t.denied} denied`];
  if (t.held > 0) parts.push(`${t.held} held for approval`);
  if (t.rateLimited > 0) parts.push(`${t.rateLimited} rate-limited`);
  if (t.errors > 0) parts.push(`${t.errors} errors`);
  return `${t.calls} ${t.calls === 1 ? 'call' : 'calls'}: ${parts.join(', ')}`;
}
