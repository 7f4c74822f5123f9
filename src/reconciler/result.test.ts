import { describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/provider.ts';
import { ManualClock } from '../kit/clock.ts';
import { isTerminal, TerminalError } from '../kit/errors.ts';
import { processKey, type FailureReport, type ReconcileResult } from './result.ts';
import { WorkQueue } from './work-queue.ts';

/** A queue whose worker is processKey over `outcomes` (one per run, in order). */
function harness(outcomes: Array<ReconcileResult | Error>) {
  const clock = new ManualClock(0);
  const runs: number[] = [];
  const failures: FailureReport[] = [];
  const queue: WorkQueue = new WorkQueue({
    concurrency: 1,
    clock,
    backoff: { baseMs: 100, capMs: 10_000, random: () => 0 },
    process: (key) =>
      processKey(
        key,
        async () => {
          runs.push(clock.now());
          const next = outcomes.shift() ?? {};
          if (next instanceof Error) throw next;
          return next;
        },
        queue,
        { onFailure: (r) => void failures.push(r) },
      ),
  });
  return { clock, queue, runs, failures };
}

describe('reconcile result contract', () => {
  it('classifies terminal errors', () => {
    expect(isTerminal(new TerminalError('bad spec'))).toBe(true);
    expect(isTerminal(new ProviderError('refused', { code: 'InvalidParameter', retryable: false }))).toBe(true);
    expect(isTerminal(new ProviderError('throttled', { code: 'Throttling' }))).toBe(false);
    expect(isTerminal(new Error('socket hang up'))).toBe(false);
    // Context added around a terminal error keeps it terminal; an explicit retryable error outside wins.
    expect(isTerminal(new Error('applying weather', { cause: new TerminalError('bad image') }))).toBe(true);
    expect(isTerminal(new Error('ecs', { cause: new ProviderError('refused', { code: 'InvalidParameter', retryable: false }) }))).toBe(true);
    expect(isTerminal(new ProviderError('throttled', { code: 'Throttling', cause: new TerminalError('inner') }))).toBe(false);
  });

  it('success forgets the backoff; requeueAfter polls again after the delay', async () => {
    const h = harness([new Error('transient'), new Error('transient'), { requeueAfterMs: 1_000 }, {}]);
    h.queue.add('a');
    await h.clock.advance(0);
    expect(h.queue.failures('a')).toBe(1);
    await h.clock.advance(100); // first retry after 100 ms
    expect(h.queue.failures('a')).toBe(2);
    await h.clock.advance(200); // second retry after 200 ms: succeeds with requeueAfter
    expect(h.queue.failures('a')).toBe(0);
    expect(h.runs).toEqual([0, 100, 300]);
    await h.clock.advance(999);
    expect(h.runs.length).toBe(3);
    await h.clock.advance(1);
    expect(h.runs).toEqual([0, 100, 300, 1_300]);
    await h.clock.advance(60_000);
    expect(h.runs.length).toBe(4); // plain success: no more runs
    expect(h.failures.map((f) => [f.terminal, f.attempt, f.retryInMs])).toEqual([
      [false, 1, 100],
      [false, 2, 200],
    ]);
  });

  it('a terminal error is reported and not retried', async () => {
    const h = harness([new ProviderError('image not found', { code: 'CannotPullImage', retryable: false })]);
    h.queue.add('a');
    await h.clock.advance(0);
    await h.clock.advance(10 * 60_000);
    expect(h.runs).toEqual([0]);
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]?.terminal).toBe(true);
    expect(h.failures[0]?.retryInMs).toBeUndefined();
    expect(h.queue.delayed).toBe(0);
  });
});
