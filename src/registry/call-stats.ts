/**
 * Call statistics for charts, from call records: per time bucket, counts by
 * decision and latency percentiles (nearest rank over `latencyMs`), for every
 * server together and per server. Pure: the route reads the records
 * (`api/routes-stats.ts`) and hands them here.
 */
import { CALL_DECISIONS, type CallDecision, type CallRecord, type CallStatsBucket, type CallStatsSeries, type LatencyPercentiles } from '../client/wire.ts';
import { bucketOf, bucketStarts, type StatsWindow } from './api/stats-window.ts';

/**
 * The value at percentile `p` (0–100] of `sorted` (ascending, non-empty), by
 * nearest rank: the smallest value with at least p % of the values at or below it.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function percentiles(latencies: number[]): LatencyPercentiles | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** Accumulates the records of one series. */
class SeriesAccumulator {
  readonly #counts: Record<CallDecision, number>[];
  readonly #latencies: number[][];
  readonly window: StatsWindow;
  constructor(window: StatsWindow) {
    this.window = window;
    this.#counts = Array.from({ length: window.buckets }, () => Object.fromEntries(CALL_DECISIONS.map((d) => [d, 0])) as Record<CallDecision, number>);
    this.#latencies = Array.from({ length: window.buckets }, () => []);
  }
  add(i: number, r: CallRecord): void {
    this.#counts[i]![r.decision] = (this.#counts[i]![r.decision] ?? 0) + 1;
    this.#latencies[i]!.push(r.latencyMs);
  }
  series(server?: string): CallStatsSeries {
    const buckets: CallStatsBucket[] = bucketStarts(this.window).map((start, i) => {
      const latencyMs = percentiles(this.#latencies[i]!);
      return { start, total: this.#latencies[i]!.length, decisions: this.#counts[i]!, ...(latencyMs ? { latencyMs } : {}) };
    });
    return { ...(server !== undefined ? { server } : {}), buckets };
  }
}

/** Buckets `records` (any order; those outside the window are ignored) into one overall series and one per server, by server name. */
export function callStatsSeries(records: Iterable<CallRecord>, window: StatsWindow): { overall: CallStatsSeries; servers: CallStatsSeries[] } {
  const overall = new SeriesAccumulator(window);
  const perServer = new Map<string, SeriesAccumulator>();
  for (const r of records) {
    const i = bucketOf(window, Date.parse(r.time ?? ''));
    if (i === undefined) continue;
    overall.add(i, r);
    let acc = perServer.get(r.server);
    if (!acc) perServer.set(r.server, (acc = new SeriesAccumulator(window)));
    acc.add(i, r);
  }
  const servers = [...perServer.keys()].sort().map((name) => perServer.get(name)!.series(name));
  return { overall: overall.series(), servers };
}
