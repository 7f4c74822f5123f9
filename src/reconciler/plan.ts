/**
 * The combined plan for one server: the reconciler's decision (`decide.ts`) and
 * then each provider's own pure plan over what it observed. Pure: the caller
 * observes, this only computes. Used by `reconcile` to act and by `berth plan`
 * to print (`explain`).
 */
import type { MCPServer } from '../manifest/types.ts';
import type { DesiredServer, Plan, PlannedAction, RuntimeProvider } from '../providers/provider.ts';
import type { Decision } from './decide.ts';
import { applyDefaults } from '../manifest/defaults.ts';
import { specHash } from '../manifest/spec-hash.ts';
import { restartMarkerOf } from '../manifest/restart.ts';

/** Annotation naming the folder a relative `runtime.local.cwd` starts from, instead of the folder Berth runs in. Berth never sets it. */
export const SOURCE_DIR_ANNOTATION = 'berth.dev/source-dir';

/** One provider's part of a server's plan. */
export interface ProviderStep {
  provider: RuntimeProvider;
  /** `deploy` makes the runtime match the spec; `retire` removes everything. */
  purpose: 'deploy' | 'retire';
  plan: Plan;
}

/** Everything that would happen to one server now, and why. */
export interface ServerPlan {
  name: string;
  /** Generation of the stored object; absent for orphans. */
  generation?: number;
  decision: Decision;
  /** What the deploy provider is asked for (deploy decisions only). */
  desired?: DesiredServer;
  /** Retirements first, then the deploy, in the order they are carried out. */
  steps: ProviderStep[];
  /** `berth plan` only: why this server could not be planned (observing or planning failed). */
  error?: string;
  /** `berth plan` only: the provider is blocked (a foreign resource, a failed rollout, a held retirement): its actions would not run or not get there. */
  blocked?: { phase: string; reason: string; message: string };
  /**
   * `berth plan` only: the actions only resume watching what a reconciler already
   * converged (see PlannedAction.bookkeeping), so they are no change.
   */
  settled?: boolean;
}

/**
 * The provider input for a stored server.
 * @example toDesired(server).specHash // sha256 hex of the canonical spec, defaults applied
 */
export function toDesired(server: MCPServer): DesiredServer {
  const sourceDir = server.metadata.annotations?.[SOURCE_DIR_ANNOTATION];
  // The registry stores specs with defaults; applying them again is a no-op there and
  // makes hashes agree for objects that did not pass through it.
  const spec = applyDefaults(server).spec;
  const restartedAt = restartMarkerOf(server);
  return {
    name: server.metadata.name,
    generation: server.metadata.generation ?? 1,
    spec,
    specHash: specHash(spec),
    ...(sourceDir !== undefined ? { sourceDir } : {}),
    ...(restartedAt !== undefined ? { restartedAt } : {}),
  };
}

/** Providers whose observation `planServer` needs for `decision`, in step order. */
export function providersToObserve(decision: Decision): RuntimeProvider[] {
  if (decision.kind === 'skip') return [];
  if (decision.kind === 'retire') return decision.retireFrom;
  return [...decision.retireFrom, decision.provider];
}

/**
 * Computes the server's plan from its decision and the providers' observations
 * (keyed by provider name; see {@link providersToObserve}). Pure.
 * A provider missing from `observed` is planned against `undefined`.
 */
export function planServer(name: string, server: MCPServer | undefined, decision: Decision, observed: ReadonlyMap<string, unknown>): ServerPlan {
  const base: ServerPlan = { name, decision, steps: [], ...(server?.metadata.generation !== undefined ? { generation: server.metadata.generation } : {}) };
  if (decision.kind === 'skip') return base;
  const steps: ProviderStep[] = decision.retireFrom.map((provider) => ({
    provider,
    purpose: 'retire' as const,
    plan: provider.plan(undefined, observed.get(provider.name)),
  }));
  if (decision.kind === 'deploy' && server !== undefined) {
    const desired = toDesired(server);
    steps.push({ provider: decision.provider, purpose: 'deploy', plan: decision.provider.plan(desired, observed.get(decision.provider.name)) });
    return { ...base, desired, steps };
  }
  return { ...base, steps };
}

/** Total number of actions in a plan. 0 means the runtime already matches. */
export function actionCount(plan: ServerPlan): number {
  return plan.steps.reduce((n, s) => n + s.plan.actions.length, 0);
}

/** True when `berth plan` counts the server as one that would change: it could be planned, nothing blocks it, and its actions do more than resume watching. */
export function hasChanges(plan: ServerPlan): boolean {
  return plan.error === undefined && plan.blocked === undefined && plan.settled !== true && actionCount(plan) > 0;
}

/** JSON shape of one server's plan, as `berth plan -o json` prints it. */
export interface ServerPlanJson {
  name: string;
  generation?: number;
  decision: { kind: Decision['kind']; cause?: string; provider?: string; reason: string };
  /** no-changes, changes, blocked (nothing the plan does gets there), error (could not be planned). */
  result: 'no-changes' | 'changes' | 'blocked' | 'error';
  actions: Array<{ provider: string; op: string; resource: string; reason: string; bookkeeping?: true }>;
  error?: string;
  blocked?: { phase: string; reason: string; message: string };
}

/** The one-word result of a server's plan (`-o json`'s `result`). */
export function planResult(plan: ServerPlan): ServerPlanJson['result'] {
  if (plan.error !== undefined) return 'error';
  if (plan.blocked !== undefined) return 'blocked';
  return hasChanges(plan) ? 'changes' : 'no-changes';
}

/** The JSON form of a plan (no functions, no provider objects). */
export function planToJson(plan: ServerPlan): ServerPlanJson {
  const d = plan.decision;
  return {
    name: plan.name,
    ...(plan.generation !== undefined ? { generation: plan.generation } : {}),
    decision: {
      kind: d.kind,
      ...(d.kind !== 'deploy' ? { cause: d.cause } : { provider: d.provider.name }),
      reason: d.reason,
    },
    result: planResult(plan),
    actions: plan.steps.flatMap((s) => s.plan.actions.map((a: PlannedAction) => ({ provider: s.provider.name, op: a.op, resource: a.resource, reason: a.reason, ...(a.bookkeeping ? { bookkeeping: true as const } : {}) }))),
    ...(plan.error !== undefined ? { error: plan.error } : {}),
    ...(plan.blocked !== undefined ? { blocked: plan.blocked } : {}),
  };
}

/**
 * Renders one server's plan for people, Terraform style:
 * @example
 * explain(plan)
 * // MCPServer/weather (generation 3): deploy with local
 * //   why: lifecycle stage 'approved-dev' allows deployment to dev; runtime 'local' handles it
 * //   ~ restart process weather: env changed (LOG_LEVEL)
 * A server that could not be planned gets one `! can't be planned: …` line; a
 * blocked one (Conflict, Degraded with nothing to do) a `! blocked …` line,
 * never "no changes". In a settled plan, actions that only resume watching are marked `=`.
 */
export function explain(plan: ServerPlan): string {
  const d = plan.decision;
  const gen = plan.generation !== undefined ? ` (generation ${plan.generation})` : '';
  const lines = [`MCPServer/${plan.name}${gen}: ${headline(d)}`, `  why: ${d.reason}`];
  const count = actionCount(plan);
  if (plan.error !== undefined) {
    lines.push(`  ! can't be planned: ${plan.error}`);
    return lines.join('\n');
  }
  if (plan.blocked !== undefined) lines.push(`  ! blocked (${plan.blocked.phase}, ${plan.blocked.reason}): ${plan.blocked.message}`);
  else if (d.kind === 'deploy' && count === 0) lines.push('  no changes: the runtime already matches');
  else if (plan.settled === true) lines.push('  no changes: the runtime already matches; a reconciler that starts now only resumes watching it');
  if (d.kind === 'retire' && count === 0) lines.push('  nothing to remove: no runtime holds anything for it');
  for (const step of plan.steps) {
    for (const a of step.plan.actions) lines.push(`  ${plan.settled === true && a.bookkeeping ? '=' : symbolFor(a.op)} ${a.op} ${a.resource} [${step.provider.name}]: ${a.reason}`);
  }
  return lines.join('\n');
}

function headline(d: Decision): string {
  if (d.kind === 'deploy') return `deploy with ${d.provider.name}`;
  if (d.kind === 'skip') return `skip (${d.cause})`;
  switch (d.cause) {
    case 'not-deployed':
      return 'not deployed';
    case 'retired':
      return 'retire (lifecycle retired)';
    case 'deleted':
      return 'retire (being deleted)';
    case 'orphan':
      return 'retire orphan (not in the registry)';
  }
}

function symbolFor(op: string): string {
  if (/^(create|start|register|add|put|track)/.test(op)) return '+';
  if (/^(delete|stop|remove|deregister|retire|kill|untrack)/.test(op)) return '-';
  if (/^(wait|observe|check)/.test(op)) return '…';
  return '~';
}
