/**
 * The time window of a statistics query (`?since&until&bucket`), bounded so one
 * request cannot ask the registry to read and bucket without end: `since` is
 * required, and the window holds at most {@link MAX_STATS_BUCKETS} buckets.
 */
import type { Context } from 'hono';
import { DURATION_EXAMPLES, parseDuration } from '../../kit/duration.ts';
import { badQuery, timeQuery } from './context.ts';

/** Most buckets one statistics answer holds (a day of minutes). */
export const MAX_STATS_BUCKETS = 1440;
/** Smallest bucket: finer than this says nothing a chart can show. */
export const MIN_STATS_BUCKET_MS = 10_000;
/** Bucket when none is given. */
export const DEFAULT_STATS_BUCKET_MS = 60_000;

/** A parsed window: [sinceMs, untilMs), `sinceMs` aligned down to a bucket boundary (epoch-aligned). */
export interface StatsWindow {
  sinceMs: number;
  untilMs: number;
  bucketMs: number;
  buckets: number;
}

/** The bucket index of `timeMs` in `w`, or undefined outside it. */
export function bucketOf(w: StatsWindow, timeMs: number): number | undefined {
  if (!(timeMs >= w.sinceMs && timeMs < w.untilMs)) return undefined;
  return Math.floor((timeMs - w.sinceMs) / w.bucketMs);
}

/** RFC 3339 start of every bucket of `w`. */
export function bucketStarts(w: StatsWindow): string[] {
  return Array.from({ length: w.buckets }, (_, i) => new Date(w.sinceMs + i * w.bucketMs).toISOString());
}

/**
 * Reads `since` (required), `until` (default `now`) and `bucket` (default 60s).
 * @throws 400 saying which limit a query breaks and how to narrow it
 */
export function parseStatsWindow(c: Context, now: Date): StatsWindow {
  const since = timeQuery(c, 'since');
  if (since === undefined) throw badQuery(`since is required (an RFC 3339 time): statistics cover a bounded window of at most ${MAX_STATS_BUCKETS} buckets`);
  const until = timeQuery(c, 'until');
  const bucketText = c.req.query('bucket');
  const bucketMs = bucketText ? parseDuration(bucketText) : DEFAULT_STATS_BUCKET_MS;
  if (bucketMs === undefined || bucketMs < MIN_STATS_BUCKET_MS || bucketMs % 1000 !== 0) {
    throw badQuery(`bucket must be ${DURATION_EXAMPLES}, whole seconds, at least ${MIN_STATS_BUCKET_MS / 1000}s (got ${JSON.stringify(bucketText)})`);
  }
  const sinceMs = Math.floor(Date.parse(since) / bucketMs) * bucketMs;
  const untilMs = until === undefined ? now.getTime() : Date.parse(until);
  if (untilMs <= sinceMs) throw badQuery(`until (${until ?? 'now'}) must be after since (${since})`);
  const buckets = Math.ceil((untilMs - sinceMs) / bucketMs);
  if (buckets > MAX_STATS_BUCKETS) {
    throw badQuery(`the window from ${since} to ${until ?? 'now'} in buckets of ${bucketMs / 1000}s is ${buckets} buckets; at most ${MAX_STATS_BUCKETS} are allowed: choose a later since, an earlier until or a larger bucket`);
  }
  return { sinceMs, untilMs, bucketMs, buckets };
}
