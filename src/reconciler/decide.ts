/**
 * The reconciler-level decision for one server, PURE: given the stored object
 * (or its absence) and who this reconciler is, say what should happen and why.
 * The provider's own plan comes after (see `plan.ts`).
 *
 * Order of the gates, first match wins:
 * 1. object absent → retire anything a provider still runs for it (orphan);
 * 2. another environment → leave it entirely alone (no runtime call, no status write);
 * 3. marked for deletion → retire, then remove the finalizer;
 * 4. effective stage `retired` (requested, or deprecated past its date) → retire,
 *    keep the object (phase Retired);
 * 5. any other effective stage the manifest's run gate refuses in the server's
 *    environment (`draft` / `submitted` / `security-review`, a requested stage no
 *    approval supports for the current spec, `approved-dev` in `production`; see
 *    src/manifest/lifecycle.ts) → not deployed, the Approved condition naming the
 *    approval missing;
 * 6. a terminal failure already recorded for this generation and restart marker →
 *    wait for a spec change or `berth rollout restart` (src/manifest/restart.ts);
 * 7. no provider handles the spec → not deployed, saying why;
 * 8. otherwise deploy with the first provider whose `handles(spec)` is true.
 */
import { RECONCILER_FINALIZER, Reason } from '../manifest/conditions.ts';
import { mayRun, type LifecycleVerdict } from '../manifest/lifecycle.ts';
import { restartMarkerOf } from '../manifest/restart.ts';
import type { ConditionStatus } from '../manifest/resource.ts';
import type { Environment, MCPServer } from '../manifest/types.ts';
import type { RuntimeProvider } from '../providers/provider.ts';

/** Who is deciding: the providers this reconciler runs and the environment it serves (all when absent). */
export interface DecideContext {
  providers: readonly RuntimeProvider[];
  environment?: Environment;
  /** The time deprecation dates are judged at (the reconciler's clock). */
  now: Date;
}

/** The Approved condition a decision implies. */
export interface Approval {
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Run the server with `provider`. */
export interface DeployDecision {
  kind: 'deploy';
  reason: string;
  provider: RuntimeProvider;
  approval: Approval;
  /** Other providers that still hold something from before (the spec moved between runtimes). */
  retireFrom: RuntimeProvider[];
}

/** Make sure nothing runs for the server. */
export interface RetireDecision {
  kind: 'retire';
  reason: string;
  /**
   * Why: `deleted` (object marked for deletion), `retired` (lifecycle), `not-deployed`
   * (lifecycle gate or no provider), `orphan` (object gone, runtime left behind).
   */
  cause: 'deleted' | 'retired' | 'not-deployed' | 'orphan';
  /** Providers to ask to retire. Empty when nothing can exist (no finalizer was ever added). */
  retireFrom: RuntimeProvider[];
  /** Remove Berth's finalizer after retirement succeeded. */
  removeFinalizer: boolean;
  /** Approved condition to write (absent for deleted/orphaned objects, which get no status). */
  approval?: Approval;
}

/** Don't act: not this reconciler's business, or waiting for a spec change. */
export interface SkipDecision {
  kind: 'skip';
  reason: string;
  /** `other-environment`: no status write at all. `blocked`: terminal failure recorded for this generation. `nothing`: deleting object without our finalizer. */
  cause: 'other-environment' | 'blocked' | 'nothing';
}

/** What the reconciler should do with one server, with a printable reason. */
export type Decision = DeployDecision | RetireDecision | SkipDecision;

/** A terminal failure recorded in status.runtime by the reconciler, blocking retries of that generation. */
export interface TerminalFailureRecord {
  generation: number;
  code: string;
  message: string;
  /** Restart marker the failure happened under; a new one (rollout restart) tries again. */
  restartedAt?: string;
}

/** Reads the terminal failure the reconciler recorded in status, if any. */
export function recordedTerminalFailure(server: MCPServer): TerminalFailureRecord | undefined {
  const rec = server.status?.runtime?.['terminalError'] as Partial<TerminalFailureRecord> | undefined;
  if (rec === undefined || typeof rec.generation !== 'number') return undefined;
  return {
    generation: rec.generation,
    code: String(rec.code ?? 'terminal'),
    message: String(rec.message ?? ''),
    ...(typeof rec.restartedAt === 'string' ? { restartedAt: rec.restartedAt } : {}),
  };
}

/** Provider name recorded in status.runtime by the last successful reconcile. */
export function recordedProvider(server: MCPServer): string | undefined {
  const p = server.status?.runtime?.['provider'];
  return typeof p === 'string' ? p : undefined;
}

/** True when the object carries the reconciler's finalizer (so the runtime may hold something). */
export function hasFinalizer(server: MCPServer): boolean {
  return server.metadata.finalizers?.includes(RECONCILER_FINALIZER) ?? false;
}

/**
 * Decides what to do with server `name`; `server` undefined means the registry no longer has it.
 * @example
 * decide(draftServer, { providers: [local] })
 * // { kind: 'retire', cause: 'not-deployed', reason: "lifecycle stage 'draft' is not deployed; …", … }
 */
export function decide(name: string, server: MCPServer | undefined, ctx: DecideContext): Decision {
  const all = [...ctx.providers];
  if (server === undefined) {
    return {
      kind: 'retire',
      cause: 'orphan',
      reason: `MCPServer "${name}" is not in the registry; retiring anything a runtime still runs for it`,
      retireFrom: all,
      removeFinalizer: false,
    };
  }
  const { spec } = server;
  if (ctx.environment !== undefined && spec.environment !== ctx.environment) {
    return {
      kind: 'skip',
      cause: 'other-environment',
      reason: `environment '${spec.environment}' is served by another reconciler (this one serves '${ctx.environment}')`,
    };
  }
  const finalized = hasFinalizer(server);
  if (server.metadata.deletionTimestamp !== undefined) {
    if (!finalized) return { kind: 'skip', cause: 'nothing', reason: 'being deleted and holds no Berth finalizer: nothing to clean up' };
    return {
      kind: 'retire',
      cause: 'deleted',
      reason: `deleted at ${server.metadata.deletionTimestamp}; retiring its runtime, then removing the finalizer`,
      retireFrom: all,
      removeFinalizer: true,
    };
  }
  const gate = mayRun(server, spec.environment, ctx.now);
  const approval = approvalOf(gate);
  if (gate.reason === Reason.LifecycleRetired) {
    return {
      kind: 'retire',
      cause: 'retired',
      reason: `${gate.message}; the manifest stays`,
      retireFrom: finalized ? all : [],
      removeFinalizer: finalized,
      approval,
    };
  }
  if (!gate.allowed) {
    return {
      kind: 'retire',
      cause: 'not-deployed',
      reason: gate.message,
      retireFrom: finalized ? all : [],
      removeFinalizer: finalized,
      approval,
    };
  }
  const failure = recordedTerminalFailure(server);
  if (failure !== undefined && failure.generation === server.metadata.generation && failure.restartedAt === restartMarkerOf(server)) {
    return {
      kind: 'skip',
      cause: 'blocked',
      reason: `generation ${failure.generation} failed permanently (${failure.code}: ${failure.message}); change the manifest or run \`berth rollout restart server ${name}\` to try again`,
    };
  }
  const provider = all.find((p) => p.handles(spec));
  if (provider === undefined) {
    const names = all.map((p) => p.name).join(', ') || 'none';
    const what = spec.remote !== undefined ? 'spec.remote' : spec.runtime?.local !== undefined ? 'spec.runtime.local' : 'spec.runtime without spec.runtime.local';
    return {
      kind: 'retire',
      cause: 'not-deployed',
      reason: `no runtime provider of this reconciler (${names}) handles ${what}; add spec.runtime.local to run it locally, or run a reconciler with a provider for it`,
      retireFrom: finalized ? all : [],
      removeFinalizer: finalized,
      approval,
    };
  }
  const previous = recordedProvider(server);
  const retireFrom = previous !== undefined && previous !== provider.name ? all.filter((p) => p.name === previous) : [];
  return {
    kind: 'deploy',
    reason: `${approval.message}; runtime '${provider.name}' handles it`,
    provider,
    approval,
    retireFrom,
  };
}

/** The Approved condition a lifecycle verdict implies. */
function approvalOf(gate: LifecycleVerdict): Approval {
  return { status: gate.allowed ? 'True' : 'False', reason: gate.reason, message: gate.message };
}
