/**
 * Per-key exponential backoff with jitter, the delay a key waits before its next
 * attempt after consecutive failures. The one formula for every retry in Berth:
 * the work queue (failed reconciles), the informer (watch reconnects), the local
 * runtime (restarts of a crashing server).
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** Delay after the first failure, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms (jitter included). */
  capMs: number;
  /**
   * Fraction of the delay added at random (0 = none, 0.2 = up to +20 %), so many
   * keys failing together don't retry in lock step.
   */
  jitter?: number;
  /** Random source in [0, 1); pass `() => 0` in tests for exact delays. */
  random?: () => number;
}

/**
 * The delay before attempt number `failures + 1`: `base · 2^(failures−1)` plus jitter, capped.
 * @example backoffDelay(3, { baseMs: 100, capMs: 10_000, random: () => 0 }) // 400
 */
export function backoffDelay(failures: number, opts: BackoffOptions): number {
  if (failures <= 0) return 0;
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(failures - 1, 52));
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  return Math.min(opts.capMs, Math.round(exp * (1 + jitter * random())));
}

/**
 * Counts consecutive failures per key and turns them into delays.
 * @example
 * const b = new KeyedBackoff({ baseMs: 100, capMs: 60_000 });
 * b.next('weather'); // ≈100
 * b.next('weather'); // ≈200
 * b.forget('weather'); // success: next failure starts at ≈100 again
 */
export class KeyedBackoff {
  readonly #opts: BackoffOptions;
  readonly #failures = new Map<string, number>();

  constructor(opts: BackoffOptions) {
    this.#opts = opts;
  }

  /** Records one more failure of `key` and returns how long it should wait. */
  next(key: string): number {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    return backoffDelay(n, this.#opts);
  }

  /** Consecutive failures recorded for `key` since it last succeeded. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears `key`'s failures (call on success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}
