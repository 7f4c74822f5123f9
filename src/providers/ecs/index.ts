/**
 * The ECS runtime: makes AWS (ECS Fargate, an ALB listener rule and target
 * group, a Route 53 alias) match each MCPServer, through SDK clients the
 * caller builds (the CLI from the default credential chain; tests from the
 * AWS fake). Everything Berth creates is tagged in its create call; anything
 * without Berth's tags is never modified or deleted.
 *
 * @example
 * const ecs = createEcsProvider({ clients: { ecs, elbv2, route53 }, config, logger });
 * const observed = await ecs.observe('weather');
 * const plan = ecs.plan(desired, observed);   // [{ op: 'create', resource: 'target group b-weather-3f9a1c', reason: 'does not exist' }, …]
 * const outcome = await ecs.apply(plan);       // { done: [...], requeueAfterMs? }
 * ecs.assess(desired, await ecs.observe('weather')); // { phase: 'Progressing', reason: 'RollingOut', requeueAfterMs: 10000, … }
 *
 * May import: providers, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
import type { Logger } from 'pino';
import type { MCPServerSpec } from '../../manifest/types.ts';
import type { ApplyOutcome, DesiredServer, Plan, RuntimeProvider, RuntimeState } from '../provider.ts';
import { applyEcs } from './apply.ts';
import { assessEcs } from './assess.ts';
import { AwsView, type EcsClients } from './aws-view.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { KeyedLock } from '../../kit/keyed-lock.ts';
import { observeServer, type ObserveMemory } from './observe.ts';
import { serviceName } from './naming.ts';
import { managedServer, parseOwnershipRecord } from './ownership.ts';
import { planEcs } from './plan.ts';
import { attachRateLimiter, RateLimiter, type BucketLimit } from './rate-limit.ts';
import type { ServerLogs } from '../server-logs.ts';
import { ecsServerLogs } from './log-reader.ts';
import { TagResourceCommand } from '@aws-sdk/client-ecs';
import { formatHold, HOLD_TAG, parseHold, RetirementGuard, type HoldRecord } from './retirement-guard.ts';
import type { EcsAction, EcsObservation } from './types.ts';

export type { EcsAction, EcsObservation } from './types.ts';
export type { EcsClients } from './aws-view.ts';
export { parseEcsEnvironment, EcsConfigError, type EcsEnvironmentConfig } from './config.ts';
export type { BucketLimit } from './rate-limit.ts';
export { ecsServerLogs, type EcsLogReaderOptions } from './log-reader.ts';
export { createAwsSecretResolver, parseAwsSecretReference, type AwsSecretReference, type AwsSecretResolverOptions, type SecretClients } from './secret-resolver.ts';

/** Options of {@link createEcsProvider}. */
export interface EcsProviderOptions {
  clients: EcsClients;
  config: EcsEnvironmentConfig;
  logger?: Logger;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** Waits `ms` (the rate limiter); default a real timer. Tests pass one that moves a simulated clock. */
  delay?: (ms: number) => Promise<void>;
  /** How long a shared listing serves every server's observation. Default 5 s. */
  cacheTtlMs?: number;
  /** Client-side bucket limits; default the documented ones with a margin (see rate-limit.ts). */
  rateLimits?: Record<string, BucketLimit>;
  /** Set false to leave the clients' middleware alone (e.g. clients shared with another limiter). Default true. */
  rateLimit?: boolean;
}

/**
 * The ECS provider; `limiter` is exposed for benchmarks that print the limits in force.
 * It reads servers' output from CloudWatch Logs (log-reader.ts) when its clients include `logs`.
 */
export interface EcsProvider extends RuntimeProvider<EcsObservation, EcsAction>, ServerLogs {
  readonly limiter: RateLimiter;
}

/** Creates the ECS provider. Nothing is read until the reconciler asks. */
export function createEcsProvider(opts: EcsProviderOptions): EcsProvider {
  const now = opts.now ?? Date.now;
  const delay = opts.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.()));
  const config = opts.config;
  const limiter = new RateLimiter({ now, delay }, opts.rateLimits);
  if (opts.rateLimit !== false) {
    attachRateLimiter(opts.clients.ecs, limiter);
    attachRateLimiter(opts.clients.elbv2, limiter);
    attachRateLimiter(opts.clients.route53, limiter);
  }
  const view = new AwsView(opts.clients, config, now, opts.cacheTtlMs ?? 5_000);
  const memory: ObserveMemory = { createdAt: new Map(), lastError: new Map(), healthyDeployments: new Set(), lastTargetHealth: new Map() };
  // One apply at a time per server, whatever the caller does.
  const serverLock = new KeyedLock();
  // Rule placement, one at a time per load balancer: see createListenerRule in apply-listener-rule.ts.
  const placementLock = new KeyedLock();
  const guard = new RetirementGuard({
    maxPerWindow: config.maxRetirementsPerMinute,
    ...(config.maxRetirementFraction !== undefined ? { maxFraction: config.maxRetirementFraction } : {}),
    now,
    where: `environment "${config.environment}"`,
  });
  // The hold tag each server's service carried when last observed (see holdRetirement).
  const observedHolds = new Map<string, string | undefined>();

  /**
   * The mass-deletion guard (retirement-guard.ts) in front of every retirement:
   * undefined lets the plan run; otherwise nothing is done and the outcome says
   * why and when to look again. Deploy plans pass and end any retirement record.
   */
  async function holdRetirement(plan: Plan<EcsAction>): Promise<ApplyOutcome<EcsAction> | undefined> {
    if (!plan.actions.some((a) => a.retiring)) {
      guard.forget(plan.server);
      return undefined;
    }
    // Waiting on a service that is already draining destroys nothing: never held.
    if (plan.actions.every((a) => a.kind === 'wait')) return undefined;
    const recorded = parseHold(observedHolds.get(plan.server));
    if (recorded !== undefined && guard.restoreHold(plan.server, recorded) === 'released' && guard.holdOf(plan.server) === undefined) {
      opts.logger?.info({ server: plan.server, hold: recorded }, 'mass-deletion guard: the hold recorded on this server was released by a raised or removed maxRetirementFraction');
    }
    const admission = guard.admit(plan.server);
    if (admission.admitted) return undefined;
    opts.logger?.warn({ server: plan.server, retryAfterMs: admission.retryAfterMs, ...(admission.hold ? { hold: admission.hold } : {}) }, admission.reason);
    if (admission.hold !== undefined) await recordHold(plan, admission.hold);
    const wait: EcsAction = { kind: 'wait', op: 'wait', resource: `retirement of ${plan.server}`, reason: admission.reason, waitMs: admission.retryAfterMs, retiring: true };
    return {
      done: [{ action: wait, result: 'held by the mass-deletion guard' }],
      requeueAfterMs: admission.retryAfterMs,
      note: admission.reason,
      ...(admission.hold !== undefined ? { held: admission.reason } : {}),
    };
  }

  /**
   * Writes the hold on the server's service, once, so a restarted reconciler
   * keeps holding. Without a service (already gone) the hold lives in memory
   * only. A failed write is logged: the hold still stands in this process.
   */
  async function recordHold(plan: Plan<EcsAction>, hold: HoldRecord): Promise<void> {
    const value = formatHold(hold);
    if (observedHolds.get(plan.server) === value) return;
    const svc = plan.actions.find((a): a is Extract<EcsAction, { kind: 'delete-service' }> => a.kind === 'delete-service');
    if (svc === undefined) return;
    try {
      await opts.clients.ecs.send(new TagResourceCommand({ resourceArn: svc.serviceArn, tags: [{ key: HOLD_TAG, value }] }));
      observedHolds.set(plan.server, value);
      view.serviceChanged(serviceName(plan.server));
    } catch (err) {
      opts.logger?.warn({ server: plan.server, err }, 'mass-deletion guard: could not record the hold on the service; it holds in this process only');
    }
  }

  return {
    name: 'ecs',
    limiter,
    readLogs: ecsServerLogs({ clients: opts.clients, config, now }).readLogs,
    handles(spec: MCPServerSpec): boolean {
      return spec.runtime !== undefined;
    },
    async observe(name: string, signal?: AbortSignal): Promise<EcsObservation> {
      const obs = await observeServer(name, { view, config, memory, now }, signal);
      observedHolds.set(name, obs.service?.tags[HOLD_TAG]);
      return obs;
    },
    plan(desired: DesiredServer | undefined, observed: EcsObservation): Plan<EcsAction> {
      return planEcs(desired, observed, config);
    },
    apply(plan: Plan<EcsAction>, signal?: AbortSignal): Promise<ApplyOutcome<EcsAction>> {
      return serverLock.run(plan.server, async () => {
        const held = await holdRetirement(plan);
        if (held !== undefined) return held;
        const outcome = await applyEcs(plan, { clients: opts.clients, view, config, memory, now, placementLock }, signal);
        opts.logger?.debug({ server: plan.server, done: outcome.done.length, requeueAfterMs: outcome.requeueAfterMs }, 'ecs plan applied');
        return outcome;
      });
    },
    assess(desired: DesiredServer | undefined, observed: EcsObservation): RuntimeState {
      return assessEcs(desired, observed, config);
    },
    async listManaged(): Promise<string[]> {
      const names = new Set<string>();
      const add = (n: string | undefined): void => {
        if (n !== undefined) names.add(n);
      };
      const [services, groups, records, ...rules] = await Promise.all([
        view.serviceNames(),
        view.targetGroups(),
        view.records(),
        ...config.listeners.map((l) => view.rules(l.arn)),
      ]);
      const holds = new Map<string, HoldRecord>();
      for (const svcName of services) {
        const svc = await view.service(svcName);
        if (svc === undefined || svc.status === 'INACTIVE') continue;
        const server = managedServer(svc.tags, config.installationId);
        add(server);
        const hold = parseHold(svc.tags[HOLD_TAG]);
        if (server !== undefined && hold !== undefined) holds.set(server, hold);
      }
      for (const tg of groups) add(managedServer(tg.tags, config.installationId));
      for (const rule of rules.flat()) add(managedServer(rule.tags, config.installationId));
      for (const rec of records) {
        const o = parseOwnershipRecord(rec);
        if (o !== undefined && o.installationId === config.installationId) add(o.server);
      }
      guard.noteFleet([...names], holds);
      return [...names].sort();
    },
    async close(): Promise<void> {
      // No background work: every call is made on the caller's behalf.
    },
  };
}
