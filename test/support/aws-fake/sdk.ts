/**
 * Routes real AWS SDK v3 clients into the fake. A middleware placed right
 * after the SDK's retry middleware (finalizeRequest step) answers each attempt
 * from the fake instead of sending HTTP, so everything above it — input
 * middleware, the retry strategy (standard or adaptive), error classification —
 * is the SDK's own code behaving as it does against AWS.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { FinalizeHandlerArguments, FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack, RetryStrategyV2 } from '@smithy/types';
import { REGION } from './common.ts';
import { requestId, type ServiceName } from './errors.ts';
import { seededRandom } from './faults.ts';
import type { AwsFake } from './fake.ts';

/** Name of the fake's middleware in each client's stack. */
export const FAKE_MIDDLEWARE_NAME = 'berthAwsFakeMiddleware';

const SERVICE_BY_CLIENT: Record<string, ServiceName> = {
  ECSClient: 'ecs',
  ElasticLoadBalancingV2Client: 'elbv2',
  Route53Client: 'route53',
  SecretsManagerClient: 'secretsmanager',
  SSMClient: 'ssm',
  CloudWatchLogsClient: 'logs',
};

/**
 * Makes every command sent through `client` run against `fake`. Idempotent per client.
 * @example
 * const ecs = new ECSClient({ region: 'us-east-1' });
 * attachFake(ecs, fake);
 * await ecs.send(new ListServicesCommand({ cluster: 'default' }));
 */
export function attachFake<I extends object, O extends MetadataBearer>(client: { middlewareStack: MiddlewareStack<I, O> }, fake: AwsFake): void {
  const middleware: FinalizeRequestMiddleware<I, O> = (_next, context) => async (args: FinalizeHandlerArguments<I>) => {
    const service = SERVICE_BY_CLIENT[context.clientName ?? ''];
    if (!service) throw new Error(`attachFake: unsupported client ${String(context.clientName)}; the fake serves ECS, ELBv2, Route 53, Secrets Manager, SSM and CloudWatch Logs`);
    const operation = String(context.commandName ?? '').replace(/Command$/, '');
    const result = fake.handle(service, operation, args.input) as object;
    const output = { ...result, $metadata: { httpStatusCode: 200, requestId: requestId(), attempts: 1, totalRetryDelay: 0 } } as unknown as O;
    return { output, response: {} };
  };
  client.middlewareStack.addRelativeTo(middleware, {
    name: FAKE_MIDDLEWARE_NAME,
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    override: true,
  });
}

/** Options of {@link createFakeAwsClients}. */
export interface FakeClientOptions {
  /** SDK max attempts (first try included). Default: the SDK's (3). */
  maxAttempts?: number;
  /** SDK retry mode. Default: the SDK's ('standard'). */
  retryMode?: 'standard' | 'adaptive';
  /**
   * A custom retry strategy (overrides maxAttempts/retryMode), or a factory so
   * each client gets its own (retry quotas are per strategy instance).
   */
  retryStrategy?: RetryStrategyV2 | (() => RetryStrategyV2);
}

/** Real SDK clients wired to the fake. */
export interface FakeAwsClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  route53: Route53Client;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  logs: CloudWatchLogsClient;
}

/**
 * Real ECS, ELBv2, Route 53, Secrets Manager, SSM and CloudWatch Logs clients (us-east-1, dummy static credentials)
 * whose requests go to `fake`.
 * @example
 * const clients = createFakeAwsClients(fake, { retryStrategy: () => fastRetryStrategy(5) });
 */
export function createFakeAwsClients(fake: AwsFake, options: FakeClientOptions = {}): FakeAwsClients {
  const strategy = (): RetryStrategyV2 | undefined =>
    typeof options.retryStrategy === 'function' ? options.retryStrategy() : options.retryStrategy;
  const config = (): Record<string, unknown> => {
    const retryStrategy = strategy();
    return {
      region: REGION,
      credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-access-key' },
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.retryMode !== undefined ? { retryMode: options.retryMode } : {}),
      ...(retryStrategy !== undefined ? { retryStrategy } : {}),
    };
  };
  const ecs = new ECSClient(config());
  const elbv2 = new ElasticLoadBalancingV2Client(config());
  const route53 = new Route53Client(config());
  const secretsManager = new SecretsManagerClient(config());
  const ssm = new SSMClient(config());
  const logs = new CloudWatchLogsClient(config());
  attachFake(ecs, fake);
  attachFake(elbv2, fake);
  attachFake(route53, fake);
  attachFake(secretsManager, fake);
  attachFake(ssm, fake);
  attachFake(logs, fake);
  return { ecs, elbv2, route53, secretsManager, ssm, logs };
}

/**
 * The SDK's own {@link ConfiguredRetryStrategy} (standard retry rules, retry
 * quota included) with a tiny real backoff, so tests that retry stay fast.
 * @example createFakeAwsClients(fake, { retryStrategy: () => fastRetryStrategy(5) })
 */
export function fastRetryStrategy(maxAttempts = 5, backoffMs = 1): RetryStrategyV2 {
  return new ConfiguredRetryStrategy(maxAttempts, () => backoffMs);
}

/**
 * Standard SDK retries whose backoff is spent in SIMULATED time: each retry
 * advances `clock` by an exponential, jittered (seeded) delay instead of
 * sleeping. Throttled callers then see buckets refill exactly as they would
 * after a real backoff, and the fake-clock time a run took includes its backoff.
 * @example
 * const clients = createFakeAwsClients(fake, { retryStrategy: () => fakeClockRetryStrategy(fake.clock as FakeClock) });
 */
export function fakeClockRetryStrategy(
  clock: { advance(ms: number): void },
  options: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; seed?: number } = {},
): RetryStrategyV2 {
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 20_000;
  const random = seededRandom(options.seed ?? 1);
  return new ConfiguredRetryStrategy(options.maxAttempts ?? 5, (attempt: number) => {
    const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
    // "Equal jitter": at least half the ceiling, so backoff always gives buckets time to refill.
    clock.advance(Math.floor(ceiling / 2 + random() * (ceiling / 2)));
    return 0;
  });
}
