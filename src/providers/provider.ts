/**
 * The runtime provider interface: the reconciler's only view of a runtime.
 * Designed for runtimes that converge slowly and fail partially (ECS): a
 * provider observes, plans purely, applies step by step, and reports where the
 * runtime stands so the reconciler can write status and decide when to look again.
 *
 * Contract, in reconcile order:
 * 1. `observe(name)` reads what the runtime has for this server. Reads only.
 * 2. `plan(desired, observed)` is PURE: same inputs, same plan. `desired`
 *    undefined means retire everything the provider owns for that server.
 *    Every action carries a human-readable `reason` (printed by `berth plan`).
 *    An empty action list means the runtime already matches.
 * 3. `apply(plan)` carries the actions out in order. It may stop early (a step
 *    waits on the outside world) and says so with `requeueAfterMs`. It must be safe
 *    to call again after a crash at any point: re-observing and re-planning
 *    converges without duplicates.
 * 4. `assess(desired, observed)` turns an observation into a {@link RuntimeState}
 *    for status (pure).
 * Errors: throw {@link ProviderError}; `retryable: false` means "don't retry until
 * the spec changes" (recorded as Degraded, not retried).
 *
 * @example
 * const observed = await provider.observe('weather');
 * const plan = provider.plan(target, observed);
 * for (const a of plan.actions) console.log(`${a.op} ${a.resource}: ${a.reason}`);
 * const outcome = await provider.apply(plan);
 */
import type { Retryability } from '../kit/errors.ts';
import type { MCPServerSpec, DiscoveredTool } from '../manifest/types.ts';

/** What the provider is asked to make real for one server. */
export interface DesiredServer {
  name: string;
  generation: number;
  /** Spec with defaults applied. */
  spec: MCPServerSpec;
  /** sha256 hex of the canonical spec; providers tag resources with it. */
  specHash: string;
  /** Folder of the manifest, for resolving `runtime.local.cwd`; absent when unknown. */
  sourceDir?: string;
  /**
   * Restart marker (`berth.dev/restartedAt`, see src/manifest/restart.ts). Providers
   * treat a change of it like a change of how the server runs: they replace what runs.
   */
  restartedAt?: string;
}

/** One step of a plan. Providers extend it with the data they need to carry it out. */
export interface PlannedAction {
  /** Verb, e.g. create, update, delete, start, stop, register, wait. */
  op: string;
  /** What it acts on, e.g. "process weather", "ecs service berth-weather". */
  resource: string;
  /** Why, in words a person understands: "image changed from a:1 to a:2". */
  reason: string;
  /**
   * True when carrying it out changes nothing outside Berth: it only resumes
   * watching what already runs (adopt a healthy process another Berth process
   * started, start health-checking a remote server). `berth plan` does not count
   * it as a change for a server whose status says this generation already converged.
   */
  bookkeeping?: true;
}

/** An ordered list of actions for one server. */
export interface Plan<A extends PlannedAction = PlannedAction> {
  server: string;
  actions: A[];
}

/** Where the runtime stands for a server, as status wants to say it. */
export interface RuntimeState {
  /**
   * Absent: nothing exists. Progressing: converging. Ready: serving and healthy.
   * Degraded: failed and not converging by itself. Conflict: blocked by a resource that isn't ours.
   */
  phase: 'Absent' | 'Progressing' | 'Ready' | 'Degraded' | 'Conflict';
  /** CamelCase reason (see manifest/conditions.ts). */
  reason: string;
  message: string;
  /** URL the gateway should forward MCP traffic to, once Ready. */
  endpoint?: string;
  /** Tools found by MCP tools/list, when the provider could ask. */
  tools?: DiscoveredTool[];
  health?: { status: 'Healthy' | 'Unhealthy' | 'Unknown'; lastChecked?: string; message?: string };
  /** Ask to be reconciled again after this long (polling a rollout, waiting on a restart). */
  requeueAfterMs?: number;
  /** Provider-specific facts for status.runtime (ARNs, rollout, last error). */
  details?: Record<string, unknown>;
  /** Things changed outside Berth that this observation found (reported and then corrected). */
  drift?: string[];
}

/** Result of carrying out a plan. */
export interface ApplyOutcome<A extends PlannedAction = PlannedAction> {
  /** Actions actually carried out, with what happened: created / updated / deleted / unchanged. */
  done: Array<{ action: A; result: string }>;
  /** When set, the plan stopped early and should be looked at again after this long. */
  requeueAfterMs?: number;
  /**
   * Why the provider held (part of) the plan back, in words for status, e.g. a
   * guard that refuses to retire more servers this minute. Absent normally.
   */
  note?: string;
  /**
   * Set when the provider holds a retirement until an operator acts (the ECS
   * mass-deletion guard): says why and how to release it. Status shows it as the
   * RetirementHeld condition. Absent normally.
   */
  held?: string;
}

/** A runtime: local processes, ECS, a remote host. */
export interface RuntimeProvider<O = unknown, A extends PlannedAction = PlannedAction> {
  /** "local", "remote", "ecs". */
  readonly name: string;
  /** True when this provider handles the spec (e.g. remote handles spec.remote). */
  handles(spec: MCPServerSpec): boolean;
  observe(name: string, signal?: AbortSignal): Promise<O>;
  plan(desired: DesiredServer | undefined, observed: O): Plan<A>;
  apply(plan: Plan<A>, signal?: AbortSignal): Promise<ApplyOutcome<A>>;
  assess(desired: DesiredServer | undefined, observed: O): RuntimeState | Promise<RuntimeState>;
  /** Names of servers this provider holds anything for (finds orphans after a crash). */
  listManaged(signal?: AbortSignal): Promise<string[]>;
  /** Stops background work; the local provider stops every child process it started. */
  close(): Promise<void>;
}

/** An error from a runtime, with the runtime's own code when it had one. */
export class ProviderError extends Error implements Retryability {
  override readonly name = 'ProviderError';
  /** e.g. AWS error code "ServiceNotActiveException", or "spawn_failed". */
  readonly code: string;
  /** False: retrying won't help until the spec changes. */
  readonly retryable: boolean;
  constructor(message: string, opts: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.code = opts.code;
    this.retryable = opts.retryable ?? true;
  }
}
