/**
 * `reconcile(name)`: one level-based pass for one MCPServer. It takes only a
 * name, re-reads the desired object and what the runtime has, and makes them
 * match; a deletion is noticed by the object being gone or marked deleting,
 * never by remembering an event.
 *
 * Deploy pass: finalizer first (before anything outside exists) → observe →
 * plan (pure) → apply → re-observe if anything was done → assess → audit drift →
 * write status only when it changed.
 * Retire pass (deleted, `retired`, not deployed, orphan): observe → plan retirement
 * → apply → re-observe → when nothing is left, remove the finalizer (only then;
 * never in a `finally`), so a failed cleanup keeps the object and is retried.
 *
 * Return contract: see `result.ts`. Each pass notes in its {@link PassNotes} which
 * runtime provider handled the server (for metrics): the deploy provider, or the
 * providers a retirement removes something from; none for skips.
 */
import { RECONCILER_FINALIZER } from '../manifest/conditions.ts';
import { restartMarkerOf } from '../manifest/restart.ts';
import type { Environment, MCPServer, MCPServerStatus } from '../manifest/types.ts';
import type { RuntimeProvider, RuntimeState } from '../providers/provider.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import { ConflictError, NotFoundError } from '../client/errors.ts';
import type { Clock } from '../kit/clock.ts';
import { decide, recordedProvider, type DeployDecision, type RetireDecision } from './decide.ts';
import type { ReconcilerLogger } from './logger.ts';
import { actionCount, planServer, providersToObserve, type ServerPlan } from './plan.ts';
import { describeError, isTerminal } from '../kit/errors.ts';
import type { FailureReport, PassNotes, ReconcileResult } from './result.ts';
import { statusChanged, statusForFailure, statusForRetirement, statusFromRuntime } from './status.ts';

/** Audit actor of everything the reconciler records. */
export const RECONCILER_ACTOR = 'system:reconciler';
/** How soon to look again when a retirement is not finished and the provider gave no delay. */
export const RETIRE_POLL_MS = 1_000;

/** What a reconciler needs. */
export interface ReconcilerDeps {
  registry: RegistryClient;
  /** In preference order: the first whose `handles(spec)` is true deploys a server. */
  providers: readonly RuntimeProvider[];
  /** Environment served; all when absent. */
  environment?: Environment;
  logger: ReconcilerLogger;
  clock: Clock;
  /** Reads the desired object (e.g. from an informer cache). Default: `registry.get`. */
  getServer?: (name: string) => Promise<MCPServer | undefined> | MCPServer | undefined;
}

/** A reconciler bound to its dependencies. */
export interface Reconciler {
  /**
   * One pass for server `name`. Resolves per the result contract or throws (retryable or terminal).
   * Sets `notes.provider` as soon as it knows which runtime handles the server.
   */
  reconcile(name: string, signal?: AbortSignal, notes?: PassNotes): Promise<ReconcileResult>;
  /** Records a failed pass in the server's status (the `onFailure` hook of `processKey`). */
  recordFailure(report: FailureReport, signal?: AbortSignal): Promise<void>;
}

/**
 * Binds a reconciler to its registry and providers.
 * @example
 * const r = createReconciler({ registry, providers: [local, remote], logger, clock: systemClock });
 * await r.reconcile('weather'); // { } or { requeueAfterMs }
 */
export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const getServer = deps.getServer ?? ((name: string) => deps.registry.get('MCPServer', name));
  const ctx = { providers: deps.providers, ...(deps.environment !== undefined ? { environment: deps.environment } : {}) };
  const now = (): string => new Date(deps.clock.now()).toISOString();

  async function reconcile(name: string, signal?: AbortSignal, notes: PassNotes = {}): Promise<ReconcileResult> {
    const server = await getServer(name);
    const decision = decide(name, server, { ...ctx, now: new Date(deps.clock.now()) });
    const log = { server: name, decision: decision.kind, cause: decision.kind === 'deploy' ? decision.provider.name : decision.cause };
    if (decision.kind === 'skip') {
      deps.logger.debug({ ...log, reason: decision.reason }, 'nothing to do');
      return {};
    }
    if (decision.kind === 'deploy' && server !== undefined) {
      notes.provider = decision.provider.name;
      return deploy(name, server, decision, signal);
    }
    return retire(name, server, decision as RetireDecision, signal, notes);
  }

  async function deploy(name: string, stored: MCPServer, decision: DeployDecision, signal?: AbortSignal): Promise<ReconcileResult> {
    // Finalizer before anything outside the registry exists, so a delete always waits for cleanup.
    const server = await ensureFinalizer(stored, signal);
    const observed = await observeAll(providersToObserve(decision), name, signal);
    const plan = planServer(name, server, decision, observed);
    const desired = plan.desired!;
    const provider = decision.provider;
    const { acted, requeueAfterMs: applyRequeue } = await applyPlan(plan, signal);
    // Drift is what the observation before the apply found; the apply put it back.
    const before = acted ? await provider.assess(desired, observed.get(provider.name)) : undefined;
    const current = acted ? await provider.observe(name, signal) : observed.get(provider.name);
    const state: RuntimeState = await provider.assess(desired, current);
    const drift = [...new Set([...(before?.drift ?? []), ...(state.drift ?? [])])];
    if (drift.length > 0) {
      checkAborted(signal);
      await deps.registry.appendAudit({
        actor: RECONCILER_ACTOR,
        action: 'drift',
        kind: 'MCPServer',
        name,
        generationAfter: desired.generation,
        specHash: desired.specHash,
        details: { provider: provider.name, drift },
      });
      deps.logger.warn({ server: name, provider: provider.name, drift }, 'runtime drifted from the manifest; put back');
    }
    const status = statusFromRuntime(server.status, {
      generation: desired.generation,
      approval: decision.approval,
      state,
      provider: provider.name,
      drift,
      now: now(),
    });
    await writeStatus(server, status, signal);
    return requeueAfter(applyRequeue, state.requeueAfterMs);
  }

  async function retire(name: string, server: MCPServer | undefined, decision: RetireDecision, signal: AbortSignal | undefined, notes: PassNotes): Promise<ReconcileResult> {
    let remaining = 0;
    let requeue: number | undefined;
    let note: string | undefined;
    let held: string | undefined;
    if (decision.retireFrom.length > 0) {
      // Until the plan says who holds something, the runtime that last ran the server is the best guess.
      const last = server !== undefined ? recordedProvider(server) : undefined;
      if (decision.retireFrom.some((p) => p.name === last)) notes.provider = last;
      const observed = await observeAll(decision.retireFrom, name, signal);
      const plan = planServer(name, server, decision, observed);
      const holders = plan.steps.filter((s) => s.plan.actions.length > 0).map((s) => s.provider.name);
      if (holders.length > 0) notes.provider = holders.join('+');
      else delete notes.provider;
      const outcome = await applyPlan(plan, signal);
      requeue = outcome.requeueAfterMs;
      note = outcome.note;
      held = outcome.held;
      if (held !== undefined) deps.logger.warn({ server: name, held }, 'retirement held until an operator acts');
      if (outcome.acted) {
        const after = planServer(name, server, decision, await observeAll(decision.retireFrom, name, signal));
        remaining = actionCount(after);
      }
    }
    if (server === undefined) {
      // Orphan: no object to record anything on.
      return remaining > 0 ? { requeueAfterMs: requeue ?? RETIRE_POLL_MS } : {};
    }
    const generation = server.metadata.generation ?? 1;
    const statusCause = decision.cause === 'not-deployed' ? 'not-deployed' : 'retired';
    if (remaining > 0) {
      const message = note !== undefined ? `${decision.reason}; ${note}` : decision.reason;
      await writeStatus(server, statusForRetirement(server.status, { generation, cause: statusCause, ...(decision.approval ? { approval: decision.approval } : {}), message, inProgress: true, ...(held !== undefined ? { held } : {}), now: now() }), signal);
      return { requeueAfterMs: requeue ?? RETIRE_POLL_MS };
    }
    let current = server;
    if (decision.cause !== 'deleted') {
      current = await writeStatus(server, statusForRetirement(server.status, { generation, cause: statusCause, ...(decision.approval ? { approval: decision.approval } : {}), message: decision.reason, inProgress: false, now: now() }), signal);
    }
    if (decision.removeFinalizer) await removeFinalizer(current, signal);
    return {};
  }

  async function ensureFinalizer(server: MCPServer, signal?: AbortSignal): Promise<MCPServer> {
    if (server.metadata.finalizers?.includes(RECONCILER_FINALIZER)) return server;
    checkAborted(signal);
    const next: MCPServer = { ...server, metadata: { ...server.metadata, finalizers: [...(server.metadata.finalizers ?? []), RECONCILER_FINALIZER] } };
    const updated = await deps.registry.update(next, server.metadata.resourceVersion);
    deps.logger.info({ server: server.metadata.name }, 'finalizer added');
    return updated;
  }

  async function removeFinalizer(server: MCPServer, signal?: AbortSignal): Promise<void> {
    if (!server.metadata.finalizers?.includes(RECONCILER_FINALIZER)) return;
    checkAborted(signal);
    const next: MCPServer = {
      ...server,
      metadata: { ...server.metadata, finalizers: server.metadata.finalizers.filter((f) => f !== RECONCILER_FINALIZER) },
    };
    try {
      await deps.registry.update(next, server.metadata.resourceVersion);
    } catch (err) {
      if (err instanceof NotFoundError) return; // already removed: what we wanted
      throw err;
    }
    deps.logger.info({ server: server.metadata.name }, 'runtime retired; finalizer removed');
  }

  /** Writes status through the status path when it changed; returns the object as stored afterwards. */
  async function writeStatus(server: MCPServer, status: MCPServerStatus, signal?: AbortSignal): Promise<MCPServer> {
    if (!statusChanged(server.status, status)) return server;
    checkAborted(signal);
    try {
      return await deps.registry.updateStatus('MCPServer', server.metadata.name, status);
    } catch (err) {
      throw new Error(`writing status of MCPServer "${server.metadata.name}"`, { cause: err });
    }
  }

  async function observeAll(providers: readonly RuntimeProvider[], name: string, signal?: AbortSignal): Promise<Map<string, unknown>> {
    const entries = await Promise.all(
      providers.map(async (p) => {
        checkAborted(signal);
        return [p.name, await p.observe(name, signal)] as const;
      }),
    );
    return new Map(entries);
  }

  async function applyPlan(plan: ServerPlan, signal?: AbortSignal): Promise<{ acted: boolean; requeueAfterMs?: number; note?: string; held?: string }> {
    let acted = false;
    let requeue: number | undefined;
    const notes: string[] = [];
    const held: string[] = [];
    for (const step of plan.steps) {
      if (step.plan.actions.length === 0) continue;
      checkAborted(signal);
      const outcome = await step.provider.apply(step.plan, signal);
      acted = true;
      for (const { action, result } of outcome.done) {
        deps.logger.info({ server: plan.name, provider: step.provider.name, op: action.op, resource: action.resource, result, reason: action.reason }, `${action.op} ${action.resource}: ${result}`);
      }
      requeue = minDefined(requeue, outcome.requeueAfterMs);
      if (outcome.note !== undefined) notes.push(outcome.note);
      if (outcome.held !== undefined) held.push(outcome.held);
    }
    return {
      acted,
      ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}),
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      ...(held.length > 0 ? { held: held.join('; ') } : {}),
    };
  }

  async function recordFailure(report: FailureReport, signal?: AbortSignal): Promise<void> {
    const err = report.error;
    const message = describeError(err);
    const fields = { server: report.key, err, terminal: report.terminal, attempt: report.attempt, retryInMs: report.retryInMs };
    if (err instanceof ConflictError) {
      // Someone wrote the object since we read it; the retry re-reads. Not a failure worth a status.
      deps.logger.debug(fields, 'conflict; retrying with fresh data');
      return;
    }
    if (report.terminal) deps.logger.error(fields, 'reconcile failed permanently; not retried until the manifest changes or a rollout restart');
    else deps.logger.warn(fields, 'reconcile failed; retrying with backoff');
    if (signal?.aborted) return;
    const server = await getServer(report.key);
    if (server === undefined || server.metadata.deletionTimestamp !== undefined) return;
    if (deps.environment !== undefined && server.spec.environment !== deps.environment) return;
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'error';
    const restartedAt = restartMarkerOf(server);
    const status = statusForFailure(server.status, {
      generation: server.metadata.generation ?? 1,
      message,
      code,
      terminal: isTerminal(err),
      now: now(),
      ...(report.retryInMs !== undefined ? { retryInMs: report.retryInMs } : {}),
      ...(restartedAt !== undefined ? { restartedAt } : {}),
    });
    await writeStatus(server, status, signal);
  }

  return { reconcile, recordFailure };
}

function requeueAfter(...delays: Array<number | undefined>): ReconcileResult {
  const ms = delays.reduce<number | undefined>(minDefined, undefined);
  return ms === undefined ? {} : { requeueAfterMs: ms };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('reconcile aborted', { cause: signal.reason });
}

