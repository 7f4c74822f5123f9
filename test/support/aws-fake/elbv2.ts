/**
 * Fake Elastic Load Balancing v2 (Application Load Balancers only): target
 * groups, listener rules, tags and target health, with the rules that trip up
 * reconcilers — name limits, idempotent-by-settings CreateTargetGroup,
 * non-idempotent CreateRule, PriorityInUse, the per-ALB quotas, ResourceInUse on
 * delete, and health that changes with (simulated) time.
 *
 * Load balancers and listeners are not created through the API: tests seed them
 * with {@link Elbv2Fake.createLoadBalancer} and {@link Elbv2Fake.createListener}.
 */
import {
  DuplicateTagKeysException,
  DuplicateTargetGroupNameException,
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  OperationNotPermittedException,
  PriorityInUseException,
  ResourceInUseException,
  RuleNotFoundException,
  TargetGroupAssociationLimitException,
  TargetGroupNotFoundException,
  TooManyRulesException,
  TooManyTagsException,
  TooManyTargetGroupsException,
  TooManyUniqueTargetGroupsPerLoadBalancerException,
  type Action,
  type Listener,
  type LoadBalancer,
  type Rule,
  type RuleCondition,
  type Tag,
  type TargetGroup,
  type TargetGroupAttribute,
  type TargetHealthDescription,
  type TargetHealthReasonEnum,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ACCOUNT_ID, REGION, canonicalJson, clone, page, type World } from './common.ts';
import { awsError, validationError } from './errors.ts';

/** Quotas the fake enforces; defaults are AWS's (per-ALB ones are not adjustable). */
export interface Elbv2Limits {
  /** Target groups per account and region. AWS default 3000. */
  targetGroupsPerRegion: number;
  /** Rules per Application Load Balancer, not counting default rules. AWS: 100. */
  rulesPerLoadBalancer: number;
  /** Unique target groups referenced by one load balancer's rules. AWS: 100. */
  targetGroupsPerLoadBalancer: number;
  /** Condition values per rule. AWS: 5. */
  conditionValuesPerRule: number;
  /** Tags per resource. AWS: 50. */
  tagsPerResource: number;
}

/** Default quotas. */
export const DEFAULT_ELBV2_LIMITS: Elbv2Limits = {
  targetGroupsPerRegion: 3000,
  rulesPerLoadBalancer: 100,
  targetGroupsPerLoadBalancer: 100,
  conditionValuesPerRule: 5,
  tagsPerResource: 50,
};

/** How a registered target answers health checks. */
export type TargetBehaviour = 'healthy' | 'unhealthy';

interface HealthCheck {
  protocol: string;
  port: string;
  enabled: boolean;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  matcher: { HttpCode?: string; GrpcCode?: string };
}

interface TargetState {
  id: string;
  port: number;
  behaviour: TargetBehaviour;
  /** When the current behaviour started being checked. */
  since: number;
  /** Verdict reached before the current behaviour (undefined: never had one). */
  previous?: 'healthy' | 'unhealthy';
  drainingUntil?: number;
}

interface TargetGroupState {
  arn: string;
  name: string;
  protocol: string;
  protocolVersion: string;
  port: number;
  vpcId: string;
  targetType: string;
  ipAddressType: string;
  healthCheck: HealthCheck;
  attributes: Map<string, string>;
  tags: Tag[];
  visibleAt: number;
  targets: Map<string, TargetState>;
}

interface LoadBalancerState {
  arn: string;
  name: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  vpcId: string;
  scheme: string;
  createdAt: number;
  tags: Tag[];
}

interface ListenerState {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  tags: Tag[];
}

interface RuleState {
  arn: string;
  listenerArn: string;
  priority: number | 'default';
  conditions: RuleCondition[];
  actions: Action[];
  tags: Tag[];
  visibleAt: number;
}

const TARGET_GROUP_ATTRIBUTE_DEFAULTS: Record<string, string> = {
  'deregistration_delay.timeout_seconds': '300',
  'stickiness.enabled': 'false',
  'stickiness.type': 'lb_cookie',
  'stickiness.lb_cookie.duration_seconds': '86400',
  'load_balancing.algorithm.type': 'round_robin',
  'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
  'slow_start.duration_seconds': '0',
};

/** Conditions whose values live either in `Values` or in their `*Config.Values`. */
const VALUE_CONFIG_KEY: Record<string, 'PathPatternConfig' | 'HostHeaderConfig'> = {
  'path-pattern': 'PathPatternConfig',
  'host-header': 'HostHeaderConfig',
};
const CONFIG_KEYS = ['HostHeaderConfig', 'PathPatternConfig', 'HttpHeaderConfig', 'QueryStringConfig', 'HttpRequestMethodConfig', 'SourceIpConfig'] as const;
const SINGLE_USE_FIELDS = new Set(['host-header', 'path-pattern', 'http-request-method', 'source-ip']);

/** The ELBv2 part of the fake. API handlers are the capitalised methods of {@link Elbv2Fake.handlers}. */
export class Elbv2Fake {
  readonly #world: World;
  readonly limits: Elbv2Limits;
  readonly #loadBalancers = new Map<string, LoadBalancerState>();
  readonly #listeners = new Map<string, ListenerState>();
  readonly #targetGroups = new Map<string, TargetGroupState>();
  readonly #rules = new Map<string, RuleState>();
  /** Target group ARN → load balancers whose rules forward to it; rebuilt lazily after any rule change. */
  #associations: Map<string, string[]> | undefined;
  /** Set by the fake: is an ECS service (ACTIVE or DRAINING) attached to this target group? */
  usedByService: (targetGroupArn: string) => string | undefined = () => undefined;

  constructor(world: World, limits: Partial<Elbv2Limits> = {}) {
    this.#world = world;
    this.limits = { ...DEFAULT_ELBV2_LIMITS, ...limits };
  }

  // ───────────────────────────── seeding (fake-only API) ─────────────────────────────

  /**
   * Seeds an Application Load Balancer (the fake does not implement CreateLoadBalancer).
   * @example const lb = fake.elbv2.createLoadBalancer({ name: 'berth-prod' });
   */
  createLoadBalancer(options: { name: string; dnsName?: string; canonicalHostedZoneId?: string; vpcId?: string; scheme?: 'internet-facing' | 'internal' }): {
    arn: string;
    dnsName: string;
    canonicalHostedZoneId: string;
  } {
    const id = this.#world.ids.hex(16);
    const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:loadbalancer/app/${options.name}/${id}`;
    const dnsName = options.dnsName ?? `${options.name}-${this.#world.ids.digits(10)}.${REGION}.elb.amazonaws.com`;
    // Z35SXDOTRQ7X7K is the real canonical hosted zone of ALBs in us-east-1.
    const canonicalHostedZoneId = options.canonicalHostedZoneId ?? 'Z35SXDOTRQ7X7K';
    this.#loadBalancers.set(arn, {
      arn,
      name: options.name,
      dnsName,
      canonicalHostedZoneId,
      vpcId: options.vpcId ?? 'vpc-0fake0000000000001',
      scheme: options.scheme ?? 'internet-facing',
      createdAt: this.#world.now(),
      tags: [],
    });
    return { arn, dnsName, canonicalHostedZoneId };
  }

  /**
   * Seeds a listener with a default rule (fixed 404 unless told otherwise).
   * @example const { arn } = fake.elbv2.createListener({ loadBalancerArn: lb.arn, port: 443 });
   */
  createListener(options: { loadBalancerArn: string; port?: number; protocol?: 'HTTP' | 'HTTPS'; defaultActions?: Action[] }): { arn: string } {
    const lb = this.#loadBalancers.get(options.loadBalancerArn);
    if (!lb) throw new Error(`createListener: no load balancer ${options.loadBalancerArn}; seed one with createLoadBalancer first`);
    const lbPath = lb.arn.split(':loadbalancer/')[1]!;
    const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:listener/${lbPath}/${this.#world.ids.hex(16)}`;
    this.#listeners.set(arn, { arn, loadBalancerArn: lb.arn, port: options.port ?? 443, protocol: options.protocol ?? 'HTTPS', tags: [] });
    const actions = options.defaultActions ?? [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route' } }];
    const ruleArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:listener-rule/${arn.split(':listener/')[1]}/${this.#world.ids.hex(16)}`;
    this.#rules.set(ruleArn, { arn: ruleArn, listenerArn: arn, priority: 'default', conditions: [], actions: this.#normaliseActions(actions), tags: [], visibleAt: 0 });
    this.#associations = undefined;
    return { arn };
  }

  // ───────────────────────────── hooks used by the ECS fake ─────────────────────────────

  /** Facts ECS checks when a service attaches to a target group; undefined when it doesn't exist. */
  targetGroupInfo(arn: string): { targetType: string; port: number; loadBalancerArns: string[]; healthCheck: HealthCheck; deregistrationDelayMs: number } | undefined {
    const tg = this.#targetGroups.get(arn);
    if (!tg) return undefined;
    return {
      targetType: tg.targetType,
      port: tg.port,
      loadBalancerArns: this.#loadBalancersOf(arn),
      healthCheck: { ...tg.healthCheck },
      deregistrationDelayMs: Number(tg.attributes.get('deregistration_delay.timeout_seconds')) * 1000,
    };
  }

  /** Registers a target (as ECS does for a RUNNING task); it starts in `initial`. */
  registerTarget(targetGroupArn: string, id: string, port: number, behaviour: TargetBehaviour): void {
    const tg = this.#targetGroups.get(targetGroupArn);
    if (!tg) return;
    tg.targets.set(`${id}:${port}`, { id, port, behaviour, since: this.#world.now() });
  }

  /** Starts draining a target; it disappears after the group's deregistration delay. Returns when it will be gone. */
  deregisterTarget(targetGroupArn: string, id: string, port: number): number {
    const now = this.#world.now();
    const tg = this.#targetGroups.get(targetGroupArn);
    const target = tg?.targets.get(`${id}:${port}`);
    if (!tg || !target) return now;
    if (target.drainingUntil === undefined) {
      target.drainingUntil = now + Number(tg.attributes.get('deregistration_delay.timeout_seconds')) * 1000;
    }
    return target.drainingUntil;
  }

  /** Changes how a target answers health checks from now on (e.g. a crashed task). */
  setTargetBehaviour(targetGroupArn: string, id: string, port: number, behaviour: TargetBehaviour): void {
    const target = this.#targetGroups.get(targetGroupArn)?.targets.get(`${id}:${port}`);
    if (!target || target.behaviour === behaviour) return;
    const current = this.#healthOf(this.#targetGroups.get(targetGroupArn)!, target).state;
    target.previous = current === 'healthy' || current === 'unhealthy' ? current : target.previous;
    target.behaviour = behaviour;
    target.since = this.#world.now();
  }

  /** The health state of one target right now, or undefined when not registered. */
  targetState(targetGroupArn: string, id: string, port: number): TargetHealthStateEnum | undefined {
    const tg = this.#targetGroups.get(targetGroupArn);
    const target = tg?.targets.get(`${id}:${port}`);
    return tg && target ? this.#healthOf(tg, target).state : undefined;
  }

  /** Earliest future moment at which some target's health changes. */
  nextEventAt(after: number): number | undefined {
    let next: number | undefined;
    const consider = (t: number): void => {
      if (t > after && (next === undefined || t < next)) next = t;
    };
    for (const tg of this.#targetGroups.values()) {
      for (const target of tg.targets.values()) {
        if (target.drainingUntil !== undefined) consider(target.drainingUntil);
        else consider(target.since + this.#settleMs(tg, target.behaviour));
      }
    }
    return next;
  }

  /** Removes targets whose draining finished. */
  step(now: number): void {
    for (const tg of this.#targetGroups.values()) {
      for (const [key, target] of tg.targets) {
        if (target.drainingUntil !== undefined && target.drainingUntil <= now) tg.targets.delete(key);
      }
    }
  }

  // ───────────────────────────── API ─────────────────────────────

  /** API operations by name; each takes the SDK command input and returns the output (without $metadata). */
  readonly handlers: Record<string, (input: never) => unknown> = {
    CreateTargetGroup: (input: {
      Name?: string;
      Protocol?: string;
      ProtocolVersion?: string;
      Port?: number;
      VpcId?: string;
      HealthCheckProtocol?: string;
      HealthCheckPort?: string;
      HealthCheckEnabled?: boolean;
      HealthCheckPath?: string;
      HealthCheckIntervalSeconds?: number;
      HealthCheckTimeoutSeconds?: number;
      HealthyThresholdCount?: number;
      UnhealthyThresholdCount?: number;
      Matcher?: { HttpCode?: string; GrpcCode?: string };
      TargetType?: string;
      IpAddressType?: string;
      Tags?: Tag[];
    }) => {
      const name = input.Name ?? '';
      validateTargetGroupName(name);
      const targetType = input.TargetType ?? 'instance';
      if (targetType !== 'lambda' && (input.Protocol === undefined || input.Port === undefined || input.VpcId === undefined)) {
        throw validationError('A protocol, port and VPC ID must be specified for target groups of type ' + targetType);
      }
      const protocol = input.Protocol ?? 'HTTP';
      const healthCheck: HealthCheck = {
        protocol: input.HealthCheckProtocol ?? (protocol === 'HTTPS' ? 'HTTPS' : 'HTTP'),
        port: input.HealthCheckPort ?? 'traffic-port',
        enabled: input.HealthCheckEnabled ?? true,
        path: input.HealthCheckPath ?? '/',
        intervalSeconds: input.HealthCheckIntervalSeconds ?? 30,
        timeoutSeconds: input.HealthCheckTimeoutSeconds ?? 5,
        healthyThreshold: input.HealthyThresholdCount ?? 5,
        unhealthyThreshold: input.UnhealthyThresholdCount ?? 2,
        matcher: input.Matcher ?? { HttpCode: '200' },
      };
      validateHealthCheck(healthCheck);
      const settings = {
        protocol,
        protocolVersion: input.ProtocolVersion ?? 'HTTP1',
        port: input.Port ?? 0,
        vpcId: input.VpcId ?? '',
        targetType,
        ipAddressType: input.IpAddressType ?? 'ipv4',
        healthCheck,
      };
      const existing = [...this.#targetGroups.values()].find((tg) => tg.name === name);
      if (existing) {
        // AWS: "If you attempt to create multiple target groups with the same settings, each call succeeds."
        const same =
          canonicalJson(settings) ===
          canonicalJson({
            protocol: existing.protocol,
            protocolVersion: existing.protocolVersion,
            port: existing.port,
            vpcId: existing.vpcId,
            targetType: existing.targetType,
            ipAddressType: existing.ipAddressType,
            healthCheck: existing.healthCheck,
          });
        if (!same) throw awsError(DuplicateTargetGroupNameException, 'A target group with the same name \'' + name + '\' exists, but with different settings');
        return { TargetGroups: [this.#describeTargetGroup(existing)] };
      }
      if (this.#targetGroups.size >= this.limits.targetGroupsPerRegion) {
        throw awsError(TooManyTargetGroupsException, `You have reached the limit of '${this.limits.targetGroupsPerRegion}' target groups`);
      }
      const tags = this.#checkNewTags(input.Tags ?? []);
      const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:targetgroup/${name}/${this.#world.ids.hex(16)}`;
      this.#targetGroups.set(arn, {
        arn,
        name,
        ...settings,
        attributes: new Map(Object.entries(TARGET_GROUP_ATTRIBUTE_DEFAULTS)),
        tags,
        visibleAt: this.#world.now() + this.#world.readAfterWriteDelayMs(),
        targets: new Map(),
      });
      return { TargetGroups: [this.#describeTargetGroup(this.#targetGroups.get(arn)!)] };
    },

    DeleteTargetGroup: (input: { TargetGroupArn?: string }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '');
      // Deleting a group that doesn't exist succeeds, like AWS.
      if (!tg) return {};
      const rule = [...this.#rules.values()].find((r) => referencedTargetGroups(r.actions).includes(tg.arn));
      if (rule) throw awsError(ResourceInUseException, `Target group '${tg.arn}' is currently in use by a listener or a rule`);
      const service = this.usedByService(tg.arn);
      if (service) throw awsError(ResourceInUseException, `Target group '${tg.arn}' is currently in use by ECS service '${service}'`);
      this.#targetGroups.delete(tg.arn);
      return {};
    },

    DescribeTargetGroups: (input: { LoadBalancerArn?: string; TargetGroupArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }) => {
      const size = pageSize(input.PageSize);
      const visible = [...this.#targetGroups.values()].filter((tg) => tg.visibleAt <= this.#world.now());
      let selected: TargetGroupState[];
      if (input.TargetGroupArns?.length) {
        selected = input.TargetGroupArns.map((arn) => visible.find((tg) => tg.arn === arn) ?? notFoundTargetGroup());
      } else if (input.Names?.length) {
        selected = input.Names.map((name) => visible.find((tg) => tg.name === name) ?? notFoundTargetGroup());
      } else if (input.LoadBalancerArn) {
        if (!this.#loadBalancers.has(input.LoadBalancerArn)) throw awsError(LoadBalancerNotFoundException, 'One or more load balancers not found');
        selected = visible.filter((tg) => this.#loadBalancersOf(tg.arn).includes(input.LoadBalancerArn!));
      } else {
        selected = visible;
      }
      const { items, next } = page(selected, (tg) => tg.arn, input.Marker, size);
      return { TargetGroups: items.map((tg) => this.#describeTargetGroup(tg)), ...(next ? { NextMarker: next } : {}) };
    },

    ModifyTargetGroup: (input: {
      TargetGroupArn?: string;
      HealthCheckProtocol?: string;
      HealthCheckPort?: string;
      HealthCheckPath?: string;
      HealthCheckEnabled?: boolean;
      HealthCheckIntervalSeconds?: number;
      HealthCheckTimeoutSeconds?: number;
      HealthyThresholdCount?: number;
      UnhealthyThresholdCount?: number;
      Matcher?: { HttpCode?: string; GrpcCode?: string };
    }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      const next: HealthCheck = {
        protocol: input.HealthCheckProtocol ?? tg.healthCheck.protocol,
        port: input.HealthCheckPort ?? tg.healthCheck.port,
        path: input.HealthCheckPath ?? tg.healthCheck.path,
        enabled: input.HealthCheckEnabled ?? tg.healthCheck.enabled,
        intervalSeconds: input.HealthCheckIntervalSeconds ?? tg.healthCheck.intervalSeconds,
        timeoutSeconds: input.HealthCheckTimeoutSeconds ?? tg.healthCheck.timeoutSeconds,
        healthyThreshold: input.HealthyThresholdCount ?? tg.healthCheck.healthyThreshold,
        unhealthyThreshold: input.UnhealthyThresholdCount ?? tg.healthCheck.unhealthyThreshold,
        matcher: input.Matcher ?? tg.healthCheck.matcher,
      };
      validateHealthCheck(next);
      tg.healthCheck = next;
      return { TargetGroups: [this.#describeTargetGroup(tg)] };
    },

    DescribeTargetGroupAttributes: (input: { TargetGroupArn?: string }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      return { Attributes: [...tg.attributes].map(([Key, Value]) => ({ Key, Value })) };
    },

    ModifyTargetGroupAttributes: (input: { TargetGroupArn?: string; Attributes?: TargetGroupAttribute[] }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      const attributes = input.Attributes ?? [];
      for (const { Key, Value } of attributes) {
        if (Key === undefined || !(Key in TARGET_GROUP_ATTRIBUTE_DEFAULTS)) throw validationError(`Target group attribute key '${Key}' is not recognized`);
        if (Key === 'deregistration_delay.timeout_seconds') {
          const n = Number(Value);
          if (!Number.isInteger(n) || n < 0 || n > 3600) throw validationError(`'deregistration_delay.timeout_seconds' must be an integer from 0 to 3600, got '${Value}'`);
        }
      }
      for (const { Key, Value } of attributes) tg.attributes.set(Key!, Value ?? '');
      return { Attributes: attributes.map(({ Key, Value }) => ({ Key, Value })) };
    },

    RegisterTargets: (input: { TargetGroupArn?: string; Targets?: Array<{ Id?: string; Port?: number }> }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      for (const t of input.Targets ?? []) this.registerTarget(tg.arn, t.Id ?? '', t.Port ?? tg.port, 'healthy');
      return {};
    },

    DeregisterTargets: (input: { TargetGroupArn?: string; Targets?: Array<{ Id?: string; Port?: number }> }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      for (const t of input.Targets ?? []) this.deregisterTarget(tg.arn, t.Id ?? '', t.Port ?? tg.port);
      return {};
    },

    DescribeTargetHealth: (input: { TargetGroupArn?: string; Targets?: Array<{ Id?: string; Port?: number }> }) => {
      const tg = this.#targetGroups.get(input.TargetGroupArn ?? '') ?? notFoundTargetGroup();
      let targets = [...tg.targets.values()];
      if (input.Targets?.length) {
        const wanted = new Set(input.Targets.map((t) => `${t.Id}:${t.Port ?? tg.port}`));
        targets = targets.filter((t) => wanted.has(`${t.id}:${t.port}`));
      }
      const descriptions: TargetHealthDescription[] = targets.map((t) => {
        const health = this.#healthOf(tg, t);
        return {
          Target: { Id: t.id, Port: t.port, AvailabilityZone: `${REGION}a` },
          HealthCheckPort: tg.healthCheck.port === 'traffic-port' ? String(t.port) : tg.healthCheck.port,
          TargetHealth: { State: health.state, ...(health.reason ? { Reason: health.reason as TargetHealthReasonEnum, Description: health.description } : {}) },
        };
      });
      return { TargetHealthDescriptions: descriptions };
    },

    CreateRule: (input: { ListenerArn?: string; Conditions?: RuleCondition[]; Priority?: number; Actions?: Action[]; Tags?: Tag[] }) => {
      const listener = this.#listeners.get(input.ListenerArn ?? '');
      if (!listener) throw awsError(ListenerNotFoundException, 'One or more listeners not found');
      const priority = checkPriority(input.Priority);
      if (this.#rulesOf(listener.arn).some((r) => r.priority === priority)) throw awsError(PriorityInUseException, `Priority '${priority}' is currently in use`);
      const conditions = this.#checkConditions(input.Conditions ?? []);
      const actions = this.#checkActions(input.Actions ?? [], listener);
      const nonDefault = [...this.#rules.values()].filter((r) => r.priority !== 'default' && this.#listeners.get(r.listenerArn)?.loadBalancerArn === listener.loadBalancerArn);
      if (nonDefault.length >= this.limits.rulesPerLoadBalancer) {
        throw awsError(TooManyRulesException, `The maximum number of rules per load balancer ('${this.limits.rulesPerLoadBalancer}') has been reached`);
      }
      this.#checkUniqueTargetGroups(listener.loadBalancerArn, actions, undefined);
      const tags = this.#checkNewTags(input.Tags ?? []);
      const arn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:listener-rule/${listener.arn.split(':listener/')[1]}/${this.#world.ids.hex(16)}`;
      const rule: RuleState = { arn, listenerArn: listener.arn, priority, conditions, actions, tags, visibleAt: this.#world.now() + this.#world.readAfterWriteDelayMs() };
      this.#rules.set(arn, rule);
      this.#associations = undefined;
      return { Rules: [describeRule(rule)] };
    },

    ModifyRule: (input: { RuleArn?: string; Conditions?: RuleCondition[]; Actions?: Action[] }) => {
      const rule = this.#rules.get(input.RuleArn ?? '') ?? notFoundRule();
      const listener = this.#listeners.get(rule.listenerArn)!;
      if (rule.priority === 'default' && input.Conditions !== undefined) throw awsError(OperationNotPermittedException, 'Conditions cannot be modified on a default rule');
      const conditions = input.Conditions !== undefined ? this.#checkConditions(input.Conditions) : rule.conditions;
      const actions = input.Actions !== undefined ? this.#checkActions(input.Actions, listener) : rule.actions;
      this.#checkUniqueTargetGroups(listener.loadBalancerArn, actions, rule.arn);
      rule.conditions = conditions;
      rule.actions = actions;
      this.#associations = undefined;
      return { Rules: [describeRule(rule)] };
    },

    DeleteRule: (input: { RuleArn?: string }) => {
      const rule = this.#rules.get(input.RuleArn ?? '') ?? notFoundRule();
      if (rule.priority === 'default') throw awsError(OperationNotPermittedException, 'Default rules cannot be deleted');
      this.#rules.delete(rule.arn);
      this.#associations = undefined;
      return {};
    },

    DescribeRules: (input: { ListenerArn?: string; RuleArns?: string[]; Marker?: string; PageSize?: number }) => {
      const size = pageSize(input.PageSize);
      const now = this.#world.now();
      let selected: RuleState[];
      if (input.RuleArns?.length) {
        selected = input.RuleArns.map((arn) => {
          const rule = this.#rules.get(arn);
          return rule && rule.visibleAt <= now ? rule : notFoundRule();
        });
      } else if (input.ListenerArn) {
        if (!this.#listeners.has(input.ListenerArn)) throw awsError(ListenerNotFoundException, 'One or more listeners not found');
        selected = this.#rulesOf(input.ListenerArn).filter((r) => r.visibleAt <= now);
      } else {
        throw validationError('A listener ARN or a set of rule ARNs must be specified');
      }
      const { items, next } = page(selected, (r) => r.arn, input.Marker, size);
      return { Rules: items.map(describeRule), ...(next ? { NextMarker: next } : {}) };
    },

    SetRulePriorities: (input: { RulePriorities?: Array<{ RuleArn?: string; Priority?: number }> }) => {
      const changes = (input.RulePriorities ?? []).map((p) => ({ rule: this.#rules.get(p.RuleArn ?? '') ?? notFoundRule(), priority: checkPriority(p.Priority) }));
      for (const { rule } of changes) if (rule.priority === 'default') throw awsError(OperationNotPermittedException, 'Default rule priority cannot be modified');
      // Validate the end state: within each listener, priorities must stay unique.
      const planned = new Map<string, number | 'default'>([...this.#rules.values()].map((r) => [r.arn, r.priority]));
      for (const { rule, priority } of changes) planned.set(rule.arn, priority);
      for (const { rule, priority } of changes) {
        const clash = [...this.#rules.values()].find((r) => r.arn !== rule.arn && r.listenerArn === rule.listenerArn && planned.get(r.arn) === priority);
        if (clash) throw awsError(PriorityInUseException, `Priority '${priority}' is currently in use`);
      }
      for (const { rule, priority } of changes) rule.priority = priority;
      return { Rules: changes.map(({ rule }) => describeRule(rule)) };
    },

    DescribeTags: (input: { ResourceArns?: string[] }) => {
      const arns = input.ResourceArns ?? [];
      if (arns.length > 20) throw validationError(`1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20`);
      return { TagDescriptions: arns.map((arn) => ({ ResourceArn: arn, Tags: clone(this.#taggable(arn).tags) })) };
    },

    AddTags: (input: { ResourceArns?: string[]; Tags?: Tag[] }) => {
      const targets = (input.ResourceArns ?? []).map((arn) => this.#taggable(arn));
      const incoming = input.Tags ?? [];
      assertNoDuplicateKeys(incoming);
      for (const target of targets) {
        const merged = mergeTags(target.tags, incoming);
        if (merged.length > this.limits.tagsPerResource) throw awsError(TooManyTagsException, `A resource can have at most ${this.limits.tagsPerResource} tags`);
      }
      for (const target of targets) target.tags = mergeTags(target.tags, incoming);
      return {};
    },

    RemoveTags: (input: { ResourceArns?: string[]; TagKeys?: string[] }) => {
      const keys = new Set(input.TagKeys ?? []);
      for (const arn of input.ResourceArns ?? []) {
        const target = this.#taggable(arn);
        target.tags = target.tags.filter((t) => !keys.has(t.Key ?? ''));
      }
      return {};
    },

    DescribeLoadBalancers: (input: { LoadBalancerArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }) => {
      let selected = [...this.#loadBalancers.values()];
      if (input.LoadBalancerArns?.length) {
        selected = input.LoadBalancerArns.map((arn) => this.#loadBalancers.get(arn) ?? notFoundLoadBalancer());
      } else if (input.Names?.length) {
        selected = input.Names.map((name) => selected.find((lb) => lb.name === name) ?? notFoundLoadBalancer());
      }
      const { items, next } = page(selected, (lb) => lb.arn, input.Marker, pageSize(input.PageSize));
      const described: LoadBalancer[] = items.map((lb) => ({
        LoadBalancerArn: lb.arn,
        LoadBalancerName: lb.name,
        DNSName: lb.dnsName,
        CanonicalHostedZoneId: lb.canonicalHostedZoneId,
        CreatedTime: new Date(lb.createdAt),
        Scheme: lb.scheme as LoadBalancer['Scheme'],
        VpcId: lb.vpcId,
        State: { Code: 'active' },
        Type: 'application',
        IpAddressType: 'ipv4',
        AvailabilityZones: [],
        SecurityGroups: [],
      }));
      return { LoadBalancers: described, ...(next ? { NextMarker: next } : {}) };
    },

    DescribeListeners: (input: { LoadBalancerArn?: string; ListenerArns?: string[]; Marker?: string; PageSize?: number }) => {
      let selected: ListenerState[];
      if (input.ListenerArns?.length) {
        selected = input.ListenerArns.map((arn) => this.#listeners.get(arn) ?? notFoundListener());
      } else if (input.LoadBalancerArn) {
        if (!this.#loadBalancers.has(input.LoadBalancerArn)) notFoundLoadBalancer();
        selected = [...this.#listeners.values()].filter((l) => l.loadBalancerArn === input.LoadBalancerArn);
      } else {
        throw validationError('You must specify either listener ARNs or a load balancer ARN');
      }
      const { items, next } = page(selected, (l) => l.arn, input.Marker, pageSize(input.PageSize));
      const described: Listener[] = items.map((l) => ({
        ListenerArn: l.arn,
        LoadBalancerArn: l.loadBalancerArn,
        Port: l.port,
        Protocol: l.protocol as Listener['Protocol'],
        DefaultActions: clone(this.#rulesOf(l.arn).find((r) => r.priority === 'default')?.actions ?? []),
      }));
      return { Listeners: described, ...(next ? { NextMarker: next } : {}) };
    },
  };

  // ───────────────────────────── snapshot ─────────────────────────────

  /**
   * Where the load balancer sends a request to `listenerArn` for `host` and `path`
   * (no query string), as AWS decides it: rules in ascending priority, the first
   * whose conditions all hold wins, the default rule last. `path-pattern` values
   * match the whole path with case; `host-header` values the whole host (port
   * stripped) without case; both with `*` (any run of characters) and `?` (one
   * character). A rule testing anything else (headers, method, query, source IP)
   * never matches, since the request carries only a host and a path.
   * @example fake.elbv2.routeRequest(listenerArn, { host: 'a.example.com', path: '/mcp/nest/deep' }).targetGroupArns
   */
  routeRequest(listenerArn: string, request: { host: string; path: string }): { ruleArn: string; priority: number | 'default'; targetGroupArns: string[] } {
    this.#world.sync();
    if (!this.#listeners.has(listenerArn)) throw new Error(`routeRequest: no listener ${listenerArn}`);
    const host = request.host.replace(/:\d+$/, '');
    for (const rule of this.#rulesOf(listenerArn)) {
      if (rule.priority !== 'default' && !ruleMatches(rule.conditions, host, request.path)) continue;
      return { ruleArn: rule.arn, priority: rule.priority, targetGroupArns: referencedTargetGroups(rule.actions) };
    }
    throw new Error(`routeRequest: listener ${listenerArn} has no default rule`);
  }

  /** Plain-data copy of every ELBv2 resource, for assertions. */
  snapshot(): {
    loadBalancers: Array<{ arn: string; name: string; dnsName: string }>;
    listeners: Array<{ arn: string; loadBalancerArn: string; port: number }>;
    targetGroups: Array<{ arn: string; name: string; port: number; targetType: string; healthCheckPath: string; deregistrationDelaySeconds: number; tags: Record<string, string>; targets: Array<{ id: string; port: number; state: string }> }>;
    rules: Array<{ arn: string; listenerArn: string; priority: number | 'default'; conditions: RuleCondition[]; targetGroupArns: string[]; tags: Record<string, string> }>;
  } {
    return {
      loadBalancers: [...this.#loadBalancers.values()].map((lb) => ({ arn: lb.arn, name: lb.name, dnsName: lb.dnsName })),
      listeners: [...this.#listeners.values()].map((l) => ({ arn: l.arn, loadBalancerArn: l.loadBalancerArn, port: l.port })),
      targetGroups: [...this.#targetGroups.values()].map((tg) => ({
        arn: tg.arn,
        name: tg.name,
        port: tg.port,
        targetType: tg.targetType,
        healthCheckPath: tg.healthCheck.path,
        deregistrationDelaySeconds: Number(tg.attributes.get('deregistration_delay.timeout_seconds')),
        tags: tagRecord(tg.tags),
        targets: [...tg.targets.values()].map((t) => ({ id: t.id, port: t.port, state: this.#healthOf(tg, t).state })),
      })),
      rules: [...this.#rules.values()].map((r) => ({
        arn: r.arn,
        listenerArn: r.listenerArn,
        priority: r.priority,
        conditions: describeRule(r).Conditions ?? [],
        targetGroupArns: referencedTargetGroups(r.actions),
        tags: tagRecord(r.tags),
      })),
    };
  }

  // ───────────────────────────── internals ─────────────────────────────

  #settleMs(tg: TargetGroupState, behaviour: TargetBehaviour): number {
    const checks = behaviour === 'healthy' ? tg.healthCheck.healthyThreshold : tg.healthCheck.unhealthyThreshold;
    return checks * tg.healthCheck.intervalSeconds * 1000;
  }

  #healthOf(tg: TargetGroupState, target: TargetState): { state: TargetHealthStateEnum; reason?: string; description?: string } {
    const now = this.#world.now();
    if (target.drainingUntil !== undefined) {
      return { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' };
    }
    if (this.#loadBalancersOf(tg.arn).length === 0) {
      return { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };
    }
    const settled = now >= target.since + this.#settleMs(tg, target.behaviour);
    const verdict = settled ? target.behaviour : target.previous;
    if (verdict === 'healthy') return { state: 'healthy' };
    if (verdict === 'unhealthy') return { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [502]' };
    return { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' };
  }

  #loadBalancersOf(targetGroupArn: string): string[] {
    if (this.#associations === undefined) {
      const map = new Map<string, Set<string>>();
      for (const rule of this.#rules.values()) {
        const lb = this.#listeners.get(rule.listenerArn)?.loadBalancerArn;
        if (!lb) continue;
        for (const tg of referencedTargetGroups(rule.actions)) map.set(tg, (map.get(tg) ?? new Set()).add(lb));
      }
      this.#associations = new Map([...map].map(([tg, lbs]) => [tg, [...lbs]]));
    }
    return [...(this.#associations.get(targetGroupArn) ?? [])];
  }

  #rulesOf(listenerArn: string): RuleState[] {
    return [...this.#rules.values()]
      .filter((r) => r.listenerArn === listenerArn)
      .sort((a, b) => (a.priority === 'default' ? 1 : b.priority === 'default' ? -1 : a.priority - b.priority));
  }

  #describeTargetGroup(tg: TargetGroupState): TargetGroup {
    return {
      TargetGroupArn: tg.arn,
      TargetGroupName: tg.name,
      Protocol: tg.protocol as TargetGroup['Protocol'],
      ProtocolVersion: tg.protocolVersion,
      Port: tg.port,
      VpcId: tg.vpcId,
      HealthCheckProtocol: tg.healthCheck.protocol as TargetGroup['HealthCheckProtocol'],
      HealthCheckPort: tg.healthCheck.port,
      HealthCheckEnabled: tg.healthCheck.enabled,
      HealthCheckPath: tg.healthCheck.path,
      HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
      HealthCheckTimeoutSeconds: tg.healthCheck.timeoutSeconds,
      HealthyThresholdCount: tg.healthCheck.healthyThreshold,
      UnhealthyThresholdCount: tg.healthCheck.unhealthyThreshold,
      Matcher: { ...tg.healthCheck.matcher },
      LoadBalancerArns: this.#loadBalancersOf(tg.arn),
      TargetType: tg.targetType as TargetGroup['TargetType'],
      IpAddressType: tg.ipAddressType as TargetGroup['IpAddressType'],
    };
  }

  #checkConditions(conditions: RuleCondition[]): RuleCondition[] {
    let values = 0;
    const seen = new Set<string>();
    const normalised: RuleCondition[] = [];
    for (const condition of conditions) {
      const field = condition.Field;
      if (!field) throw validationError('A condition field must be specified');
      if (SINGLE_USE_FIELDS.has(field)) {
        if (seen.has(field)) throw validationError(`A rule can only have one '${field}' condition`);
        seen.add(field);
      }
      const configKey = VALUE_CONFIG_KEY[field];
      if (configKey) {
        const config = condition[configKey];
        if (condition.Values !== undefined && config !== undefined) {
          // DescribeRules returns both shapes, but create/modify accept only one of them.
          throw validationError(`You cannot specify both 'Values' and '${configKey}' in the same '${field}' condition`);
        }
        const list = condition.Values ?? config?.Values ?? [];
        if (list.length === 0) throw validationError('A condition value must be specified');
        for (const v of list) if (v.length > 128) throw validationError(`The '${field}' condition value '${v}' is ${v.length} characters long; the limit is 128 characters`);
        values += list.length;
        normalised.push({ Field: field, Values: [...list] });
      } else {
        const config = CONFIG_KEYS.map((k) => [k, condition[k]] as const).find(([, v]) => v !== undefined);
        if (!config) throw validationError('A condition value must be specified');
        const [key, body] = config;
        const count =
          key === 'QueryStringConfig' ? ((body as { Values?: unknown[] }).Values?.length ?? 0) : ((body as { Values?: unknown[] }).Values?.length ?? 0);
        if (count === 0) throw validationError('A condition value must be specified');
        values += count;
        normalised.push({ Field: field, [key]: clone(body) });
      }
    }
    if (values > this.limits.conditionValuesPerRule) throw validationError(`A rule can only have '${this.limits.conditionValuesPerRule}' condition values`);
    return normalised;
  }

  #checkActions(actions: Action[], listener: ListenerState): Action[] {
    if (actions.length === 0) throw validationError('At least one action must be specified');
    const normalised = this.#normaliseActions(actions);
    for (const arn of referencedTargetGroups(normalised)) {
      const tg = this.#targetGroups.get(arn);
      if (!tg) throw awsError(TargetGroupNotFoundException, 'One or more target groups not found');
      const others = this.#loadBalancersOf(arn).filter((lb) => lb !== listener.loadBalancerArn);
      if (others.length > 0) throw awsError(TargetGroupAssociationLimitException, `The following target groups cannot be associated with more than one load balancer: ${arn}`);
    }
    return normalised;
  }

  #normaliseActions(actions: Action[]): Action[] {
    return actions.map((action, index) => {
      const order = action.Order ?? index + 1;
      if (action.Type === 'forward') {
        const groups = action.ForwardConfig?.TargetGroups?.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 })) ??
          (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : []);
        if (groups.length === 0) throw validationError('A target group ARN must be specified for a forward action');
        return {
          Type: 'forward',
          Order: order,
          ...(groups.length === 1 ? { TargetGroupArn: groups[0]!.TargetGroupArn } : {}),
          ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: false } },
        };
      }
      return { ...clone(action), Order: order };
    });
  }

  #checkUniqueTargetGroups(loadBalancerArn: string, actions: Action[], replacingRule: string | undefined): void {
    const groups = new Set<string>(referencedTargetGroups(actions));
    for (const rule of this.#rules.values()) {
      if (rule.arn === replacingRule) continue;
      if (this.#listeners.get(rule.listenerArn)?.loadBalancerArn !== loadBalancerArn) continue;
      for (const arn of referencedTargetGroups(rule.actions)) groups.add(arn);
    }
    if (groups.size > this.limits.targetGroupsPerLoadBalancer) {
      throw awsError(
        TooManyUniqueTargetGroupsPerLoadBalancerException,
        `You have reached the limit of '${this.limits.targetGroupsPerLoadBalancer}' unique target groups per load balancer`,
      );
    }
  }

  #checkNewTags(tags: Tag[]): Tag[] {
    assertNoDuplicateKeys(tags);
    if (tags.length > this.limits.tagsPerResource) throw awsError(TooManyTagsException, `A resource can have at most ${this.limits.tagsPerResource} tags`);
    return tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
  }

  #taggable(arn: string): { tags: Tag[] } {
    const found = this.#targetGroups.get(arn) ?? this.#rules.get(arn) ?? this.#loadBalancers.get(arn) ?? this.#listeners.get(arn);
    if (found) return found;
    if (arn.includes(':targetgroup/')) return notFoundTargetGroup();
    if (arn.includes(':listener-rule/')) return notFoundRule();
    if (arn.includes(':listener/')) return notFoundListener();
    return notFoundLoadBalancer();
  }
}

// ───────────────────────────── helpers ─────────────────────────────

/** Checks AWS's target group naming rules; throws ValidationError with AWS's wording. */
export function validateTargetGroupName(name: string): void {
  if (name.length === 0) throw validationError('Target group name cannot be empty');
  if (name.length > 32) throw validationError(`Target group name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validationError(`Target group name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw validationError(`Target group name '${name}' cannot begin or end with '-'`);
  if (name.toLowerCase().startsWith('internal-')) throw validationError(`Target group name '${name}' cannot begin with 'internal-'`);
}

function validateHealthCheck(hc: HealthCheck): void {
  if (hc.intervalSeconds < 5 || hc.intervalSeconds > 300) throw validationError('Health check interval must be between 5 and 300 seconds');
  if (hc.timeoutSeconds < 2 || hc.timeoutSeconds > 120) throw validationError('Health check timeout must be between 2 and 120 seconds');
  if (hc.timeoutSeconds >= hc.intervalSeconds) throw validationError('Health check interval must be greater than the timeout');
  for (const [name, n] of [['Healthy', hc.healthyThreshold], ['Unhealthy', hc.unhealthyThreshold]] as const) {
    if (n < 2 || n > 10) throw validationError(`${name} threshold count must be between 2 and 10`);
  }
  if (!hc.path.startsWith('/') || hc.path.length > 1024) throw validationError(`Health check path '${hc.path}' must begin with '/' and be at most 1024 characters`);
}

/** AWS's rule evaluation for one rule: every condition holds (see `Elbv2Fake.routeRequest`). */
function ruleMatches(conditions: readonly RuleCondition[], host: string, path: string): boolean {
  return conditions.every((c) => {
    const field = c.Field ?? '';
    const key = VALUE_CONFIG_KEY[field];
    if (key === undefined) return false;
    const values = c.Values ?? c[key]?.Values ?? [];
    return field === 'path-pattern' ? values.some((v) => wildcardRegExp(v, '').test(path)) : values.some((v) => wildcardRegExp(v, 'i').test(host));
  });
}

/** A whole-string matcher for an AWS wildcard value: `*` any run of characters, `?` exactly one. */
function wildcardRegExp(pattern: string, flags: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, `s${flags}`);
}

function checkPriority(priority: number | undefined): number {
  if (priority === undefined || !Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw validationError(`1 validation error detected: Value '${priority}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000`);
  }
  return priority;
}

function pageSize(requested: number | undefined): number {
  if (requested === undefined) return 400;
  if (!Number.isInteger(requested) || requested < 1 || requested > 400) {
    throw validationError(`1 validation error detected: Value '${requested}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400`);
  }
  return requested;
}

function referencedTargetGroups(actions: readonly Action[]): string[] {
  const out: string[] = [];
  for (const action of actions) {
    if (action.Type !== 'forward') continue;
    for (const g of action.ForwardConfig?.TargetGroups ?? []) if (g.TargetGroupArn) out.push(g.TargetGroupArn);
    if (!action.ForwardConfig && action.TargetGroupArn) out.push(action.TargetGroupArn);
  }
  return [...new Set(out)];
}

/** DescribeRules output: path/host conditions carry BOTH `Values` and `*Config`, like AWS. */
function describeRule(rule: RuleState): Rule {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    IsDefault: rule.priority === 'default',
    Conditions: rule.conditions.map((c) => {
      const key = c.Field ? VALUE_CONFIG_KEY[c.Field] : undefined;
      return key ? { Field: c.Field, Values: [...(c.Values ?? [])], [key]: { Values: [...(c.Values ?? [])] } } : clone(c);
    }),
    Actions: clone(rule.actions),
  };
}

function assertNoDuplicateKeys(tags: readonly Tag[]): void {
  const keys = tags.map((t) => t.Key);
  if (new Set(keys).size !== keys.length) throw awsError(DuplicateTagKeysException, 'A tag key was specified more than once');
}

function mergeTags(existing: readonly Tag[], incoming: readonly Tag[]): Tag[] {
  const map = new Map(existing.map((t) => [t.Key, t.Value ?? '']));
  for (const t of incoming) map.set(t.Key, t.Value ?? '');
  return [...map].map(([Key, Value]) => ({ Key, Value }));
}

function tagRecord(tags: readonly Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']));
}

function notFoundTargetGroup(): never {
  throw awsError(TargetGroupNotFoundException, 'One or more target groups not found');
}
function notFoundRule(): never {
  throw awsError(RuleNotFoundException, 'One or more rules not found');
}
function notFoundListener(): never {
  throw awsError(ListenerNotFoundException, 'One or more listeners not found');
}
function notFoundLoadBalancer(): never {
  throw awsError(LoadBalancerNotFoundException, 'One or more load balancers not found');
}
