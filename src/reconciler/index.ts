/**
 * Public API of the reconciler engine. Imports no SDK: only the manifest
 * contract, the provider interface and the registry client interface.
 *
 * @example
 * let reconciler: RunningReconciler | undefined;
 * const local = createLocalProvider({ logger, stateDir, nodePath: process.execPath, onChange: (n) => reconciler?.enqueue(n) });
 * reconciler = startReconciler({ registry, providers: [local, remote], logger, holderId: `${hostname()}-${process.pid}` });
 *
 * May import: client, providers/provider.ts, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
export { startReconciler, DEFAULT_LEASE_TTL_MS, DEFAULT_RESYNC_MS, type ReconcilerOptions, type RunningReconciler } from './controller.ts';
export { createReconciler, RECONCILER_ACTOR, type Reconciler, type ReconcilerDeps } from './reconcile.ts';
export { decide, type Decision, type DecideContext, type DeployDecision, type RetireDecision, type SkipDecision } from './decide.ts';
export { planServer, explain, planToJson, planResult, hasChanges, toDesired, actionCount, SOURCE_DIR_ANNOTATION, type ServerPlan, type ServerPlanJson } from './plan.ts';
export { planAll, type PlanReport } from './plan-all.ts';

export { LeaderElector, type LeaderElectorOptions } from './leader.ts';
export { WorkQueue, type WorkQueueOptions, type WorkQueueMetrics, type WorkQueueSnapshot } from './work-queue.ts';
export { processKey, RECONCILE_OUTCOMES, type ReconcileResult, type ReconcileOutcome, type PassNotes, type OutcomeRecorder } from './result.ts';
export { createReconcilerMetrics, NO_PROVIDER, RECONCILE_DURATION_BUCKETS, type ReconcilerMetrics, type ReconcilerMetricsOptions } from './metrics.ts';
export { systemClock, ManualClock, sleep, type Clock } from '../kit/clock.ts';
export type { ReconcilerLogger } from './logger.ts';
