import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitForStoreChange, type StoreChangeWait } from './change-waiter.ts';

const base = (wakeups: EventEmitter): Omit<StoreChangeWait, 'ready' | 'wakeupEnds'> => ({
  timeoutMs: 5_000,
  pollIntervalMs: 10,
  wakeups,
  onError: (err) => {
    throw err;
  },
});

describe('waitForStoreChange', () => {
  it('resolves once a synchronous ready says yes, and leaves no listener behind', async () => {
    const wakeups = new EventEmitter();
    let calls = 0;
    // A timeout longer than the test's own: only `ready` can end this wait.
    await waitForStoreChange({ ...base(wakeups), timeoutMs: 60_000, wakeupEnds: true, ready: () => ++calls >= 3 });
    expect(calls).toBe(3);
    expect(wakeups.listenerCount('change')).toBe(0);
  });

  it('wakeupEnds: a wakeup alone ends the wait even while ready says no', async () => {
    const wakeups = new EventEmitter();
    const wait = waitForStoreChange({ ...base(wakeups), pollIntervalMs: 60_000, wakeupEnds: true, ready: () => false });
    wakeups.emit('change');
    await wait;
    expect(wakeups.listenerCount('change')).toBe(0);
  });

  it('without wakeupEnds a wakeup asks ready, and a pending async answer is not asked again', async () => {
    const wakeups = new EventEmitter();
    let calls = 0;
    let answer!: (yes: boolean) => void;
    let settled = false;
    const wait = waitForStoreChange({
      ...base(wakeups),
      pollIntervalMs: 60_000,
      wakeupEnds: false,
      ready: () => {
        calls += 1;
        return calls === 1 ? Promise.resolve(false) : new Promise<boolean>((r) => (answer = r));
      },
    }).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1); // the initial check answered no
    wakeups.emit('change');
    wakeups.emit('change'); // ignored: the second answer is still pending
    expect(calls).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    answer(true);
    await wait;
    expect(calls).toBe(2);
    expect(wakeups.listenerCount('change')).toBe(0);
  });

  it('resolves on timeout and on abort, without asking ready after an abort that came first', async () => {
    const wakeups = new EventEmitter();
    await waitForStoreChange({ ...base(wakeups), timeoutMs: 30, wakeupEnds: false, ready: () => false });
    const controller = new AbortController();
    const wait = waitForStoreChange({ ...base(wakeups), signal: controller.signal, wakeupEnds: false, ready: () => false });
    controller.abort();
    await wait;
    let asked = false;
    await waitForStoreChange({ ...base(wakeups), signal: AbortSignal.abort(), wakeupEnds: false, ready: () => (asked = true) });
    expect(asked).toBe(false);
    expect(wakeups.listenerCount('change')).toBe(0);
  });

  it('reports a failing ready (thrown or rejected) and keeps polling', async () => {
    const wakeups = new EventEmitter();
    const errors: unknown[] = [];
    let calls = 0;
    await waitForStoreChange({
      ...base(wakeups),
      onError: (err) => errors.push(err),
      wakeupEnds: false,
      ready: () => {
        calls += 1;
        if (calls === 1) throw new Error('database is locked');
        if (calls === 2) return Promise.reject(new Error('connection reset'));
        return calls >= 3;
      },
    });
    expect(errors.map((e) => (e as Error).message)).toEqual(['database is locked', 'connection reset']);
    expect(calls).toBe(3);
  });
});
