/**
 * Simulated time for the AWS fake. Nothing in the fake uses real timers: the
 * simulated world (tasks, deployments, target health, Route 53 propagation)
 * moves only when this clock moves, so a test that waits "five minutes" takes
 * microseconds and does the same thing every run.
 */
import { TimerQueue, type Clock, type TimerHandle } from '../../../src/kit/clock.ts';

/**
 * Anything that tells the time in epoch milliseconds. The fake accepts any of
 * them, so one clock can drive both the reconciler (e.g. its `ManualClock`) and
 * the fake: the fake's world catches up to `now()` lazily, at every API call.
 */
export interface TimeSource {
  now(): number;
}

/** 2026-01-01T00:00:00Z: a fixed, readable epoch so timestamps in failures are stable. */
export const FAKE_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * A hand-driven clock. `advance(ms)` moves time and fires due timers in order,
 * synchronously. Implements the reconciler's {@link Clock} so the same object
 * can be handed to reconciler code under test.
 * @example
 * const clock = new FakeClock();
 * const fake = new AwsFake({ clock });
 * clock.advance(60_000); // tasks start, targets turn healthy, DNS goes INSYNC
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #timers = new TimerQueue();

  constructor(startMs: number = FAKE_EPOCH_MS) {
    this.#now = startMs;
  }

  /** Epoch milliseconds of simulated time. */
  now(): number {
    return this.#now;
  }

  /** Moves simulated time forward by `ms` (≥ 0), firing timers that fall due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance needs a non-negative number of ms, got ${ms}`);
    const target = this.#now + ms;
    for (let due = this.#timers.takeDue(target); due !== undefined; due = this.#timers.takeDue(target)) {
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = target;
  }

  /** Calls `fn` once when simulated time reaches now + `ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#timers.add(this.#now + Math.max(0, ms), fn);
  }

  /** Cancels a timer from {@link FakeClock.setTimeout}; a no-op otherwise. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers.cancel(handle);
  }
}
