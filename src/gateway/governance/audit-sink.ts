/**
 * Where the gateway's per-call audit records go: a pino JSON line each, and the
 * registry's store durably, in batches — both written when a batch is taken, so a
 * request pays only for appending its record to a buffer. Memory is bounded: records wait in
 * a buffer of at most `maxBuffered`. When they cannot be persisted — the
 * registry is down or its store refuses writes — for longer than
 * `failClosedAfterMs`, or the buffer is full, {@link AuditSink.accepting} turns
 * false and the gateway answers new calls 503 instead of serving them
 * unaudited (fail closed). Nothing buffered is dropped: batches are retried in
 * order until they land, and {@link AuditSink.close} flushes what is left.
 */
import type { Logger } from 'pino';
import { backoffDelay } from '../../kit/backoff.ts';
import type { Clock } from '../../kit/clock.ts';

/** Options of {@link AuditSink}. */
export interface AuditSinkOptions<R> {
  /** Persists one batch, in order; a rejection keeps the batch for a retry, unless {@link refusedForGood} says otherwise. */
  persist(records: R[]): Promise<void>;
  /**
   * True for a rejection retrying cannot fix (the store refused the records
   * themselves, e.g. a 422 after a registry upgrade tightened its rules). Such a
   * batch is dropped after it is logged as an error — the records stay in the JSON
   * log — instead of being retried forever and holding every later call back.
   * Default: never.
   */
  refusedForGood?(err: unknown): boolean;
  /**
   * Each record is also logged here as one JSON line (`msg: 'mcp call'`), when its
   * batch is first taken (off the request's path, a few hundred ms later at most).
   */
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Most records per batch; default 500. */
  batchSize?: number;
  /**
   * How much a record weighs against `maxBatchWeight` (default 1 each): lets small
   * records go in large batches and large ones in small batches, so a batch stays
   * under what the store takes in one append while its fixed costs (a request, a
   * commit) are shared by as many records as fit.
   */
  weightOf?(record: R): number;
  /** Most total weight per batch; default no limit beyond `batchSize`. */
  maxBatchWeight?: number;
  /** How long a record may wait for its batch; default 200 ms. */
  flushIntervalMs?: number;
  /** Most records waiting at once; default 10,000. */
  maxBuffered?: number;
  /** How long persisting may fail before the gateway stops serving calls; default 10 s. */
  failClosedAfterMs?: number;
  clock?: Pick<Clock, 'now'>;
}

/**
 * The audit sink. See the module comment.
 * @example
 * const audit = new AuditSink({ persist: (batch) => client.appendCallRecords(batch), logger });
 * if (!audit.accepting()) return answer503();
 * audit.record({ agent, server, tool, decision: 'allow', … });
 */
export class AuditSink<R> {
  readonly #opts: Required<Omit<AuditSinkOptions<R>, 'clock'>> & { clock: Pick<Clock, 'now'> };
  #buffer: R[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;
  /** Since when persisting has failed without a success in between; undefined while it works. */
  #failingSince: number | undefined;
  #failures = 0;
  #closed = false;
  #persisted = 0;
  #dropped = 0;
  /** How many records at the head of the buffer have been logged. */
  #logged = 0;

  constructor(opts: AuditSinkOptions<R>) {
    this.#opts = {
      refusedForGood: () => false,
      weightOf: () => 1,
      maxBatchWeight: Number.POSITIVE_INFINITY,
      batchSize: 500,
      flushIntervalMs: 200,
      maxBuffered: 10_000,
      failClosedAfterMs: 10_000,
      clock: { now: () => Date.now() },
      ...opts,
    };
  }

  /**
   * True while new calls may be served: records are landing (or have failed for
   * less than `failClosedAfterMs`) and the buffer has room.
   */
  accepting(): boolean {
    if (this.#buffer.length >= this.#opts.maxBuffered) return false;
    return this.#failingSince === undefined || this.#opts.clock.now() - this.#failingSince < this.#opts.failClosedAfterMs;
  }

  /** Records waiting to be persisted. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Records persisted so far. */
  get persisted(): number {
    return this.#persisted;
  }

  /** Records the store refused for good (logged, not persisted). */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Logs `record` and queues it for the store. Returns false when the buffer is
   * full (the record was only logged): callers check {@link accepting} first.
   */
  record(record: R): boolean {
    if (this.#buffer.length >= this.#opts.maxBuffered) {
      this.#opts.logger.info({ audit: record }, 'mcp call');
      return false;
    }
    this.#buffer.push(record);
    if (this.#buffer.length >= this.#opts.batchSize) this.#flushSoon(0);
    else this.#flushSoon(this.#opts.flushIntervalMs);
    return true;
  }

  /** Persists everything buffered now; resolves when the buffer is empty or a batch failed. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /**
   * Stops timers and persists what is left, retrying until `deadlineMs` passes.
   * Resolves with the number of records that could not be persisted (0 on a clean shutdown).
   */
  async close(deadlineMs = 5_000): Promise<number> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const until = this.#opts.clock.now() + deadlineMs;
    while (this.#buffer.length > 0 && this.#opts.clock.now() < until) {
      await this.flush();
      if (this.#buffer.length > 0) await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, until - this.#opts.clock.now()))));
    }
    if (this.#buffer.length > 0) this.#opts.logger.error({ unpersisted: this.#buffer.length }, 'audit records could not be persisted before shutdown; they are in this log only');
    return this.#buffer.length;
  }

  /** The records at the head of the buffer that fit one batch (at least one). */
  #nextBatch(): R[] {
    const { batchSize, maxBatchWeight, weightOf } = this.#opts;
    let weight = 0;
    let n = 0;
    while (n < this.#buffer.length && n < batchSize) {
      weight += weightOf(this.#buffer[n]!);
      if (n > 0 && weight > maxBatchWeight) break;
      n++;
    }
    return this.#buffer.slice(0, n);
  }

  /** Logs the buffered records not logged yet (the first `#logged` of the buffer are). */
  #logNew(): void {
    for (; this.#logged < this.#buffer.length; this.#logged++) this.#opts.logger.info({ audit: this.#buffer[this.#logged] }, 'mcp call');
  }

  #flushSoon(ms: number): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, ms);
    this.#timer.unref?.();
  }

  async #drain(): Promise<void> {
    this.#logNew();
    while (this.#buffer.length > 0) {
      const batch = this.#nextBatch();
      try {
        await this.#opts.persist(batch);
      } catch (err) {
        if (this.#opts.refusedForGood?.(err)) {
          this.#buffer.splice(0, batch.length);
          this.#logged -= batch.length;
          this.#dropped += batch.length;
          this.#opts.logger.error({ err, dropped: batch.length, records: batch }, 'the store refused these audit records for good; they are kept in this log only');
          continue;
        }
        this.#failures += 1;
        this.#failingSince ??= this.#opts.clock.now();
        const retryInMs = backoffDelay(this.#failures, { baseMs: 200, capMs: 5_000 });
        this.#opts.logger.warn({ err, buffered: this.#buffer.length, attempt: this.#failures, retryInMs }, 'persisting audit records failed; keeping them and retrying');
        if (!this.#closed) {
          this.#timer ??= setTimeout(() => {
            this.#timer = undefined;
            void this.flush();
          }, retryInMs);
          this.#timer.unref?.();
        }
        return;
      }
      // Only the records sent are removed: more may have arrived meanwhile.
      this.#buffer.splice(0, batch.length);
      this.#logged -= batch.length;
      this.#logNew();
      this.#persisted += batch.length;
      if (this.#failingSince !== undefined) this.#opts.logger.info({ failedForMs: this.#opts.clock.now() - this.#failingSince }, 'audit records are being persisted again');
      this.#failingSince = undefined;
      this.#failures = 0;
    }
  }
}
