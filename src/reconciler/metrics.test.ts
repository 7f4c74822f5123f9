import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, sleep } from '../kit/clock.ts';
import { TerminalError } from '../kit/errors.ts';
import { createReconcilerMetrics } from './metrics.ts';
import { processKey, type PassNotes, type ReconcileResult } from './result.ts';
import { WorkQueue } from './work-queue.ts';
import { reconcileCounts, sampleValue } from '../../test/support/metrics.ts';

/** What the fake reconcile of one key does on each run, in order: note a provider, take some time, then end. */
interface Script {
  provider?: string;
  takesMs?: number;
  gate?: Promise<void>;
  runs: Array<ReconcileResult | Error>;
}

/** A WorkQueue whose worker is processKey over scripted keys, counted into a fresh Registry. */
function harness(scripts: Record<string, Script>) {
  const clock = new ManualClock(0);
  const registry = new Registry();
  let queue: WorkQueue | undefined;
  const metrics = createReconcilerMetrics({ registry, providers: ['local', 'remote'], clock, queue: () => queue?.snapshot() });
  const reconcile = async (key: string, notes: PassNotes): Promise<ReconcileResult> => {
    const script = scripts[key]!;
    if (script.provider !== undefined) notes.provider = script.provider;
    if (script.takesMs !== undefined) await sleep(clock, script.takesMs);
    if (script.gate !== undefined) await script.gate;
    const next = script.runs.shift() ?? {};
    if (next instanceof Error) throw next;
    return next;
  };
  const q: WorkQueue = new WorkQueue({
    concurrency: 1,
    clock,
    backoff: { baseMs: 100, capMs: 10_000, random: () => 0 },
    metrics: metrics.queue,
    process: (key) => processKey(key, reconcile, q, { recorder: metrics.outcomes }),
  });
  return { clock, registry, queue: q, attach: () => (queue = q) };
}

/** The value of one series of `registry`, by exact labels (histogram parts by their own names). */
async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return sampleValue(await registry.metrics(), name, labels);
}

describe('reconciler metrics', () => {
  it('counts every outcome once, by the provider the pass noted (none when it noted none)', async () => {
    const h = harness({
      ok: { provider: 'local', takesMs: 250, runs: [{}] },
      poll: { provider: 'remote', runs: [{ requeueAfterMs: 1_000 }, {}] },
      flaky: { provider: 'local', runs: [new Error('socket hang up'), {}] },
      bad: { provider: 'local', runs: [new TerminalError('runtime.local.command "nod" was not found')] },
      wrapped: { runs: [new Error('applying wrapped', { cause: new TerminalError('bad image') })] },
      skip: { runs: [{}] },
    });
    for (const key of ['ok', 'poll', 'flaky', 'bad', 'wrapped', 'skip']) h.queue.add(key);
    await h.clock.advance(5_000);
    await h.queue.idle();

    expect(reconcileCounts(await h.registry.metrics())).toEqual({
      'local/success': 2, // ok, flaky's retry
      'local/error': 1, // flaky
      'local/terminal': 1, // bad
      'remote/requeue': 1, // poll
      'remote/success': 1, // poll, looked at again after 1 s
      'none/terminal': 1, // wrapped: the cause chain says terminal
      'none/success': 1, // skip
    });
    // Zeros are there before the first event, for every provider of the set and none.
    expect(await sample(h.registry, 'berth_reconcile_total', { provider: 'remote', result: 'error' })).toBe(0);
    expect(await sample(h.registry, 'berth_reconcile_total', { provider: 'none', result: 'requeue' })).toBe(0);
    // Durations on the injected clock: only "ok" took time (250 ms).
    expect(await sample(h.registry, 'berth_reconcile_duration_seconds_count', { provider: 'local' })).toBe(4);
    expect(await sample(h.registry, 'berth_reconcile_duration_seconds_sum', { provider: 'local' })).toBe(0.25);
    expect(await sample(h.registry, 'berth_reconcile_duration_seconds_bucket', { provider: 'local', le: '0.1' })).toBe(3);
    expect(await sample(h.registry, 'berth_reconcile_duration_seconds_count', { provider: 'remote' })).toBe(2);
    // Six keys added, plus poll's requeue and flaky's retry; one retry.
    expect(await sample(h.registry, 'berth_workqueue_adds_total', { provider: 'local+remote' })).toBe(8);
    expect(await sample(h.registry, 'berth_workqueue_retries_total', { provider: 'local+remote' })).toBe(1);
  });

  it('depth, oldest waiting age and longest running pass follow the queue at scrape time', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = harness({ slow: { provider: 'local', gate, runs: [{}] }, x: { runs: [{}] }, y: { runs: [{}] } });
    const gauges = async () => ({
      depth: await sample(h.registry, 'berth_workqueue_depth', { provider: 'local+remote' }),
      oldest: await sample(h.registry, 'berth_workqueue_oldest_item_age_seconds', { provider: 'local+remote' }),
      longest: await sample(h.registry, 'berth_workqueue_longest_running_processor_seconds', { provider: 'local+remote' }),
    });
    // No queue (a standby): zeros.
    expect(await gauges()).toEqual({ depth: 0, oldest: 0, longest: 0 });
    h.attach();

    h.queue.add('slow');
    await h.clock.advance(1_000); // slow runs (held) since t=0
    h.queue.add('x'); // waits behind it from t=1 s
    await h.clock.advance(4_000);
    expect(await gauges()).toEqual({ depth: 1, oldest: 4, longest: 5 });
    h.queue.add('y');
    h.queue.add('x'); // merged: still waiting since t=1 s
    await h.clock.advance(500);
    expect(await gauges()).toEqual({ depth: 2, oldest: 4.5, longest: 5.5 });

    release();
    await h.clock.advance(0);
    await h.queue.idle();
    expect(await gauges()).toEqual({ depth: 0, oldest: 0, longest: 0 });
    expect(await sample(h.registry, 'berth_workqueue_adds_total', { provider: 'local+remote' })).toBe(3);
  });
});
