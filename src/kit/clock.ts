/**
 * Time as a dependency. Everything that waits, schedules or stamps a time takes
 * a {@link Clock}, so tests drive time by hand ({@link ManualClock}) instead of
 * sleeping.
 */

/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly id: number } | ReturnType<typeof setTimeout>;

/**
 * The time source and timer factory.
 * @example
 * const t = clock.setTimeout(() => queue.add('weather'), 1_000);
 * clock.clearTimeout(t);
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (never synchronously). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a no-op for a timer that already fired or was cancelled. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and Node timers. Timers are unref'd so they never keep a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Resolves after `ms` on `clock`, or rejects with the abort reason when `signal`
 * aborts first. Callers that only want to stop waiting add `.catch(() => undefined)`.
 * @example await sleep(systemClock, 250, signal);
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The timers of a hand-driven clock: what is due when, fired in due order. Shared
 * by {@link ManualClock} and the AWS fake's clock so both keep one firing rule.
 * @example
 * const timers = new TimerQueue();
 * const h = timers.add(500, () => log('due'));
 * timers.runDue(1_000, (at) => (now = at)); // calls log('due') with now = 500
 */
export class TimerQueue {
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  /** Schedules `fn` at epoch ms `at`. */
  add(at: number, fn: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at, fn });
    return { id };
  }

  /** Cancels a timer from {@link TimerQueue.add}; a no-op for anything else. */
  cancel(handle: TimerHandle): void {
    if (typeof handle === 'object' && handle !== null && 'id' in handle && typeof handle.id === 'number') this.#timers.delete(handle.id);
  }

  /** Number of timers not yet fired. */
  get size(): number {
    return this.#timers.size;
  }

  /**
   * Removes and returns the earliest timer due at or before `target`, or
   * undefined. Ties fire in the order they were added.
   */
  takeDue(target: number): { at: number; fn: () => void } | undefined {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
    }
    if (next === undefined) return undefined;
    this.#timers.delete(next[0]);
    return next[1];
  }
}

/**
 * A clock that only moves when told to. Timers due at or before the new time fire
 * in due order during {@link ManualClock.advance}, which then lets pending promise
 * callbacks run so the work they trigger settles before it returns.
 * @example
 * const clock = new ManualClock(0);
 * queue.addAfter('a', 500);
 * await clock.advance(500); // 'a' is now queued
 */
export class ManualClock implements Clock {
  #now: number;
  readonly #timers = new TimerQueue();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#timers.add(this.#now + Math.max(0, ms), fn);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.cancel(handle);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order, settling promise work after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#timers.takeDue(target);
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets queued promise callbacks and immediates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
