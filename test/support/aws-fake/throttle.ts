/**
 * AWS-style request throttling: one token bucket per API bucket per account and
 * region. A call takes a token; an empty bucket means the call is throttled.
 * Buckets refill continuously at the sustained rate up to the burst size.
 *
 * Where the numbers come from (burst / refill per second):
 * - ECS service reads 100/20, service writes 50/5, task-definition
 *   register/deregister 20/1: documented ("Request throttling for the Amazon ECS API").
 * - ECS task-definition reads 50/20, ECS task reads 100/20: chosen (the page's
 *   table was not at hand; read buckets are generous in the same family).
 * - ELBv2 Describe* 40/10: documented ("Request throttling for the ELB API").
 * - ELBv2 writes 20/5 and target (de)registration 20/5: chosen, conservative.
 * - Route 53: 5 requests per second per account, documented; modelled as 5/5.
 */

/** Size and refill rate of one bucket. */
export interface BucketSpec {
  burst: number;
  refillPerSecond: number;
}

/** Bucket name → spec. Exported so tests and benchmarks can print the limits they were held to. */
export const DEFAULT_BUCKETS: Readonly<Record<string, BucketSpec>> = {
  'ecs:service-read': { burst: 100, refillPerSecond: 20 },
  'ecs:service-write': { burst: 50, refillPerSecond: 5 },
  'ecs:task-definition-write': { burst: 20, refillPerSecond: 1 },
  'ecs:task-definition-read': { burst: 50, refillPerSecond: 20 },
  'ecs:task-read': { burst: 100, refillPerSecond: 20 },
  'elbv2:describe': { burst: 40, refillPerSecond: 10 },
  'elbv2:write': { burst: 20, refillPerSecond: 5 },
  'elbv2:targets': { burst: 20, refillPerSecond: 5 },
  'route53:account': { burst: 5, refillPerSecond: 5 },
  'ssm:get-parameter': { burst: 40, refillPerSecond: 40 },
};

/** Which bucket each operation draws from; operations not listed are not throttled. */
export const OPERATION_BUCKETS: Readonly<Record<string, string>> = {
  // ECS
  DescribeServices: 'ecs:service-read',
  ListServices: 'ecs:service-read',
  ListTagsForResource: 'ecs:service-read',
  CreateService: 'ecs:service-write',
  UpdateService: 'ecs:service-write',
  DeleteService: 'ecs:service-write',
  TagResource: 'ecs:service-write',
  UntagResource: 'ecs:service-write',
  RegisterTaskDefinition: 'ecs:task-definition-write',
  DeregisterTaskDefinition: 'ecs:task-definition-write',
  DescribeTaskDefinition: 'ecs:task-definition-read',
  ListTaskDefinitions: 'ecs:task-definition-read',
  DescribeTasks: 'ecs:task-read',
  ListTasks: 'ecs:task-read',
  // SSM (standard throughput; Secrets Manager's GetSecretValue allows 10,000 a second: not throttled here)
  GetParameter: 'ssm:get-parameter',
  // ELBv2
  DescribeLoadBalancers: 'elbv2:describe',
  DescribeListeners: 'elbv2:describe',
  DescribeTargetGroups: 'elbv2:describe',
  DescribeTargetGroupAttributes: 'elbv2:describe',
  DescribeTargetHealth: 'elbv2:describe',
  DescribeRules: 'elbv2:describe',
  DescribeTags: 'elbv2:describe',
  CreateTargetGroup: 'elbv2:write',
  DeleteTargetGroup: 'elbv2:write',
  ModifyTargetGroup: 'elbv2:write',
  ModifyTargetGroupAttributes: 'elbv2:write',
  CreateRule: 'elbv2:write',
  ModifyRule: 'elbv2:write',
  DeleteRule: 'elbv2:write',
  SetRulePriorities: 'elbv2:write',
  AddTags: 'elbv2:write',
  RemoveTags: 'elbv2:write',
  RegisterTargets: 'elbv2:targets',
  DeregisterTargets: 'elbv2:targets',
  // Route 53 (one account-wide bucket)
  ChangeResourceRecordSets: 'route53:account',
  ListResourceRecordSets: 'route53:account',
  GetChange: 'route53:account',
  GetHostedZone: 'route53:account',
  ListHostedZonesByName: 'route53:account',
};

/**
 * Which time refills the buckets. 'simulated': the fake's clock (deterministic;
 * refills only as simulated time passes, e.g. through call latency or
 * {@link fakeClockRetryStrategy}). 'real': wall-clock time (for runs where the
 * SDK's real backoff should be what refills). 'off': never throttle.
 */
export type ThrottleMode = 'simulated' | 'real' | 'off';

/** A classic token bucket. */
export class TokenBucket {
  readonly spec: BucketSpec;
  #tokens: number;
  #updatedAt: number;

  constructor(spec: BucketSpec, nowMs: number) {
    this.spec = spec;
    this.#tokens = spec.burst;
    this.#updatedAt = nowMs;
  }

  /** Takes one token if there is one; false means "throttled". */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens left right now (fractional while refilling). */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#updatedAt);
    this.#tokens = Math.min(this.spec.burst, this.#tokens + (elapsed / 1000) * this.spec.refillPerSecond);
    this.#updatedAt = Math.max(this.#updatedAt, nowMs);
  }
}

/** Per-bucket counters, to show that a caller stayed inside the limits. */
export interface BucketStats {
  bucket: string;
  spec: BucketSpec;
  allowed: number;
  throttled: number;
}

/**
 * All buckets of one fake account. `admit(operation)` is called once per attempt.
 * @example
 * const t = new Throttle(() => clock.now(), 'simulated');
 * if (!t.admit('CreateService')) throw throttlingError();
 */
export class Throttle {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #stats = new Map<string, BucketStats>();
  readonly #specs: Record<string, BucketSpec>;
  readonly #simulatedNow: () => number;
  mode: ThrottleMode;

  constructor(simulatedNow: () => number, mode: ThrottleMode = 'simulated', overrides: Record<string, BucketSpec> = {}) {
    this.#simulatedNow = simulatedNow;
    this.mode = mode;
    this.#specs = { ...DEFAULT_BUCKETS, ...overrides };
  }

  /** The bucket an operation draws from, if any. */
  bucketOf(operation: string): string | undefined {
    return OPERATION_BUCKETS[operation];
  }

  /** Takes a token for `operation`; false when the call must be throttled. */
  admit(operation: string): boolean {
    const name = OPERATION_BUCKETS[operation];
    if (name === undefined) return true;
    const spec = this.#specs[name]!;
    const stats = this.#stats.get(name) ?? { bucket: name, spec, allowed: 0, throttled: 0 };
    this.#stats.set(name, stats);
    if (this.mode === 'off') {
      stats.allowed += 1;
      return true;
    }
    const now = this.mode === 'real' ? performance.timeOrigin + performance.now() : this.#simulatedNow();
    let bucket = this.#buckets.get(name);
    if (bucket === undefined) {
      bucket = new TokenBucket(spec, now);
      this.#buckets.set(name, bucket);
    }
    const ok = bucket.take(now);
    if (ok) stats.allowed += 1;
    else stats.throttled += 1;
    return ok;
  }

  /** Counters for every bucket that saw a call. */
  stats(): BucketStats[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }
}
