/**
 * The core of `berth plan`: what the reconciler would do now for every server,
 * with reasons. Reads only — observes through the providers and lists the
 * registry; never applies, never writes.
 */
import type { Environment, MCPServer } from '../manifest/types.ts';
import type { RuntimeProvider } from '../providers/provider.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import { describeError } from '../kit/errors.ts';
import { Reason } from '../manifest/conditions.ts';
import { decide, type Decision } from './decide.ts';
import { actionCount, explain, hasChanges, planServer, planToJson, providersToObserve, type ServerPlan, type ServerPlanJson } from './plan.ts';

/** Every server's plan, and the ways to print it. */
export interface PlanReport {
  plans: ServerPlan[];
  /** Servers with at least one action that changes something (see `hasChanges`). */
  changes: number;
  /** Servers a provider is blocked on (Conflict, or Degraded with nothing to do). */
  blocked: number;
  /** Servers that could not be planned (each with its own error line), plus runtimes that could not list what they hold. */
  errors: number;
  /** Why a runtime could not list what it holds (orphans), one line each. */
  listingErrors: string[];
  /** Human-readable, Terraform style. */
  text(): string;
  /** Machine-readable (`-o json`). */
  json(): { environment?: Environment; changes: number; blocked: number; errors: number; servers: ServerPlanJson[]; listingErrors?: string[] };
}

/** How many servers are observed at once. */
const OBSERVE_CONCURRENCY = 8;

/**
 * Plans every MCPServer in the registry, and every name a provider still holds
 * that the registry no longer has (orphans).
 * @example
 * const report = await planAll(registry, [local, remote], 'dev');
 * process.stdout.write(report.text());
 */
export async function planAll(
  registry: Pick<RegistryClient, 'list'>,
  providers: readonly RuntimeProvider[],
  environment?: Environment,
  signal?: AbortSignal,
): Promise<PlanReport> {
  const servers = await listAll(registry);
  const known = new Set(servers.map((s) => s.metadata.name));
  const orphans = new Set<string>();
  // A runtime that can't list what it holds still lets every server be planned; the failure is an error of its own.
  const listingErrors: string[] = [];
  for (const p of providers) {
    try {
      for (const name of await p.listManaged(signal)) if (!known.has(name)) orphans.add(name);
    } catch (err) {
      if (signal?.aborted) throw err;
      listingErrors.push(`can't list what the ${p.name} runtime holds (orphans may be missing from this plan): ${describeError(err)}`);
    }
  }
  const targets: Array<[string, MCPServer | undefined]> = [
    ...servers.map((s): [string, MCPServer] => [s.metadata.name, s]),
    ...[...orphans].sort().map((n): [string, undefined] => [n, undefined]),
  ];
  const ctx = { providers, now: new Date(), ...(environment !== undefined ? { environment } : {}) };
  const plans: ServerPlan[] = [];
  for (let i = 0; i < targets.length; i += OBSERVE_CONCURRENCY) {
    const batch = targets.slice(i, i + OBSERVE_CONCURRENCY);
    plans.push(
      ...(await Promise.all(
        batch.map(([name, server]) => planOne(name, server, decide(name, server, ctx), signal)),
      )),
    );
  }
  const changes = plans.filter(hasChanges).length;
  const blocked = plans.filter((p) => p.error === undefined && p.blocked !== undefined).length;
  const errors = plans.filter((p) => p.error !== undefined).length + listingErrors.length;
  return {
    plans,
    changes,
    blocked,
    errors,
    listingErrors,
    text() {
      const listed = listingErrors.map((e) => `! ${e}\n`).join('');
      if (plans.length === 0) return `${listed}No MCPServers in the registry and nothing left running.\n`;
      const body = [...plans.map(explain), ...(listed !== '' ? [listed.trimEnd()] : [])].join('\n\n');
      const skipped = plans.filter((p) => p.decision.kind === 'skip').length;
      const trouble = `${blocked > 0 ? `, ${blocked} blocked` : ''}${errors > 0 ? `, ${errors} can't be planned` : ''}`;
      return `${body}\n\nPlan: ${changes} of ${plans.length} server(s) to change, ${skipped} skipped${trouble}${environment ? ` (environment ${environment})` : ''}.\n`;
    },
    json() {
      return { ...(environment !== undefined ? { environment } : {}), changes, blocked, errors, servers: plans.map(planToJson), ...(listingErrors.length > 0 ? { listingErrors } : {}) };
    },
  };
}

/**
 * One server's plan. A failure to observe or plan it becomes its own `error`
 * (the other servers are still planned). `blocked`: a deploy the provider
 * assesses as Conflict, or Degraded with nothing to do; a generation that failed
 * permanently; a retirement held until an operator acts. `settled`: actions
 * that only resume watching what the reconciler already converged.
 */
async function planOne(name: string, server: MCPServer | undefined, decision: Decision, signal?: AbortSignal): Promise<ServerPlan> {
  if (decision.kind === 'skip' && decision.cause === 'blocked') {
    // A generation that failed permanently: nothing happens until the manifest changes.
    const base = planServer(name, server, decision, new Map());
    return { ...base, blocked: { phase: 'Degraded', reason: Reason.ProviderError, message: 'failed permanently at this generation (see why); nothing is tried until the manifest changes' } };
  }
  const observed = new Map<string, unknown>();
  let plan: ServerPlan;
  try {
    for (const p of providersToObserve(decision)) {
      try {
        observed.set(p.name, await p.observe(name, signal));
      } catch (err) {
        throw new Error(`observing it through the ${p.name} runtime`, { cause: err });
      }
    }
    plan = planServer(name, server, decision, observed);
  } catch (err) {
    if (signal?.aborted) throw err;
    return { name, decision, steps: [], error: describeError(err), ...(server?.metadata.generation !== undefined ? { generation: server.metadata.generation } : {}) };
  }
  if (decision.kind === 'retire') return heldRetirement(plan, observed);
  const desired = plan.desired;
  if (decision.kind !== 'deploy' || desired === undefined) return plan;
  const deploy = plan.steps.find((s) => s.purpose === 'deploy')!;
  try {
    const state = await decision.provider.assess(desired, observed.get(decision.provider.name));
    const nothingToDo = deploy.plan.actions.length === 0;
    if (state.phase === 'Conflict' || (state.phase === 'Degraded' && nothingToDo)) {
      plan = { ...plan, blocked: { phase: state.phase, reason: state.reason, message: state.message } };
    }
  } catch (err) {
    return { ...plan, error: `assessing it: ${describeError(err)}` };
  }
  const onlyResumes = actionCount(plan) > 0 && plan.steps.every((s) => s.plan.actions.every((a) => a.bookkeeping === true));
  const status = server?.status;
  const converged = status?.observedGeneration === desired.generation && status.runtime?.['provider'] === decision.provider.name && status.phase !== 'Degraded';
  return onlyResumes && converged ? { ...plan, settled: true } : plan;
}

async function listAll(registry: Pick<RegistryClient, 'list'>): Promise<MCPServer[]> {
  const items: MCPServer[] = [];
  let cont: string | undefined;
  do {
    const page = await registry.list('MCPServer', cont !== undefined ? { continue: cont } : {});
    items.push(...page.items);
    cont = page.continue;
  } while (cont !== undefined);
  return items;
}

/** A retirement a provider holds until an operator acts (the ECS mass-deletion guard) is blocked, not a change. */
async function heldRetirement(plan: ServerPlan, observed: ReadonlyMap<string, unknown>): Promise<ServerPlan> {
  for (const step of plan.steps) {
    if (step.plan.actions.length === 0) continue;
    try {
      const state = await step.provider.assess(undefined, observed.get(step.provider.name));
      if (state.reason === Reason.MassDeletionGuard) return { ...plan, blocked: { phase: 'Held', reason: state.reason, message: state.message } };
    } catch {
      // Assessing is only for this note; the plan stands without it.
    }
  }
  return plan;
}
