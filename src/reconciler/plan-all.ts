/**
 * The core of `berth plan`: what the reconciler would do now for every server,
 * with reasons. Reads only — observes through the providers and lists the
 * registry; never applies, never writes.
 */
import type { Environment, MCPServer } from '../manifest/types.ts';
import type { RuntimeProvider } from '../providers/provider.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import { decide } from './decide.ts';
import { actionCount, explain, planServer, planToJson, providersToObserve, type ServerPlan, type ServerPlanJson } from './plan.ts';

/** Every server's plan, and the ways to print it. */
export interface PlanReport {
  plans: ServerPlan[];
  /** Servers with at least one action. */
  changes: number;
  /** Human-readable, Terraform style. */
  text(): string;
  /** Machine-readable (`-o json`). */
  json(): { environment?: Environment; changes: number; servers: ServerPlanJson[] };
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
  for (const p of providers) for (const name of await p.listManaged(signal)) if (!known.has(name)) orphans.add(name);
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
        batch.map(async ([name, server]) => {
          const decision = decide(name, server, ctx);
          const observed = new Map<string, unknown>();
          for (const p of providersToObserve(decision)) {
            try {
              observed.set(p.name, await p.observe(name, signal));
            } catch (err) {
              throw new Error(`observing MCPServer "${name}" through the ${p.name} runtime`, { cause: err });
            }
          }
          return planServer(name, server, decision, observed);
        }),
      )),
    );
  }
  const changes = plans.filter((p) => actionCount(p) > 0).length;
  return {
    plans,
    changes,
    text() {
      if (plans.length === 0) return 'No MCPServers in the registry and nothing left running.\n';
      const body = plans.map(explain).join('\n\n');
      const skipped = plans.filter((p) => p.decision.kind === 'skip').length;
      return `${body}\n\nPlan: ${changes} of ${plans.length} server(s) to change, ${skipped} skipped${environment ? ` (environment ${environment})` : ''}.\n`;
    },
    json() {
      return { ...(environment !== undefined ? { environment } : {}), changes, servers: plans.map(planToJson) };
    },
  };
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
