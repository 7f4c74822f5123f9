import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { WorkQueue } from './work-queue.ts';

/** A promise the test resolves by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Records every run, how many run at once, and lets the test hold runs open. */
function recorder() {
  const runs: Array<{ key: string; at: number }> = [];
  const active = new Map<string, number>();
  let concurrent = 0;
  let maxConcurrent = 0;
  let maxPerKey = 0;
  const gates = new Map<string, ReturnType<typeof deferred>>();
  return {
    runs,
    get maxConcurrent() {
      return maxConcurrent;
    },
    get maxPerKey() {
      return maxPerKey;
    },
    hold(key: string) {
      const d = deferred();
      gates.set(key, d);
      return d;
    },
    process(clock: ManualClock) {
      return async (key: string) => {
        runs.push({ key, at: clock.now() });
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const n = (active.get(key) ?? 0) + 1;
        active.set(key, n);
        maxPerKey = Math.max(maxPerKey, n);
        const gate = gates.get(key);
        if (gate) {
          gates.delete(key);
          await gate.promise;
        }
        active.set(key, (active.get(key) ?? 1) - 1);
        concurrent -= 1;
      };
    },
  };
}

describe('WorkQueue', () => {
  it('merges duplicate keys queued before they run', async () => {
    const clock = new ManualClock();
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 1, clock, process: rec.process(clock) });
    const blocker = rec.hold('blocker');
    q.add('blocker');
    q.add('a');
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.queued).toBe(2);
    blocker.resolve();
    await q.idle();
    expect(rec.runs.map((r) => r.key)).toEqual(['blocker', 'a', 'b']);
  });

  it('never runs one key twice at once; a key added while in flight runs once more after', async () => {
    const clock = new ManualClock();
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 8, clock, process: rec.process(clock) });
    const first = rec.hold('a');
    q.add('a');
    await clock.advance(0);
    expect(q.inFlight).toBe(1);
    q.add('a');
    q.add('a');
    await clock.advance(0);
    // Still only the first run, although 7 workers are free.
    expect(rec.runs.length).toBe(1);
    first.resolve();
    await q.idle();
    expect(rec.runs.map((r) => r.key)).toEqual(['a', 'a']);
    expect(rec.maxPerKey).toBe(1);
  });

  it('bounds global concurrency', async () => {
    const clock = new ManualClock();
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 3, clock, process: rec.process(clock) });
    const gates = Array.from({ length: 10 }, (_, i) => rec.hold(`k${i}`));
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await clock.advance(0);
    expect(q.inFlight).toBe(3);
    expect(q.queued).toBe(7);
    for (const g of gates) g.resolve();
    await q.idle();
    expect(rec.runs.length).toBe(10);
    expect(rec.maxConcurrent).toBe(3);
  });

  it('backs off exponentially per key on failure, capped, and resets on forget', async () => {
    const clock = new ManualClock(1_000);
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 2, clock, backoff: { baseMs: 100, capMs: 1_000, random: () => 0 }, process: rec.process(clock) });
    const delays = [1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('a'));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(q.failures('a')).toBe(6);
    // Other keys have their own count.
    expect(q.addRateLimited('b')).toBe(100);
    q.forget('a');
    expect(q.failures('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(100);
  });

  it('re-adds a rate-limited key only once its delay has passed', async () => {
    const clock = new ManualClock(0);
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 1, clock, backoff: { baseMs: 100, capMs: 1_000, random: () => 0 }, process: rec.process(clock) });
    q.addRateLimited('a'); // due at 100
    await clock.advance(99);
    expect(rec.runs).toEqual([]);
    await clock.advance(1);
    await q.idle();
    expect(rec.runs).toEqual([{ key: 'a', at: 100 }]);
    q.addRateLimited('a'); // second failure: 200 more
    await clock.advance(199);
    expect(rec.runs.length).toBe(1);
    await clock.advance(1);
    await q.idle();
    expect(rec.runs.at(-1)).toEqual({ key: 'a', at: 300 });
  });

  it('jitter only lengthens the delay, never beyond the cap', () => {
    const clock = new ManualClock(0);
    const q = new WorkQueue({ concurrency: 1, clock, backoff: { baseMs: 100, capMs: 150, jitter: 0.5, random: () => 0.999 }, process: async () => {} });
    expect(q.addRateLimited('a')).toBe(150); // 100 · (1 + 0.5·0.999) = 149.95 → 150
    expect(q.addRateLimited('a')).toBe(150); // 200 capped
  });

  it('addAfter (requeueAfter) runs the key after the delay; the earliest pending delay wins', async () => {
    const clock = new ManualClock(0);
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 1, clock, process: rec.process(clock) });
    q.addAfter('a', 500);
    q.addAfter('a', 800); // later: ignored
    q.addAfter('b', 300);
    q.addAfter('b', 100); // earlier: replaces
    expect(q.delayed).toBe(2);
    await clock.advance(100);
    await q.idle();
    expect(rec.runs).toEqual([{ key: 'b', at: 100 }]);
    await clock.advance(399);
    expect(rec.runs.length).toBe(1);
    await clock.advance(1);
    await q.idle();
    expect(rec.runs.at(-1)).toEqual({ key: 'a', at: 500 });
    await clock.advance(1_000);
    expect(rec.runs.length).toBe(2); // the 800 ms request was merged into the 500 ms one
  });

  it('shutdown waits for in-flight work, drops queued keys on request and ignores later adds', async () => {
    const clock = new ManualClock(0);
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 1, clock, process: rec.process(clock) });
    const gate = rec.hold('a');
    q.add('a');
    q.add('b');
    q.addAfter('c', 10);
    await clock.advance(0);
    let done = false;
    const stopping = q.shutdown({ dropPending: true }).then(() => (done = true));
    await clock.advance(0);
    expect(done).toBe(false); // 'a' still in flight
    gate.resolve();
    await stopping;
    q.add('d');
    await clock.advance(100);
    await q.idle();
    expect(rec.runs.map((r) => r.key)).toEqual(['a']);
  });

  it('shutdown without dropPending drains queued keys', async () => {
    const clock = new ManualClock(0);
    const rec = recorder();
    const q = new WorkQueue({ concurrency: 1, clock, process: rec.process(clock) });
    q.add('a');
    q.add('b');
    await q.shutdown();
    expect(rec.runs.map((r) => r.key)).toEqual(['a', 'b']);
  });

  it('a process function that throws is retried with backoff and reported', async () => {
    const clock = new ManualClock(0);
    const errors: string[] = [];
    let calls = 0;
    const q = new WorkQueue({
      concurrency: 1,
      clock,
      backoff: { baseMs: 50, capMs: 1_000, random: () => 0 },
      process: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
      },
      onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    });
    q.add('a');
    await q.idle();
    expect(errors).toEqual(['a: boom']);
    await clock.advance(50);
    await q.idle();
    expect(calls).toBe(2);
  });
});
