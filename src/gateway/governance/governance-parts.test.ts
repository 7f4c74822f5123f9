import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AuditSink } from './audit-sink.ts';
import { RateLimiter } from './rate-limiter.ts';

const silent = pino({ level: 'silent' });

describe('RateLimiter', () => {
  it('lets a burst through, then refills at the rate and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ clock: { now: () => now } });
    const limit = { requestsPerMinute: 60, burst: 3 };
    expect([1, 2, 3].map(() => limiter.take('a', limit).ok)).toEqual([true, true, true]);
    expect(limiter.take('a', limit)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b', limit).ok).toBe(true); // another key has its own bucket
    now += 1_000;
    expect(limiter.take('a', limit).ok).toBe(true);
    expect(limiter.take('a', limit).ok).toBe(false);
  });

  it('a slow rate gives a long Retry-After', () => {
    const limiter = new RateLimiter({ clock: { now: () => 0 } });
    const limit = { requestsPerMinute: 2, burst: 1 };
    expect(limiter.take('a', limit).ok).toBe(true);
    expect(limiter.take('a', limit)).toEqual({ ok: false, retryAfterSeconds: 30 });
  });
});

describe('AuditSink', () => {
  it('batches records, keeps them while the store fails, fails closed past the bound, and loses none', async () => {
    let now = 0;
    const clock = { now: () => now };
    let down = false;
    const stored: number[] = [];
    const sink = new AuditSink<number>({
      persist: async (batch) => {
        if (down) throw new Error('disk full');
        stored.push(...batch);
      },
      logger: silent,
      batchSize: 3,
      failClosedAfterMs: 1_000,
      maxBuffered: 100,
      clock,
    });
    for (let i = 0; i < 5; i++) sink.record(i);
    await sink.flush();
    expect(stored).toEqual([0, 1, 2, 3, 4]);
    down = true;
    sink.record(5);
    await sink.flush();
    expect(sink.accepting()).toBe(true); // failing, but not for long yet
    now = 1_500;
    expect(sink.accepting()).toBe(false); // failing for longer than the bound: fail closed
    sink.record(6);
    down = false;
    await sink.flush();
    expect(sink.accepting()).toBe(true);
    expect(stored).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await sink.close()).toBe(0);
  });

  it('drops a batch the store refuses for good (after logging it) instead of holding every later call back', async () => {
    const stored: number[] = [];
    const sink = new AuditSink<number>({
      persist: async (batch) => {
        if (batch.includes(13)) throw Object.assign(new Error('invalid record'), { status: 422 });
        stored.push(...batch);
      },
      refusedForGood: (err) => (err as { status?: number }).status === 422,
      logger: silent,
      batchSize: 2,
    });
    for (const n of [11, 12, 13, 14, 15]) sink.record(n);
    await sink.flush();
    expect(stored).toEqual([11, 12, 15]);
    expect(sink.dropped).toBe(2);
    expect(sink.accepting()).toBe(true);
  });

  it('weighs records into batches: small ones share a batch, heavy ones get smaller batches, order kept', async () => {
    const batches: number[][] = [];
    const sink = new AuditSink<number>({
      persist: async (batch) => void batches.push(batch),
      logger: silent,
      batchSize: 4,
      weightOf: (n) => (n >= 100 ? 3 : 1),
      maxBatchWeight: 4,
    });
    for (const n of [1, 2, 3, 4, 5, 100, 6, 101, 102]) sink.record(n);
    await sink.flush();
    expect(batches).toEqual([[1, 2, 3, 4], [5, 100], [6, 101], [102]]);
  });

  it('fails closed when the buffer is full, and close() flushes what is left', async () => {
    const stored: number[] = [];
    let down = true;
    const sink = new AuditSink<number>({
      persist: async (batch) => {
        if (down) throw new Error('unreachable');
        stored.push(...batch);
      },
      logger: silent,
      maxBuffered: 3,
      flushIntervalMs: 10_000,
    });
    expect([0, 1, 2].map((i) => sink.record(i))).toEqual([true, true, true]);
    expect(sink.accepting()).toBe(false);
    expect(sink.record(3)).toBe(false);
    down = false;
    expect(await sink.close()).toBe(0);
    expect(stored).toEqual([0, 1, 2]);
  });
});
