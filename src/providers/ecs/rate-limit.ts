/**
 * Client-side rate limiting per AWS API bucket, so Berth stays under the
 * throttles AWS documents instead of learning them from ThrottlingExceptions.
 * It sits in each SDK client's middleware stack right AFTER the SDK's retry
 * middleware, so every attempt (retries included) takes a token; the SDK's
 * adaptive retry stays behind it for what the limiter can't foresee (other
 * clients of the same account).
 */
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack } from '@smithy/types';

/** Burst and sustained rate of one bucket. */
export interface BucketLimit {
  burst: number;
  perSecond: number;
}

/**
 * The documented buckets (burst / per second), with a margin: Berth takes at most
 * 80% of a burst and 90% of the sustained rate, leaving room for people and
 * other tools sharing the account.
 * - ECS service reads 100/20, service writes 50/5, task-definition register/deregister 20/1,
 *   task-definition reads 50/20 (ECS "Request throttling" page);
 * - ELBv2 describes 40/10 (ELB API throttling page); ELBv2 writes: not published, 20/5 assumed;
 * - Route 53: 5 requests per second per account.
 */
export const DOCUMENTED_BUCKETS: Readonly<Record<string, BucketLimit>> = {
  'ecs:service-read': { burst: 100, perSecond: 20 },
  'ecs:service-write': { burst: 50, perSecond: 5 },
  'ecs:task-definition-write': { burst: 20, perSecond: 1 },
  'ecs:task-definition-read': { burst: 50, perSecond: 20 },
  'elbv2:describe': { burst: 40, perSecond: 10 },
  'elbv2:write': { burst: 20, perSecond: 5 },
  'route53:account': { burst: 5, perSecond: 5 },
};

/** Share of each documented bucket Berth allows itself. */
export const BUCKET_MARGIN = { burst: 0.8, perSecond: 0.9 } as const;

/** Operation → bucket. Operations not listed are not limited. */
export const OPERATION_BUCKET: Readonly<Record<string, string>> = {
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
  DescribeTargetGroups: 'elbv2:describe',
  DescribeTargetHealth: 'elbv2:describe',
  DescribeRules: 'elbv2:describe',
  DescribeTags: 'elbv2:describe',
  DescribeListeners: 'elbv2:describe',
  DescribeLoadBalancers: 'elbv2:describe',
  DescribeTargetGroupAttributes: 'elbv2:describe',
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
  ChangeResourceRecordSets: 'route53:account',
  ListResourceRecordSets: 'route53:account',
  GetChange: 'route53:account',
};

/** Time and waiting, passed in so tests run on a simulated clock. */
export interface LimiterTime {
  now(): number;
  /** Resolves after `ms` (tests: moves a simulated clock). */
  delay(ms: number): Promise<void>;
}

/**
 * Token buckets with reservations: a caller that finds the bucket empty reserves
 * the next token and waits for it, so concurrent callers queue in order.
 * @example
 * const limiter = new RateLimiter({ now: Date.now, delay: (ms) => new Promise((r) => setTimeout(r, ms)) });
 * await limiter.take('CreateService');
 */
export class RateLimiter {
  readonly #time: LimiterTime;
  readonly #limits: Record<string, BucketLimit>;
  readonly #state = new Map<string, { tokens: number; at: number }>();

  constructor(time: LimiterTime, limits: Record<string, BucketLimit> = effectiveLimits()) {
    this.#time = time;
    this.#limits = limits;
  }

  /** The limits in force, per bucket. */
  limits(): Readonly<Record<string, BucketLimit>> {
    return this.#limits;
  }

  /** Waits until `operation` may be sent. */
  async take(operation: string): Promise<void> {
    const bucket = OPERATION_BUCKET[operation];
    const limit = bucket === undefined ? undefined : this.#limits[bucket];
    if (bucket === undefined || limit === undefined) return;
    const now = this.#time.now();
    const s = this.#state.get(bucket) ?? { tokens: limit.burst, at: now };
    s.tokens = Math.min(limit.burst, s.tokens + (Math.max(0, now - s.at) / 1000) * limit.perSecond);
    s.at = Math.max(s.at, now);
    s.tokens -= 1;
    this.#state.set(bucket, s);
    if (s.tokens >= 0) return;
    // Round up so the token has surely refilled by then (the bucket on AWS's side counts the same way).
    await this.#time.delay(Math.ceil((-s.tokens / limit.perSecond) * 1000));
  }
}

/** Documented buckets with {@link BUCKET_MARGIN} applied. */
export function effectiveLimits(): Record<string, BucketLimit> {
  return Object.fromEntries(
    Object.entries(DOCUMENTED_BUCKETS).map(([k, v]) => [k, { burst: Math.max(1, Math.floor(v.burst * BUCKET_MARGIN.burst)), perSecond: v.perSecond * BUCKET_MARGIN.perSecond }]),
  );
}

/** Name of the limiter middleware in a client's stack. */
export const RATE_LIMIT_MIDDLEWARE = 'berthRateLimiter';

/**
 * Puts `limiter` into `client`'s stack right after the SDK's retry middleware
 * (so each attempt takes a token). Replaces an earlier Berth limiter on the same client.
 */
export function attachRateLimiter<I extends object, O extends MetadataBearer>(client: { middlewareStack: MiddlewareStack<I, O> }, limiter: RateLimiter): void {
  const middleware: FinalizeRequestMiddleware<I, O> = (next, context) => async (args: FinalizeHandlerArguments<I>) => {
    await limiter.take(String(context.commandName ?? '').replace(/Command$/, ''));
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware, { name: RATE_LIMIT_MIDDLEWARE, relation: 'after', toMiddleware: 'retryMiddleware', override: true });
}
