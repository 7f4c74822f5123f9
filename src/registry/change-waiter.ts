/**
 * The waiting half of `Store.waitForChange`, shared by the adapters: resolve when
 * the store says there is something to read, when the timeout passes, or when the
 * caller aborts — whichever comes first — and leave no timer or listener behind.
 * Each adapter supplies only how it tells that a change is readable.
 */
import type { EventEmitter } from 'node:events';

/** Options of {@link waitForStoreChange}. */
export interface StoreChangeWait {
  /** Resolve after this long even when nothing changed (negative counts as 0). */
  timeoutMs: number;
  /** Resolves the wait early when it aborts. */
  signal?: AbortSignal | undefined;
  /** How often `ready` is asked, to notice writes made by other processes. */
  pollIntervalMs: number;
  /** Emits `change` when this process wrote or the store closed. */
  wakeups: EventEmitter;
  /**
   * True: a wakeup ends the wait by itself. False: a wakeup only asks `ready` now
   * (for stores where a write may not be readable yet, so callers never spin).
   */
  wakeupEnds: boolean;
  /**
   * True when the wait is over: there is a change after the caller's version, or the
   * store closed. It is also asked once at the start. An async answer is not asked
   * again while it is pending.
   */
  ready: () => boolean | Promise<boolean>;
  /** Told when `ready` throws or rejects; the wait goes on and asks again on the next poll. */
  onError: (err: unknown) => void;
}

/**
 * Waits as described in {@link StoreChangeWait}; never rejects.
 * @example
 * waitForStoreChange({ timeoutMs, signal, pollIntervalMs: 50, wakeups, wakeupEnds: true,
 *   ready: () => closed || counter() > since, onError: (err) => log?.warn({ err }, 'polling failed') });
 */
export function waitForStoreChange(o: StoreChangeWait): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let checking = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poller);
      o.wakeups.off('change', onWakeup);
      o.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const check = (): void => {
      if (done || checking) return;
      let answer: boolean | Promise<boolean>;
      try {
        answer = o.ready();
      } catch (err) {
        o.onError(err);
        return;
      }
      if (typeof answer === 'boolean') {
        if (answer) finish();
        return;
      }
      checking = true;
      answer
        .then((yes) => {
          if (yes) finish();
        })
        .catch(o.onError)
        .finally(() => (checking = false));
    };
    const onWakeup = o.wakeupEnds ? finish : check;
    const timer = setTimeout(finish, Math.max(0, o.timeoutMs));
    const poller = setInterval(check, o.pollIntervalMs);
    o.wakeups.on('change', onWakeup);
    o.signal?.addEventListener('abort', finish, { once: true });
    if (o.signal?.aborted) finish();
    else check();
  });
}
