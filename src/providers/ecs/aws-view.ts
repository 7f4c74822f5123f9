/**
 * Every AWS read the ECS provider makes, batched and cached per pass:
 * - services: DescribeServices with TAGS, 10 names per call, the names asked
 *   for at the same moment batched together and the rest of the call filled
 *   with other known services (service-reader.ts); a service in motion
 *   (rollout, draining, just written) is re-read on every pass; ListServices
 *   (100 per page) only to enumerate what Berth manages;
 * - target groups (400 per page) and rules per listener (400 per page), with
 *   tags from DescribeTags (20 per call) only for ARNs not seen before;
 * - Route 53 records of the zone (300 per page);
 * - task definitions by ARN (immutable, so cached for good) and the ACTIVE
 *   revisions of a family (cached until Berth registers or deregisters one).
 * A no-op resync of N servers thus costs about ⌈N/10⌉ DescribeServices + one
 * listing per listener / target-group page /
 * zone page, and no per-server call.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import { SharedLoad } from './cache.ts';
import { managedServer } from './ownership.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { canonicalConditions } from './render.ts';
import { ServiceReader } from './service-reader.ts';
export { inMotion } from './service-reader.ts';
import type { ObservedService, ObservedTaskDefinition, ObservedTargetGroup, ObservedRule, TargetHealthSummary } from './types.ts';

/** The SDK clients the provider talks through (the caller builds them). */
export interface EcsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  /** CloudWatch Logs, read by `berth logs` only (log-reader.ts); the reconciler never needs it. */
  logs?: CloudWatchLogsClient;
}

/** A rule as listed, before knowing whether it is ours. */
interface ListedRule extends ObservedRule {
  isDefault: boolean;
}

const SERVICE_PREFIX = 'berth-';
const TARGET_GROUP_PREFIX = 'b-';
/** How long the rule listing of a listener holding none of our rules is kept (see the constructor). */
const IDLE_LISTENER_TTL_MS = 5 * 60_000;

/** Cached, batched reads of one environment. One instance per provider. */
export class AwsView {
  readonly #c: EcsClients;
  readonly #config: EcsEnvironmentConfig;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #services: ServiceReader;
  readonly #serviceNames: SharedLoad<string[]>;
  readonly #targetGroups: SharedLoad<ObservedTargetGroup[]>;
  readonly #rules = new Map<string, SharedLoad<ListedRule[]>>();
  readonly #records: SharedLoad<ResourceRecordSet[]> | undefined;
  readonly #elbTags = new Map<string, Record<string, string>>();
  readonly #taskDefinitions = new Map<string, ObservedTaskDefinition>();
  readonly #families = new Map<string, SharedLoad<string[]>>();

  constructor(clients: EcsClients, config: EcsEnvironmentConfig, now: () => number, ttlMs: number) {
    this.#c = clients;
    this.#config = config;
    this.#now = now;
    this.#ttlMs = ttlMs;
    this.#services = new ServiceReader({ describe: (names) => this.#describeServices(names), now, ttlMs });
    this.#serviceNames = new SharedLoad(() => this.#listServiceNames(), now, ttlMs);
    this.#targetGroups = new SharedLoad(() => this.#loadTargetGroups(), now, ttlMs);
    // A listener holding none of this installation's rules has nothing Berth could shadow, correct or find in
    // conflict; its listing only feeds the rule quota when a new rule is placed. So it is read again less often
    // (a placement on it, or a rule created there, makes it one of ours at the normal TTL).
    const rulesTtl = (rules: ListedRule[]): number =>
      rules.some((r) => managedServer(r.tags, config.installationId) !== undefined) ? ttlMs : Math.max(ttlMs, IDLE_LISTENER_TTL_MS);
    for (const l of config.listeners) this.#rules.set(l.arn, new SharedLoad(() => this.#loadRules(l.arn), now, rulesTtl));
    const zone = config.hostedZoneId;
    this.#records = zone === undefined ? undefined : new SharedLoad(() => this.#loadRecords(zone), now, ttlMs);
  }

  // ─────────────── services ───────────────

  /** The service with this name (any status), undefined when DescribeServices says MISSING. */
  service(name: string, signal?: AbortSignal): Promise<ObservedService | undefined> {
    return this.#services.get(name, signal);
  }

  /** Names of every `berth-*` service listed in the cluster (ACTIVE ones only: ECS hides DRAINING). */
  async serviceNames(): Promise<string[]> {
    return this.#serviceNames.get();
  }

  /** Call after writing to a service. */
  serviceChanged(name: string): void {
    this.#services.changed(name);
  }

  async #listServiceNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#c.ecs.send(new ListServicesCommand({ cluster: this.#config.clusterArn, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      for (const arn of page.serviceArns ?? []) {
        const name = arn.split('/').pop() ?? '';
        if (name.startsWith(SERVICE_PREFIX)) names.push(name);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    this.#services.noteExisting(names);
    return names;
  }

  async #describeServices(names: string[]): Promise<Map<string, ObservedService>> {
    const out = new Map<string, ObservedService>();
    const batch = await this.#c.ecs.send(new DescribeServicesCommand({ cluster: this.#config.clusterArn, services: names, include: ['TAGS'] }));
    for (const svc of batch.services ?? []) {
      const o = toService(svc);
      out.set(o.name, o);
    }
    return out;
  }

  // ─────────────── task definitions ───────────────

  /** A task definition revision with its tags (revisions never change, so cached for good). */
  async taskDefinition(arn: string, signal?: AbortSignal): Promise<ObservedTaskDefinition | undefined> {
    const hit = this.#taskDefinitions.get(arn);
    if (hit !== undefined) return hit;
    try {
      const out = await this.#c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }), { abortSignal: signal });
      const td = out.taskDefinition;
      if (td?.taskDefinitionArn === undefined) return undefined;
      const observed: ObservedTaskDefinition = {
        arn: td.taskDefinitionArn,
        family: td.family ?? '',
        revision: td.revision ?? 0,
        status: td.status ?? 'ACTIVE',
        tags: Object.fromEntries((out.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
        ...(td.containerDefinitions?.[0]?.image !== undefined ? { image: td.containerDefinitions[0].image } : {}),
      };
      // Revisions are immutable; the only change (ACTIVE → INACTIVE) Berth makes itself and records.
      this.#taskDefinitions.set(arn, observed);
      return observed;
    } catch (err) {
      if ((err as { name?: string }).name === 'ClientException') return undefined;
      throw err;
    }
  }

  /** Records a revision Berth just registered (ACTIVE, the newest) or deregistered (INACTIVE). */
  rememberTaskDefinition(td: ObservedTaskDefinition): void {
    this.#taskDefinitions.set(td.arn, td);
    this.#families.get(td.family)?.update((arns) => (td.status === 'ACTIVE' ? [td.arn, ...arns.filter((a) => a !== td.arn)] : arns.filter((a) => a !== td.arn)));
  }

  /** ARNs of the family's ACTIVE revisions, newest first. */
  async familyRevisions(family: string): Promise<string[]> {
    let load = this.#families.get(family);
    if (load === undefined) {
      // Revisions change only through Berth's own writes (which invalidate), so keep them long.
      load = new SharedLoad(() => this.#loadFamily(family), this.#now, Math.max(this.#ttlMs, 30 * 60_000));
      this.#families.set(family, load);
    }
    return load.get();
  }

  async #loadFamily(family: string): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(page.taskDefinitionArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  // ─────────────── target groups ───────────────

  /** Every `b-*` target group of the account, with tags. */
  async targetGroups(): Promise<ObservedTargetGroup[]> {
    return this.#targetGroups.get();
  }

  /** Call after writing to a target group or its tags. */
  targetGroupsChanged(arn?: string): void {
    if (arn !== undefined) this.#elbTags.delete(arn);
    this.#targetGroups.invalidate();
  }

  async #loadTargetGroups(): Promise<ObservedTargetGroup[]> {
    const groups: TargetGroup[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#c.elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) }));
      for (const tg of page.TargetGroups ?? []) if ((tg.TargetGroupName ?? '').startsWith(TARGET_GROUP_PREFIX)) groups.push(tg);
      marker = page.NextMarker;
    } while (marker);
    await this.#loadTags(groups.map((g) => g.TargetGroupArn ?? ''));
    return groups.map((tg) => ({
      arn: tg.TargetGroupArn ?? '',
      name: tg.TargetGroupName ?? '',
      ...(tg.Protocol !== undefined ? { protocol: tg.Protocol } : {}),
      ...(tg.Port !== undefined ? { port: tg.Port } : {}),
      ...(tg.VpcId !== undefined ? { vpcId: tg.VpcId } : {}),
      ...(tg.TargetType !== undefined ? { targetType: tg.TargetType } : {}),
      healthCheck: {
        path: tg.HealthCheckPath ?? '/',
        intervalSeconds: tg.HealthCheckIntervalSeconds ?? 30,
        timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 5,
        healthyThreshold: tg.HealthyThresholdCount ?? 5,
        unhealthyThreshold: tg.UnhealthyThresholdCount ?? 2,
        matcher: tg.Matcher?.HttpCode ?? '200',
      },
      loadBalancerArns: tg.LoadBalancerArns ?? [],
      tags: this.#elbTags.get(tg.TargetGroupArn ?? '') ?? {},
    }));
  }

  /** Health of the targets of one group (read only while a rollout needs it). */
  async targetHealth(targetGroupArn: string, signal?: AbortSignal): Promise<TargetHealthSummary> {
    const out = await this.#c.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), { abortSignal: signal });
    const summary: TargetHealthSummary = { healthy: 0, unhealthy: 0, initial: 0, draining: 0, other: 0 };
    for (const d of out.TargetHealthDescriptions ?? []) {
      const state = d.TargetHealth?.State ?? 'unavailable';
      if (state === 'healthy') summary.healthy += 1;
      else if (state === 'unhealthy') summary.unhealthy += 1;
      else if (state === 'initial') summary.initial += 1;
      else if (state === 'draining') summary.draining += 1;
      else summary.other += 1;
      if (state !== 'healthy' && summary.reason === undefined && d.TargetHealth?.Description) summary.reason = `${state}: ${d.TargetHealth.Description}`;
    }
    return summary;
  }

  // ─────────────── rules ───────────────

  /** Every rule of a configured listener, with tags (default rule excluded). */
  async rules(listenerArn: string): Promise<ObservedRule[]> {
    const load = this.#rules.get(listenerArn);
    if (load === undefined) return [];
    return (await load.get()).filter((r) => !r.isDefault);
  }

  /**
   * Call after CreateRule succeeded, with the rule it returned and the tags sent
   * (CreateRule always creates, so those are exactly its tags): the listing gains
   * the rule — even before DescribeRules would show it — and the target group it
   * forwards to is now used by the listener's load balancer.
   */
  ruleCreated(listenerArn: string, rule: Rule, tags: Record<string, string>): void {
    const arn = rule.RuleArn;
    if (arn === undefined) {
      this.rulesChanged(listenerArn);
      this.targetGroupsChanged();
      return;
    }
    this.#elbTags.set(arn, { ...tags });
    this.#rules.get(listenerArn)?.update((rules) => [...rules.filter((r) => r.arn !== arn), this.#toListedRule(listenerArn, rule)]);
    const loadBalancerArn = loadBalancerOf(listenerArn);
    const forwarded = new Set(forwardedGroups(rule));
    this.#targetGroups.update((groups) =>
      groups.map((g) => (forwarded.has(g.arn) && !g.loadBalancerArns.includes(loadBalancerArn) ? { ...g, loadBalancerArns: [...g.loadBalancerArns, loadBalancerArn] } : g)),
    );
  }

  /** Call after writing to a rule of `listenerArn`. */
  rulesChanged(listenerArn: string, ruleArn?: string): void {
    if (ruleArn !== undefined) this.#elbTags.delete(ruleArn);
    this.#rules.get(listenerArn)?.invalidate();
  }

  async #loadRules(listenerArn: string): Promise<ListedRule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#c.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 400, ...(marker ? { Marker: marker } : {}) }));
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    await this.#loadTags(rules.filter((r) => !r.IsDefault).map((r) => r.RuleArn ?? ''));
    return rules.map((r) => this.#toListedRule(listenerArn, r));
  }

  #toListedRule(listenerArn: string, r: Rule): ListedRule {
    return {
      arn: r.RuleArn ?? '',
      listenerArn,
      isDefault: r.IsDefault === true,
      priority: r.IsDefault ? 0 : Number(r.Priority),
      conditions: r.Conditions ?? [],
      conditionsKey: canonicalConditions(r.Conditions),
      targetGroupArns: forwardedGroups(r),
      tags: this.#elbTags.get(r.RuleArn ?? '') ?? {},
    };
  }

  /** Fetches tags of ARNs not cached yet, 20 per DescribeTags call. */
  async #loadTags(arns: string[]): Promise<void> {
    const missing = arns.filter((a) => a !== '' && !this.#elbTags.has(a));
    for (let i = 0; i < missing.length; i += 20) {
      const out = await this.#c.elbv2.send(new DescribeTagsCommand({ ResourceArns: missing.slice(i, i + 20) }));
      for (const d of out.TagDescriptions ?? []) {
        this.#elbTags.set(d.ResourceArn ?? '', Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
      }
    }
  }

  // ─────────────── Route 53 ───────────────

  /** Every record of the environment's hosted zone; [] without one. */
  async records(): Promise<ResourceRecordSet[]> {
    return this.#records === undefined ? [] : this.#records.get();
  }

  /** Call after changing records. */
  recordsChanged(): void {
    this.#records?.invalidate();
  }

  async #loadRecords(zoneId: string): Promise<ResourceRecordSet[]> {
    const out: ResourceRecordSet[] = [];
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {};
    for (;;) {
      const page = await this.#c.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300, ...start }));
      out.push(...(page.ResourceRecordSets ?? []));
      if (!page.IsTruncated) break;
      start = {
        ...(page.NextRecordName !== undefined ? { StartRecordName: page.NextRecordName } : {}),
        ...(page.NextRecordType !== undefined ? { StartRecordType: page.NextRecordType } : {}),
        ...(page.NextRecordIdentifier !== undefined ? { StartRecordIdentifier: page.NextRecordIdentifier } : {}),
      };
    }
    return out;
  }
}

function toService(svc: Service): ObservedService {
  const net = svc.networkConfiguration?.awsvpcConfiguration;
  return {
    arn: svc.serviceArn ?? '',
    name: svc.serviceName ?? '',
    status: svc.status ?? 'ACTIVE',
    tags: Object.fromEntries((svc.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
    desiredCount: svc.desiredCount ?? 0,
    runningCount: svc.runningCount ?? 0,
    pendingCount: svc.pendingCount ?? 0,
    ...(svc.taskDefinition !== undefined ? { taskDefinitionArn: svc.taskDefinition } : {}),
    ...(svc.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds } : {}),
    loadBalancers: (svc.loadBalancers ?? []).map((lb) => ({
      ...(lb.targetGroupArn !== undefined ? { targetGroupArn: lb.targetGroupArn } : {}),
      ...(lb.containerName !== undefined ? { containerName: lb.containerName } : {}),
      ...(lb.containerPort !== undefined ? { containerPort: lb.containerPort } : {}),
    })),
    subnets: [...(net?.subnets ?? [])].sort(),
    securityGroups: [...(net?.securityGroups ?? [])].sort(),
    ...(net?.assignPublicIp !== undefined ? { assignPublicIp: net.assignPublicIp } : {}),
    circuitBreaker: {
      enable: svc.deploymentConfiguration?.deploymentCircuitBreaker?.enable ?? false,
      rollback: svc.deploymentConfiguration?.deploymentCircuitBreaker?.rollback ?? false,
    },
    deployments: (svc.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? '',
      taskDefinitionArn: d.taskDefinition ?? '',
      ...(d.rolloutState !== undefined ? { rolloutState: d.rolloutState } : {}),
      ...(d.rolloutStateReason !== undefined ? { rolloutStateReason: d.rolloutStateReason } : {}),
      desiredCount: d.desiredCount ?? 0,
      runningCount: d.runningCount ?? 0,
      failedTasks: d.failedTasks ?? 0,
    })),
    recentEvents: (svc.events ?? []).slice(0, 20).map((e) => e.message ?? ''),
  };
}

/** `…:listener/app/<name>/<lb id>/<listener id>` → `…:loadbalancer/app/<name>/<lb id>`. */
function loadBalancerOf(listenerArn: string): string {
  return listenerArn.replace(':listener/', ':loadbalancer/').split('/').slice(0, -1).join('/');
}

function forwardedGroups(rule: Rule): string[] {
  const out = new Set<string>();
  for (const a of rule.Actions ?? []) {
    if (a.Type !== 'forward') continue;
    for (const g of a.ForwardConfig?.TargetGroups ?? []) if (g.TargetGroupArn) out.add(g.TargetGroupArn);
    if (a.TargetGroupArn) out.add(a.TargetGroupArn);
  }
  return [...out];
}
