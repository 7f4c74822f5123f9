/**
 * The reconciler's work queue, after client-go's rate-limited work queue, on
 * p-queue for the global concurrency bound.
 *
 * Guarantees:
 * - one in-flight `process(key)` per key, ever;
 * - duplicate keys merge: a key added while queued is queued once; a key added
 *   while in flight runs once more right after the current run finishes;
 * - `addRateLimited(key)` re-adds after a per-key exponential backoff with jitter;
 *   `forget(key)` resets it (call on success);
 * - `addAfter(key, ms)` re-adds later (requeueAfter); of several pending delays for
 *   one key the earliest wins;
 * - all timing goes through an injected {@link Clock};
 * - it tells an optional {@link WorkQueueMetrics} about adds and retries, and
 *   {@link WorkQueue.snapshot} reports depth and ages for gauges read at scrape time.
 *
 * The queue does not interpret results: the controller's processing function
 * (see `result.ts`) decides between forget, addAfter and addRateLimited.
 *
 * @example
 * const q = new WorkQueue({ concurrency: 4, process: async (name) => handle(name) });
 * q.add('weather'); q.add('weather'); // merged: one run
 * await q.idle();
 */
import PQueue from 'p-queue';
import { KeyedBackoff, type BackoffOptions } from '../kit/backoff.ts';
import { systemClock, type Clock, type TimerHandle } from '../kit/clock.ts';

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Handles one key. Should not throw; if it does, the key is re-added with backoff and `onError` is told. */
  process: (key: string) => Promise<void>;
  /** Most keys processed at the same time (≥ 1). */
  concurrency: number;
  clock?: Clock;
  /** Per-key failure backoff; defaults: base 500 ms, cap 5 min, jitter 0.2. */
  backoff?: Partial<BackoffOptions>;
  /** Told about an exception escaping `process`. */
  onError?: (key: string, err: unknown) => void;
  /** Told about adds and retries (counters); absent: nothing is counted. */
  metrics?: WorkQueueMetrics;
}

/**
 * What the queue reports as it goes, for counters. Calls are synchronous and
 * must not throw (they run inside `add`).
 */
export interface WorkQueueMetrics {
  /** A key became queued that was not queued already (merged duplicates are not adds), as client-go counts. */
  added(): void;
  /** A key was re-added after a failure (`addRateLimited`). */
  retried(): void;
}

/** The queue's state at one moment, for gauges. */
export interface WorkQueueSnapshot {
  /** Keys waiting to run (not delayed ones, not ones in flight); = {@link WorkQueue.queued}. */
  depth: number;
  /** How long the key that has waited longest to run has waited, in ms; 0 when none waits. */
  oldestWaitingMs: number;
  /** How long the longest-running `process` call has run, in ms; 0 when none runs. */
  longestRunningMs: number;
}

/** Default failure backoff: 0.5 s doubling to 5 min. */
export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 5 * 60_000, jitter: 0.2 };

/** A de-duplicating, rate-limited, concurrency-bounded queue of string keys. See the module comment. */
export class WorkQueue {
  readonly #process: (key: string) => Promise<void>;
  readonly #clock: Clock;
  readonly #backoff: KeyedBackoff;
  readonly #onError: ((key: string, err: unknown) => void) | undefined;
  readonly #metrics: WorkQueueMetrics | undefined;
  readonly #pq: PQueue;
  /**
   * Keys waiting to run (queued in p-queue, or waiting for their in-flight run to
   * end) → when they started waiting. Insertion order is waiting order, so the
   * first entry is the oldest.
   */
  readonly #dirty = new Map<string, number>();
  /** Keys in flight → when their run started; the first entry is the longest running. */
  readonly #processing = new Map<string, number>();
  readonly #delayed = new Map<string, { at: number; handle: TimerHandle }>();
  #shutDown = false;

  constructor(opts: WorkQueueOptions) {
    if (!(opts.concurrency >= 1)) throw new RangeError(`work queue concurrency must be ≥ 1 (got ${opts.concurrency})`);
    this.#process = opts.process;
    this.#clock = opts.clock ?? systemClock;
    this.#backoff = new KeyedBackoff({ ...DEFAULT_QUEUE_BACKOFF, ...opts.backoff });
    this.#onError = opts.onError;
    this.#metrics = opts.metrics;
    this.#pq = new PQueue({ concurrency: opts.concurrency });
  }

  /** Queues `key` now, merging with a queued or in-flight run of the same key. Ignored after shutdown. */
  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.set(key, this.#clock.now());
    this.#metrics?.added();
    // An in-flight key is re-queued by its own run when it ends, never run twice at once.
    if (!this.#processing.has(key)) this.#enqueue(key);
  }

  /** Queues `key` after `ms` (≤ 0: now). An earlier pending delay for the key is kept. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      this.#clock.clearTimeout(pending.handle);
    }
    const handle = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { at, handle });
  }

  /** Records a failure of `key` and queues it after its backoff delay; returns the delay. */
  addRateLimited(key: string): number {
    const delay = this.#backoff.next(key);
    this.#metrics?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears `key`'s failure count (it succeeded). Does not cancel a pending addAfter. */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** Consecutive failures of `key` since its last `forget`. */
  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /** Keys waiting to run (not counting delayed ones or ones in flight). */
  get queued(): number {
    return this.#dirty.size;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys waiting on a delay (backoff or requeueAfter). */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** Depth and ages now (see {@link WorkQueueSnapshot}); O(1), for gauges read at scrape time. */
  snapshot(): WorkQueueSnapshot {
    const now = this.#clock.now();
    // A clock stepping back (wall time) must not make an age negative.
    const age = (since: number | undefined): number => (since === undefined ? 0 : Math.max(0, now - since));
    return {
      depth: this.#dirty.size,
      oldestWaitingMs: age(this.#dirty.values().next().value),
      longestRunningMs: age(this.#processing.values().next().value),
    };
  }

  /** Resolves when nothing is queued or in flight (delayed keys don't count). */
  async idle(): Promise<void> {
    await this.#pq.onIdle();
  }

  /**
   * Stops accepting keys and cancels delays, then resolves when in-flight work has
   * finished. With `dropPending` (losing leadership), queued keys that have not
   * started are dropped; otherwise they are processed first (drain).
   */
  async shutdown(opts: { dropPending?: boolean } = {}): Promise<void> {
    this.#shutDown = true;
    for (const { handle } of this.#delayed.values()) this.#clock.clearTimeout(handle);
    this.#delayed.clear();
    if (opts.dropPending) {
      this.#pq.clear();
      this.#dirty.clear();
    }
    await this.#pq.onIdle();
  }

  #enqueue(key: string): void {
    this.#pq.add(() => this.#run(key)).catch(() => undefined);
  }

  async #run(key: string): Promise<void> {
    if (!this.#dirty.delete(key)) return; // dropped by shutdown
    this.#processing.set(key, this.#clock.now());
    try {
      await this.#process(key);
    } catch (err) {
      this.#onError?.(key, err);
      if (!this.#shutDown) this.addRateLimited(key);
    } finally {
      this.#processing.delete(key);
      // Queue-internal bookkeeping (not a finalizer): a key added while in flight runs once more now.
      if (this.#dirty.has(key)) this.#enqueue(key);
    }
  }
}
