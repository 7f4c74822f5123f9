/**
 * Public surface of the AWS fake for tests and benchmarks. See README.md in this folder.
 */
export { FakeClock, FAKE_EPOCH_MS, type TimeSource } from './clock.ts';
export { ACCOUNT_ID, REGION } from './common.ts';
export { DEFAULT_ECS_TIMINGS, EcsFake, type EcsTimings, type ImageBehaviour } from './ecs.ts';
export { DEFAULT_ELBV2_LIMITS, Elbv2Fake, validateTargetGroupName, type Elbv2Limits, type TargetBehaviour } from './elbv2.ts';
export { THROTTLING_CODE, type ServiceName } from './errors.ts';
export { AwsFake, isReadOperation, type AwsFakeOptions, type CallOutcome, type CallRecord } from './fake.ts';
export { Faults, seededRandom, type FaultKind, type FaultSettings, type TargetedFault } from './faults.ts';
export { DEFAULT_ROUTE53_TIMINGS, Route53Fake, normaliseName, type Route53Timings } from './route53.ts';
export { SecretsManagerFake } from './secretsmanager.ts';
export { SsmFake } from './ssm.ts';
export { serveAwsFake, type ServedAwsFake } from './http.ts';
export { LogsFake } from './logs.ts';
export { attachFake, createFakeAwsClients, fakeClockRetryStrategy, fastRetryStrategy, FAKE_MIDDLEWARE_NAME, type FakeAwsClients, type FakeClientOptions } from './sdk.ts';
export { DEFAULT_BUCKETS, OPERATION_BUCKETS, Throttle, TokenBucket, type BucketSpec, type BucketStats, type ThrottleMode } from './throttle.ts';
