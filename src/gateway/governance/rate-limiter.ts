/**
 * Token buckets per key (an agent, or an agent × server): each holds up to
 * `burst` requests and refills at `requestsPerMinute`. Over the limit, the
 * answer says how long to wait (HTTP 429 with `Retry-After`). Buckets idle long
 * enough to be full again are forgotten, so memory follows active callers.
 */
import type { Clock } from '../../kit/clock.ts';

/** A bucket's size and refill rate. */
export interface RateLimit {
  requestsPerMinute: number;
  /** Bucket size; default `requestsPerMinute`. */
  burst?: number;
}

/** What {@link RateLimiter.take} decided. */
export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

const ALLOWED: RateVerdict = Object.freeze({ ok: true });

/** Most buckets held; past it the oldest are dropped (a dropped bucket starts full). */
const MAX_BUCKETS = 100_000;

/**
 * Token buckets by key. See the module comment.
 * @example
 * const limiter = new RateLimiter();
 * limiter.take('agent:sales-copilot', { requestsPerMinute: 600, burst: 50 }); // { ok: true }
 */
export class RateLimiter {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { clock?: Pick<Clock, 'now'> } = {}) {
    this.#clock = opts.clock ?? { now: () => Date.now() };
  }

  /** Takes one request from `key`'s bucket under `limit`. */
  take(key: string, limit: RateLimit): RateVerdict {
    const now = this.#clock.now();
    const burst = limit.burst ?? limit.requestsPerMinute;
    const perMs = limit.requestsPerMinute / 60_000;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#sweep(now, perMs, burst);
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  /** Whether `key`'s bucket holds a request now, without taking it. */
  peek(key: string, limit: RateLimit): RateVerdict {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return ALLOWED;
    const burst = limit.burst ?? limit.requestsPerMinute;
    const perMs = limit.requestsPerMinute / 60_000;
    const tokens = Math.min(burst, bucket.tokens + (this.#clock.now() - bucket.at) * perMs);
    return tokens >= 1 ? ALLOWED : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
  }

  /** Drops buckets that have refilled (nothing lost), then the oldest if still too many. */
  #sweep(now: number, perMs: number, burst: number): void {
    for (const [key, b] of this.#buckets) if (b.tokens + (now - b.at) * perMs >= burst) this.#buckets.delete(key);
    while (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
  }
}
