/**
 * Prometheus metrics of one reconciler, after controller-runtime's: every
 * reconcile outcome counted once (by `processKey`, through the
 * {@link OutcomeRecorder} made here) and the work queue's adds, retries, depth
 * and ages. Registered in the prom-client `Registry` the caller passes (no
 * global default registry), so `berth up` serves them beside the registry's own.
 *
 * Labels are bounded: `provider` is a runtime provider name (`local`, `remote`,
 * `ecs`, several joined by `+`) or `none`, `result` one of four outcomes; never a
 * server name.
 *
 * @example
 * const registry = new Registry();
 * const metrics = createReconcilerMetrics({ registry, providers: ['local', 'remote'], clock, queue: () => q.snapshot() });
 * const q = new WorkQueue({ concurrency: 4, metrics: metrics.queue, process: (k) => processKey(k, reconcile, q, { recorder: metrics.outcomes }) });
 * await registry.metrics(); // berth_reconcile_total{provider="local",result="success"} 3 …
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../kit/clock.ts';
import { RECONCILE_OUTCOMES, type OutcomeRecorder } from './result.ts';
import type { WorkQueueMetrics, WorkQueueSnapshot } from './work-queue.ts';

/** The `provider` label of a pass no runtime provider handled. */
export const NO_PROVIDER = 'none';

/** controller-runtime's reconcile-time buckets, in seconds (5 ms … 60 s). */
export const RECONCILE_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9,
  10, 15, 20, 25, 30, 40, 50, 60,
];

/** Options of {@link createReconcilerMetrics}. */
export interface ReconcilerMetricsOptions {
  /** Where the metrics are registered. One reconciler per registry: prom-client refuses a second set of the same names. */
  registry: Registry;
  /** Names of the reconciler's providers, in order; joined by `+` they label the queue metrics (`local+remote`). */
  providers: readonly string[];
  /** Times passes (durations are `clock.now()` differences). */
  clock: Clock;
  /** The queue being worked now, read at scrape time; undefined while standing by (gauges read 0). */
  queue: () => WorkQueueSnapshot | undefined;
}

/** What the reconciler hands its parts. */
export interface ReconcilerMetrics {
  /** For `processKey`: berth_reconcile_total{provider,result} and berth_reconcile_duration_seconds{provider}. */
  outcomes: OutcomeRecorder;
  /** For `WorkQueue`: berth_workqueue_adds_total and berth_workqueue_retries_total. */
  queue: WorkQueueMetrics;
}

/** Registers the reconciler's metrics in `opts.registry`; see the module comment. */
export function createReconcilerMetrics(opts: ReconcilerMetricsOptions): ReconcilerMetrics {
  const { registry, clock } = opts;
  const queueLabel = { provider: opts.providers.join('+') };
  const total = new Counter({
    name: 'berth_reconcile_total',
    help: 'Reconcile passes by the runtime provider that handled the server (none: no provider) and result (success, requeue, error, terminal).',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'berth_reconcile_duration_seconds',
    help: 'Time of one reconcile pass, by the runtime provider that handled the server.',
    labelNames: ['provider'] as const,
    buckets: [...RECONCILE_DURATION_BUCKETS],
    registers: [registry],
  });
  // Zeros for every known label pair, so rate() and alerts see a series before its first event.
  for (const provider of [...opts.providers, NO_PROVIDER]) {
    for (const result of RECONCILE_OUTCOMES) total.inc({ provider, result }, 0);
    duration.zero({ provider });
  }
  const adds = new Counter({ name: 'berth_workqueue_adds_total', help: 'Keys queued that were not queued already, by the reconciler\'s provider set.', labelNames: ['provider'] as const, registers: [registry] });
  const retries = new Counter({ name: 'berth_workqueue_retries_total', help: 'Keys re-queued with backoff after a failure, by the reconciler\'s provider set.', labelNames: ['provider'] as const, registers: [registry] });
  adds.inc(queueLabel, 0);
  retries.inc(queueLabel, 0);
  // Gauges read the queue when scraped: nothing to keep up to date on every add and take.
  const queueGauge = (name: string, help: string, read: (s: WorkQueueSnapshot) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['provider'] as const,
      registers: [registry],
      collect() {
        const snapshot = opts.queue();
        this.set(queueLabel, snapshot === undefined ? 0 : read(snapshot));
      },
    });
  };
  queueGauge('berth_workqueue_depth', 'Keys waiting to be reconciled (not delayed, not in flight).', (s) => s.depth);
  queueGauge('berth_workqueue_oldest_item_age_seconds', 'How long the key waiting longest has waited to be reconciled; 0 when none waits.', (s) => s.oldestWaitingMs / 1000);
  queueGauge('berth_workqueue_longest_running_processor_seconds', 'How long the longest reconcile pass in flight has run; 0 when none runs.', (s) => s.longestRunningMs / 1000);

  return {
    outcomes: {
      start() {
        const started = clock.now();
        return (result, notes) => {
          const provider = notes.provider ?? NO_PROVIDER;
          total.inc({ provider, result });
          duration.observe({ provider }, Math.max(0, clock.now() - started) / 1000);
        };
      },
    },
    queue: {
      added: () => adds.inc(queueLabel),
      retried: () => retries.inc(queueLabel),
    },
  };
}
