/**
 * The AWS fake as a whole: one simulated account holding the ECS, ELBv2 and
 * Route 53 models, a clock, throttling, faults and a call log. Provider code
 * never calls it: tests attach it to real SDK clients (see sdk.ts), so every
 * request goes through the SDK's own middleware, retry strategy and exception
 * classes.
 */
import { FakeClock, type TimeSource } from './clock.ts';
import { IdGenerator, type World } from './common.ts';
import { LogsFake } from './logs.ts';
import { EcsFake, type EcsTimings } from './ecs.ts';
import { Elbv2Fake, type Elbv2Limits } from './elbv2.ts';
import { serverError, throttlingError, type ServiceName } from './errors.ts';
import { Faults } from './faults.ts';
import { Route53Fake, type Route53Timings } from './route53.ts';
import { SecretsManagerFake } from './secretsmanager.ts';
import { SsmFake } from './ssm.ts';
import { Throttle, type BucketSpec, type BucketStats, type ThrottleMode } from './throttle.ts';

/** How one API call ended. */
export type CallOutcome =
  | 'ok'
  /** The service rejected it (a modelled AWS error such as PriorityInUse). */
  | 'error'
  /** Rejected by a token bucket. */
  | 'throttled'
  /** Rejected by an injected fault before it ran. */
  | 'injected-throttle'
  | 'injected-server-error'
  /** Applied, then failed by an injected fault (the caller never saw the result). */
  | 'applied-then-failed';

/** One entry of {@link AwsFake.calls}: every attempt, including the SDK's retries. */
export interface CallRecord {
  seq: number;
  service: ServiceName;
  operation: string;
  /** Simulated time of the call, epoch ms. */
  at: number;
  outcome: CallOutcome;
  /** Error name when the outcome is not 'ok'. */
  error?: string;
  input: unknown;
}

/** Options of {@link AwsFake}. */
export interface AwsFakeOptions {
  /** Time source; default a new {@link FakeClock}. Pass the reconciler's clock to drive both with one. */
  clock?: TimeSource;
  /** What refills the token buckets; default 'simulated'. */
  throttle?: ThrottleMode;
  /** Override bucket sizes, e.g. `{ 'ecs:service-write': { burst: 5, refillPerSecond: 1 } }`. */
  buckets?: Record<string, BucketSpec>;
  ecs?: Partial<EcsTimings>;
  route53?: Partial<Route53Timings>;
  elbv2Limits?: Partial<Elbv2Limits>;
  /** ECS clusters to seed; default `['default']`. */
  clusters?: readonly string[];
}

/** Operations that only read (they never change AWS state). */
export function isReadOperation(operation: string): boolean {
  return /^(Describe|List|Get)/.test(operation);
}

/**
 * A simulated AWS account (us-east-1) for ECS, ELBv2 and Route 53, the
 * Secrets Manager and SSM Parameter Store reads of secret references, and the
 * CloudWatch Logs the servers' tasks write to.
 * @example
 * const fake = new AwsFake();
 * const lb = fake.elbv2.createLoadBalancer({ name: 'berth' });
 * const listener = fake.elbv2.createListener({ loadBalancerArn: lb.arn });
 * const zoneId = fake.route53.createHostedZone({ name: 'mcp.example.com' });
 * const { ecs, elbv2, route53 } = createFakeAwsClients(fake);
 * await ecs.send(new RegisterTaskDefinitionCommand({ ... }));
 * fake.clock.advance(120_000);
 * expect(fake.callCounts({ writesOnly: true })).toEqual({});
 */
export class AwsFake {
  readonly clock: TimeSource;
  readonly faults = new Faults();
  readonly throttle: Throttle;
  readonly ecs: EcsFake;
  readonly elbv2: Elbv2Fake;
  readonly route53: Route53Fake;
  readonly secretsManager: SecretsManagerFake;
  readonly ssm: SsmFake;
  readonly logs: LogsFake;
  /** Every attempt, in order. */
  readonly calls: CallRecord[] = [];
  readonly #world: World;
  #worldTime: number;
  #seq = 0;

  constructor(options: AwsFakeOptions = {}) {
    this.clock = options.clock ?? new FakeClock();
    this.#worldTime = this.clock.now();
    const ids = new IdGenerator();
    this.#world = {
      now: () => this.#worldTime,
      readAfterWriteDelayMs: () => this.faults.readAfterWriteDelayMs,
      ids,
      sync: () => this.sync(),
    };
    this.throttle = new Throttle(() => this.#worldTime, options.throttle ?? 'simulated', options.buckets);
    this.elbv2 = new Elbv2Fake(this.#world, options.elbv2Limits);
    this.ecs = new EcsFake(this.#world, this.elbv2, options.ecs);
    this.route53 = new Route53Fake(this.#world, options.route53);
    this.secretsManager = new SecretsManagerFake(this.#world);
    this.ssm = new SsmFake(this.#world);
    this.logs = new LogsFake(this.#world);
    this.ecs.onTaskStarted = (taskId, containers) => this.logs.taskStarted(taskId, containers);
    this.elbv2.usedByService = (arn) => this.ecs.serviceUsingTargetGroup(arn);
    for (const cluster of options.clusters ?? ['default']) this.ecs.createCluster(cluster);
  }

  /**
   * Runs one API call against the simulated account. Called by the SDK
   * middleware from {@link attachFake}; throws the SDK's exception classes.
   */
  handle(service: ServiceName, operation: string, input: unknown): unknown {
    if (this.faults.latencyMs > 0 && this.clock instanceof FakeClock) this.clock.advance(this.faults.latencyMs);
    this.sync();
    const model = { ecs: this.ecs, elbv2: this.elbv2, route53: this.route53, secretsmanager: this.secretsManager, ssm: this.ssm, logs: this.logs }[service];
    const handler = model.handlers[operation] as ((input: unknown) => unknown) | undefined;
    if (!handler) {
      throw new Error(`The AWS fake does not implement ${service}:${operation}. Add it to test/support/aws-fake/${service}.ts or avoid the call.`);
    }
    const record = (outcome: CallOutcome, error?: string): void => {
      this.#seq += 1;
      this.calls.push({ seq: this.#seq, service, operation, at: this.#worldTime, outcome, ...(error ? { error } : {}), input });
    };
    if (!this.throttle.admit(operation)) {
      record('throttled', 'Throttling');
      throw throttlingError(service);
    }
    const fault = this.faults.decide(operation);
    if (fault?.when === 'before') {
      record(fault.kind === 'throttle' ? 'injected-throttle' : 'injected-server-error', fault.kind);
      throw fault.kind === 'throttle' ? throttlingError(service) : serverError(service);
    }
    let output: unknown;
    try {
      output = handler(input ?? {});
    } catch (error) {
      record('error', (error as Error).name);
      throw error;
    }
    if (fault?.when === 'after') {
      record('applied-then-failed', fault.kind);
      this.#stepTo(this.#worldTime);
      throw fault.kind === 'throttle' ? throttlingError(service) : serverError(service);
    }
    record('ok');
    // Let ECS react at once (e.g. the scheduler launches tasks for a new service), as AWS would.
    if (!isReadOperation(operation)) this.#stepTo(this.#worldTime);
    return output;
  }

  /**
   * Brings the simulated world up to the clock's time, event by event (tasks
   * starting, targets turning healthy, draining ending). Every API call and
   * {@link snapshot} does this first; call it yourself after moving an external clock.
   */
  sync(): void {
    const target = this.clock.now();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = [this.ecs.nextEventAt(this.#worldTime), this.elbv2.nextEventAt(this.#worldTime), this.route53.nextEventAt(this.#worldTime)]
        .filter((t): t is number => t !== undefined)
        .reduce<number | undefined>((a, b) => (a === undefined || b < a ? b : a), undefined);
      if (next === undefined || next > target) break;
      this.#stepTo(next);
    }
    this.#stepTo(target);
  }

  /**
   * Attempts per operation (every attempt, retries included).
   * `outcome` counts only attempts that ended that way; `writesOnly` skips Describe/List/Get.
   * @example expect(fake.callCounts({ writesOnly: true, outcome: 'ok' })).toEqual({ CreateService: 1 });
   */
  callCounts(filter: { outcome?: CallOutcome; service?: ServiceName; writesOnly?: boolean; since?: number } = {}): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) {
      if (filter.outcome !== undefined && call.outcome !== filter.outcome) continue;
      if (filter.service !== undefined && call.service !== filter.service) continue;
      if (filter.writesOnly === true && isReadOperation(call.operation)) continue;
      if (filter.since !== undefined && call.seq <= filter.since) continue;
      counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    }
    return counts;
  }

  /** Sequence number of the last recorded call; pass it as `since` to count only later calls. */
  get lastCallSeq(): number {
    return this.#seq;
  }

  /** Allowed and throttled attempts per token bucket. */
  bucketStats(): BucketStats[] {
    return this.throttle.stats();
  }

  /** Plain-data copy of every resource, after catching up with the clock. */
  snapshot(): { at: number; ecs: ReturnType<EcsFake['snapshot']>; elbv2: ReturnType<Elbv2Fake['snapshot']>; route53: ReturnType<Route53Fake['snapshot']> } {
    this.sync();
    return { at: this.#worldTime, ecs: this.ecs.snapshot(), elbv2: this.elbv2.snapshot(), route53: this.route53.snapshot() };
  }

  #stepTo(time: number): void {
    this.#worldTime = Math.max(this.#worldTime, time);
    this.elbv2.step(this.#worldTime);
    this.ecs.step(this.#worldTime);
    this.route53.step(this.#worldTime);
  }
}
