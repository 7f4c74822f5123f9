/**
 * Call statistics for charts, from call records: per time bucket, counts by
 * decision and latency percentiles (nearest rank over `latencyMs`), for every
 * server together and per server, column by column (uPlot's layout). Pure: the
 * route reads the records (`api/routes-stats.ts`) and hands them here.
 */
import { CALL_DECISIONS, type CallDecision, type CallRecord, type CallStatsSeries } from '../client/wire.ts';
import { bucketOf, type StatsWindow } from './api/stats-window.ts';

/**
 * The value at percentile `p` (0–100] of `sorted` (ascending, non-empty), by
 * nearest rank: the smallest value with at least p % of the values at or below it.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** Accumulates the records of one series. */
class SeriesAccumulator {
  readonly #decisions: Record<CallDecision, number[]>;
  readonly #latencies: number[][];
  constructor(buckets: number) {
    this.#decisions = Object.fromEntries(CALL_DECISIONS.map((d) => [d, new Array<number>(buckets).fill(0)])) as Record<CallDecision, number[]>;
    this.#latencies = Array.from({ length: buckets }, () => []);
  }
  add(i: number, r: CallRecord): void {
    const column = this.#decisions[r.decision];
    if (column) column[i]!++;
    this.#latencies[i]!.push(r.latencyMs);
  }
  series(server?: string): CallStatsSeries {
    const sorted = this.#latencies.map((l) => l.sort((a, b) => a - b));
    const at = (p: number): (number | null)[] => sorted.map((l) => (l.length === 0 ? null : percentile(l, p)));
    return { ...(server !== undefined ? { server } : {}), total: sorted.map((l) => l.length), decisions: this.#decisions, p50: at(50), p95: at(95), p99: at(99) };
  }
}

/** Buckets `records` (any order; those outside the window are ignored) into one overall series and one per server, by server name. */
export function callStatsSeries(records: Iterable<CallRecord>, window: StatsWindow): { overall: CallStatsSeries; servers: CallStatsSeries[] } {
  const overall = new SeriesAccumulator(window.buckets);
  const perServer = new Map<string, SeriesAccumulator>();
  for (const r of records) {
    const i = bucketOf(window, Date.parse(r.time ?? ''));
    if (i === undefined) continue;
    overall.add(i, r);
    let acc = perServer.get(r.server);
    if (!acc) perServer.set(r.server, (acc = new SeriesAccumulator(window.buckets)));
    acc.add(i, r);
  }
  const servers = [...perServer.keys()].sort().map((name) => perServer.get(name)!.series(name));
  return { overall: overall.series(), servers };
}
