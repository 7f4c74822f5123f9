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
  return {
    name: server.metadata.name,
    generation: server.metadata.generation ?? 1,
    spec,
    specHash: specHash(spec),
    ...(sourceDir !== undefined ? { sourceDir } : {}),
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

/** JSON shape of one server's plan, as `berth plan -o json` prints it. */
export interface ServerPlanJson {
  name: string;
  generation?: number;
  decision: { kind: Decision['kind']; cause?: string; provider?: string; reason: string };
  actions: Array<{ provider: string; op: string; resource: string; reason: string }>;
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
    actions: plan.steps.flatMap((s) => s.plan.actions.map((a: PlannedAction) => ({ provider: s.provider.name, op: a.op, resource: a.resource, reason: a.reason }))),
  };
}

/**
 * Renders one server's plan for people, Terraform style:
 * @example
 * explain(plan)
 * // MCPServer/weather (generation 3): deploy with local
 * //   why: lifecycle stage 'approved-dev' allows deployment to dev; runtime 'local' handles it
 * //   ~ restart process weather: env changed (LOG_LEVEL)
 */
export function explain(plan: ServerPlan): string {
  const d = plan.decision;
  const gen = plan.generation !== undefined ? ` (generation ${plan.generation})` : '';
  const lines = [`MCPServer/${plan.name}${gen}: ${headline(d)}`, `  why: ${d.reason}`];
  const count = actionCount(plan);
  if (d.kind === 'deploy' && count === 0) lines.push('  no changes: the runtime already matches');
  if (d.kind === 'retire' && count === 0) lines.push('  nothing to remove: no runtime holds anything for it');
  for (const step of plan.steps) {
    for (const a of step.plan.actions) lines.push(`  ${symbolFor(a.op)} ${a.op} ${a.resource} [${step.provider.name}]: ${a.reason}`);
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
