/**
 * The reconciler process: wiring of informer → work queue → reconcile, under a
 * leader lease, with a periodic resync.
 *
 * - The informer always runs (a standby keeps a warm cache); only the leader
 *   queues keys and acts.
 * - Becoming leader starts a session: a fresh queue, every cached name queued, an
 *   orphan sweep, and the resync timer. Losing the lease aborts the session at
 *   once: queued keys are dropped and in-flight passes see their AbortSignal.
 * - Resync (every `resyncMs`) re-queues every cached server, and every name a
 *   provider still holds something for that has no object (orphans left by a
 *   crash, retired through the providers).
 * - Providers are the caller's: `stop()` does not close them.
 * - Metrics (see `metrics.ts`) go into the prom-client Registry passed as
 *   `metrics`; serving them is the caller's job. The queue gauges follow the
 *   current session's queue and read 0 while standing by.
 *
 * @example
 * const r = startReconciler({ registry, providers: [local, remote], logger, holderId: `${hostname()}-${process.pid}` });
 * await r.idle(); // tests: everything queued so far has been reconciled
 * await r.stop();
 */
import { Registry } from 'prom-client';
import type { Environment, MCPServer } from '../manifest/types.ts';
import type { RuntimeProvider } from '../providers/provider.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import type { BackoffOptions } from '../kit/backoff.ts';
import { systemClock, type Clock, type TimerHandle } from '../kit/clock.ts';
import { Informer } from '../client/informer.ts';
import { LeaderElector } from './leader.ts';
import type { ReconcilerLogger } from './logger.ts';
import { createReconcilerMetrics } from './metrics.ts';
import { changeNeedsReconcile } from './predicates.ts';
import { createReconciler } from './reconcile.ts';
import { processKey } from './result.ts';
import { WorkQueue } from './work-queue.ts';

/** Options of {@link startReconciler}. */
export interface ReconcilerOptions {
  registry: RegistryClient;
  /** In preference order: the first whose `handles(spec)` is true deploys a server. */
  providers: readonly RuntimeProvider[];
  /** Serve only this environment; others are left entirely alone. All when absent. */
  environment?: Environment;
  logger: ReconcilerLogger;
  clock?: Clock;
  /** Re-queue everything this often; default 30 s. */
  resyncMs?: number;
  /** Servers reconciled at the same time; default 4. */
  concurrency?: number;
  /** Lease shared by every reconciler of one environment; default `berth-reconciler[-<environment>]`. */
  leaseName?: string;
  /** Unique per process. */
  holderId: string;
  /** Lease TTL; default 15 s. A standby takes over within about this long after the leader dies. */
  leaseTtlMs?: number;
  /** Failure backoff of the work queue. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Registry the reconcile and work-queue metrics are registered in (one
   * reconciler per registry). Absent: they are kept in a private registry nobody reads.
   */
  metrics?: Registry;
}

/** A running reconciler. */
export interface RunningReconciler {
  /** Stops acting (in-flight passes are aborted and awaited), releases the lease, stops watching. */
  stop(): Promise<void>;
  /**
   * Resolves when this reconciler has nothing queued or in flight (after its first
   * list, and after its initial sweep when leading). For tests.
   */
  idle(): Promise<void>;
  /** True while this process holds the lease. */
  isLeader(): boolean;
  /** Queues a server now (e.g. the CLI nudging after an apply). No-op unless leading. */
  enqueue(name: string): void;
}

/** Default resync period. */
export const DEFAULT_RESYNC_MS = 30_000;
/** Default lease TTL. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

interface Session {
  abort: AbortController;
  queue: WorkQueue;
  /** Initial queueing (all names + orphan sweep) done. */
  ready: Promise<void>;
  resync?: TimerHandle;
}

/** Starts the reconciler; see the module comment. */
export function startReconciler(opts: ReconcilerOptions): RunningReconciler {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
  const informer = new Informer({ source: opts.registry, kind: 'MCPServer', logger: log, clock });
  const reconciler = createReconciler({
    registry: opts.registry,
    providers: opts.providers,
    ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
    logger: log,
    clock,
    getServer: (name) => informer.get(name),
  });
  let session: Session | undefined;
  let previousStopped: Promise<void> = Promise.resolve();
  const metrics = createReconcilerMetrics({
    registry: opts.metrics ?? new Registry(),
    providers: opts.providers.map((p) => p.name),
    clock,
    queue: () => session?.queue.snapshot(),
  });

  informer.onEvent((event) => {
    if (session === undefined) return;
    const verdict = changeNeedsReconcile(event);
    if (verdict.enqueue) session.queue.add(event.object.metadata.name);
    else log.debug({ server: event.object.metadata.name, why: verdict.reason }, 'change ignored');
  });

  function startSession(): void {
    const abort = new AbortController();
    const queue: WorkQueue = new WorkQueue({
      concurrency: opts.concurrency ?? 4,
      clock,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      metrics: metrics.queue,
      process: (name) =>
        processKey(name, (n, notes) => reconciler.reconcile(n, abort.signal, notes), queue, {
          recorder: metrics.outcomes,
          onFailure: (report) => reconciler.recordFailure(report, abort.signal),
          onReportError: (err) => log.warn({ err }, 'could not record a reconcile failure in status'),
        }),
      onError: (name, err) => log.error({ server: name, err }, 'reconcile worker threw'),
    });
    const s: Session = { abort, queue, ready: Promise.resolve() };
    session = s;
    s.ready = (async () => {
      await previousStopped;
      await informer.synced();
      if (abort.signal.aborted) return;
      await resync(s);
      scheduleResync(s);
    })();
  }

  function scheduleResync(s: Session): void {
    if (s.abort.signal.aborted) return;
    s.resync = clock.setTimeout(() => {
      void resync(s).finally(() => scheduleResync(s));
    }, resyncMs);
  }

  async function resync(s: Session): Promise<void> {
    const names = new Set(informer.keys());
    for (const name of names) s.queue.add(name);
    for (const provider of opts.providers) {
      try {
        for (const name of await provider.listManaged(s.abort.signal)) {
          if (!names.has(name)) {
            log.info({ server: name, provider: provider.name }, 'runtime holds a server the registry does not have; retiring it');
            s.queue.add(name);
          }
        }
      } catch (err) {
        if (!s.abort.signal.aborted) log.warn({ provider: provider.name, err }, 'listing managed servers failed; orphans are looked for again at the next resync');
      }
    }
  }

  async function stopSession(): Promise<void> {
    const s = session;
    session = undefined;
    if (s === undefined) return;
    s.abort.abort(new Error('no longer the leader'));
    if (s.resync !== undefined) clock.clearTimeout(s.resync);
    const stopped = s.queue.shutdown({ dropPending: true });
    previousStopped = stopped;
    await stopped;
  }

  const elector = new LeaderElector({
    registry: opts.registry,
    leaseName: opts.leaseName ?? (opts.environment ? `berth-reconciler-${opts.environment}` : 'berth-reconciler'),
    holderId: opts.holderId,
    ttlMs: opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    clock,
    logger: log,
    onStartedLeading: startSession,
    onStoppedLeading: stopSession,
  });

  informer.start();
  elector.start();

  return {
    async stop() {
      await elector.stop();
      await stopSession();
      await informer.stop();
    },
    async idle() {
      await informer.synced();
      const s = session;
      if (s === undefined) return;
      await s.ready;
      await s.queue.idle();
    },
    isLeader: () => elector.isLeader,
    enqueue(name) {
      session?.queue.add(name);
    },
  };
}
