/**
 * Shared set-up of the ECS provider tests: the AWS fake on a FakeClock, real SDK
 * clients routed into it, the ECS provider over those clients, and the real
 * reconciler over a real SQLite registry. Passes are driven by hand: reconcile,
 * then move the fake clock by the requeue delay the reconciler asked for.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RegisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { applyDefaults } from '../src/manifest/defaults.ts';
import type { MCPServer, MCPServerSpec, RuntimeSpec } from '../src/manifest/types.ts';
import { createEcsProvider, parseEcsEnvironment, type EcsProviderOptions } from '../src/providers/ecs/index.ts';
import { createReconciler, type Reconciler } from '../src/reconciler/reconcile.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import type { RegistryClient } from '../src/client/registry-client.ts';
import { openInProcessRegistry, RECONCILER_PRINCIPAL } from '../src/registry/in-process.ts';
import type { Store } from '../src/registry/store.ts';
import { testLogger, tempDir } from './fixtures/reconciler/helpers.ts';
import { mcpServer } from './support/manifests.ts';
import { AwsFake, createFakeAwsClients, fakeClockRetryStrategy, FakeClock, serveAwsFake, type AwsFakeOptions, type ServedAwsFake } from './support/aws-fake/index.ts';
import { approveInStore, createApproved } from './support/approvals.ts';

/** The hosted zone's domain in every test. */
export const DOMAIN = 'mcp.example.com';

/** One test world. */
export interface EcsWorld {
  clock: FakeClock;
  fake: AwsFake;
  store: Store;
  registry: RegistryClient;
  config: ReturnType<typeof parseEcsEnvironment>;
  provider: ReturnType<typeof createEcsProvider>;
  reconciler: Reconciler;
  /** A fresh provider + reconciler over the same AWS and registry (a restarted Berth). */
  restart(overrides?: Partial<EcsProviderOptions>): void;
  close(): Promise<void>;
}

/** Builds a world; `listeners` ALB shards (default 1); `environment`: more fields of the environment config; `startMs`: the fake clock's start (default FAKE_EPOCH_MS). */
export async function ecsWorld(
  opts: { fake?: AwsFakeOptions; listeners?: number; providerOptions?: Partial<EcsProviderOptions>; environment?: Record<string, unknown>; startMs?: number } = {},
): Promise<EcsWorld> {
  // startMs: a test whose spawned CLI compares AWS times with the wall clock starts the fake at Date.now().
  const clock = new FakeClock(opts.startMs);
  const fake = new AwsFake({ clock, ...opts.fake });
  const listeners = [];
  for (let i = 0; i < (opts.listeners ?? 1); i++) {
    const lb = fake.elbv2.createLoadBalancer({ name: `berth-${i}` });
    const listener = fake.elbv2.createListener({ loadBalancerArn: lb.arn });
    listeners.push({ arn: listener.arn, dnsName: lb.dnsName, canonicalHostedZoneId: lb.canonicalHostedZoneId });
  }
  const zoneId = fake.route53.createHostedZone({ name: DOMAIN });
  const config = parseEcsEnvironment(
    {
      environments: {
        dev: {
          installationId: 'berth-test',
          region: 'us-east-1',
          clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
          vpcId: 'vpc-0fake0000000000001',
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-berth'],
          listeners,
          hostedZoneId: zoneId,
          domain: DOMAIN,
          executionRoleArn: 'arn:aws:iam::123456789012:role/berth-exec',
          logGroup: '/berth/dev',
          tags: { 'cost-center': 'platform' },
          ...opts.environment,
        },
      },
    },
    'dev',
  );
  const { dir, remove } = tempDir('ecs');
  const store = await openSqliteStore({ path: join(dir, 'registry.db') });
  const api = openInProcessRegistry({ store, heartbeatMs: 2_000 });
  const registry = api.clientFor(RECONCILER_PRINCIPAL);
  const logger = testLogger();
  const sleeper = simulatedSleep(clock);
  const make = (overrides: Partial<EcsProviderOptions> = {}) => {
    const clients = createFakeAwsClients(fake, { retryStrategy: () => fakeClockRetryStrategy(clock, { maxAttempts: 6 }) });
    const provider = createEcsProvider({
      clients,
      config,
      logger,
      now: () => clock.now(),
      delay: sleeper.delay,
      ...opts.providerOptions,
      ...overrides,
    });
    return { provider, reconciler: createReconciler({ registry, providers: [provider], logger, clock }) };
  };
  const first = make();
  const world: EcsWorld = {
    clock,
    fake,
    store,
    registry,
    config,
    provider: first.provider,
    reconciler: first.reconciler,
    restart(overrides) {
      const next = make(overrides);
      world.provider = next.provider;
      world.reconciler = next.reconciler;
    },
    async close() {
      api.close();
      await store.close();
      remove();
    },
  };
  return world;
}

/** Writes `<dir>/berth.config.yaml`, the environment config an operator would write for the fake's world (environment dev), and returns its path. */
export function writeEcsConfigFile(dir: string, w: EcsWorld): string {
  const c = w.config;
  const file = join(dir, 'berth.config.yaml');
  writeFileSync(
    file,
    stringify({
      environments: {
        dev: {
          installationId: c.installationId,
          region: c.region,
          clusterArn: c.clusterArn,
          vpcId: c.vpcId,
          subnets: c.subnets,
          securityGroups: c.securityGroups,
          listeners: c.listeners.map((l) => ({ arn: l.arn, dnsName: l.dnsName, canonicalHostedZoneId: l.canonicalHostedZoneId })),
          hostedZoneId: c.hostedZoneId,
          domain: c.domain,
          tags: { 'cost-center': 'platform' },
        },
        production: { installationId: 'unused' },
      },
    }),
  );
  return file;
}

/** An MCPServer for ECS with defaults applied. */
export function ecsServer(name: string, runtime: Partial<RuntimeSpec> = {}, spec: Partial<MCPServerSpec> = {}): MCPServer {
  return applyDefaults(
    mcpServer(name, {
      runtime: { image: `example/${name}:1`, transport: 'streamable-http', port: 8080, healthCheck: { path: '/healthz' }, ...runtime },
      ...spec,
    }),
  );
}

/** Replaces the stored server's spec (a new generation), and approves the new spec as approvers would. */
export async function updateSpec(w: EcsWorld, name: string, change: (spec: MCPServerSpec) => MCPServerSpec): Promise<void> {
  const cur = (await w.store.get('MCPServer', name)) as MCPServer;
  await w.store.update({ ...cur, spec: applyDefaults({ ...cur, spec: change(structuredClone(cur.spec)) }).spec });
  await approveInStore(w.store, name);
}

/**
 * Runs passes for `name` until the reconciler asks for nothing more (no requeue),
 * moving the fake clock by each requeue delay (1 s after a retryable error).
 * Returns the number of passes.
 */
export async function converge(w: EcsWorld, name: string, maxPasses = 80): Promise<number> {
  for (let pass = 1; pass <= maxPasses; pass++) {
    let requeue: number | undefined;
    try {
      requeue = (await w.reconciler.reconcile(name)).requeueAfterMs;
    } catch (err) {
      await w.reconciler.recordFailure({ key: name, error: err, terminal: false, attempt: 1, retryInMs: 1000 });
      requeue = 1_000;
    }
    if (requeue === undefined) return pass;
    w.clock.advance(Math.max(requeue, 1));
  }
  throw new Error(`MCPServer "${name}" did not converge in ${maxPasses} passes`);
}

/** Write calls (every attempt) made by one more pass after the cache has expired. */
export async function writesOfNextPass(w: EcsWorld, name: string): Promise<Record<string, number>> {
  w.clock.advance(10_000);
  const since = w.fake.lastCallSeq;
  await w.reconciler.reconcile(name);
  return w.fake.callCounts({ writesOnly: true, since });
}

/** Stored status phase of a server. */
export async function phaseOf(w: EcsWorld, name: string): Promise<string | undefined> {
  return ((await w.store.get('MCPServer', name)) as MCPServer | undefined)?.status?.phase;
}

/** Stored status of a server. */
export async function statusOf(w: EcsWorld, name: string): Promise<MCPServer['status']> {
  return ((await w.store.get('MCPServer', name)) as MCPServer | undefined)?.status;
}

/** Berth-relevant resources in the fake, for "no duplicates, no orphans" checks. */
export function inventory(w: EcsWorld): {
  services: string[];
  activeTaskDefinitions: string[];
  targetGroups: string[];
  rules: string[];
  records: string[];
} {
  const s = w.fake.snapshot();
  return {
    services: s.ecs.services.filter((x) => x.status !== 'INACTIVE').map((x) => `${x.name}:${x.status}`).sort(),
    activeTaskDefinitions: s.ecs.taskDefinitions.filter((t) => t.status === 'ACTIVE').map((t) => `${t.family}:${t.revision}`).sort(),
    targetGroups: s.elbv2.targetGroups.map((t) => t.name).sort(),
    rules: s.elbv2.rules.filter((r) => r.priority !== 'default').map((r) => `${r.priority}:${JSON.stringify(r.conditions.map((c) => c.Values ?? c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values))}`).sort(),
    records: s.route53.zones.flatMap((z) => z.records.filter((r) => r.Type !== 'SOA' && r.Type !== 'NS').map((r) => `${r.Name}:${r.Type}`)).sort(),
  };
}

/**
 * Waiting on simulated time: every `delay(ms)` is parked until its due time; a
 * pump releases parked waiters one at a time, in due order, moving the clock to
 * each one's due time first. One waiter runs (up to its next await) before the
 * next is released, so concurrent callers fire at their own due times, as they
 * would with real timers.
 */
export function simulatedSleep(clock: FakeClock): { delay: (ms: number) => Promise<void> } {
  const parked: Array<{ at: number; seq: number; resolve: () => void }> = [];
  let seq = 0;
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    setImmediate(() => {
      pumping = false;
      if (parked.length === 0) return;
      parked.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = parked.shift()!;
      if (next.at > clock.now()) clock.advance(next.at - clock.now());
      next.resolve();
      pump();
    });
  };
  return {
    delay: (ms) =>
      new Promise<void>((resolve) => {
        parked.push({ at: clock.now() + ms, seq: seq++, resolve });
        pump();
      }),
  };
}

/**
 * Registers a revision of the `weather` server's task definition family by hand,
 * as someone outside Berth would (image `example/hotfix:9`), through `ecs`;
 * resolves to its ARN. The drift tests put it on the service out of band.
 */
export async function registerHotfixRevision(ecs: ECSClient): Promise<string> {
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'berth-weather',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'mcp', image: 'example/hotfix:9', portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  return td.taskDefinition!.taskDefinitionArn!;
}

/**
 * The environment of a spawned `berth` whose AWS SDK calls reach the fake's HTTP
 * front at `awsUrl` (AWS_ENDPOINT_URL): static fake credentials, and config and
 * credentials files that do not exist under `dir`, so this machine's ~/.aws never
 * takes part.
 */
export function awsFakeCliEnv(dir: string, awsUrl: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_ENDPOINT_URL: awsUrl,
  };
}

/** A world a spawned `berth` reaches over HTTP: see {@link ecsWorldForCli}. */
export interface CliEcsWorld {
  w: EcsWorld;
  aws: ServedAwsFake;
  /** Holds `berth.config.yaml` (environment dev): the spawned CLI's working folder. */
  dir: string;
  /** The spawned CLI's environment ({@link awsFakeCliEnv}). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A world with server `server` deployed (its task started, so the fake made its
 * awslogs stream once the group exists), served over HTTP for a spawned `berth`
 * working in `dir` with `env`. The fake's clock starts at the wall clock: the CLI
 * compares event times with its own.
 */
export async function ecsWorldForCli(server: string, prefix: string): Promise<CliEcsWorld> {
  const w = await ecsWorld({ startMs: Date.now() });
  await createApproved(w.store, ecsServer(server));
  await converge(w, server);
  const aws = await serveAwsFake(w.fake);
  const { dir, remove } = tempDir(prefix);
  writeEcsConfigFile(dir, w);
  return {
    w,
    aws,
    dir,
    env: awsFakeCliEnv(dir, aws.url),
    async close() {
      await aws.close();
      await w.close();
      remove();
    },
  };
}

/** The CloudWatch stream the awslogs driver writes `server`'s first task's output to: `<server>/mcp/<task id>`. */
export function taskLogStream(w: EcsWorld, server: string): string {
  const [task] = w.fake.ecs.tasksOf(`berth-${server}`);
  if (!task) throw new Error(`taskLogStream: ${server} has no task in the fake`);
  return `${server}/mcp/${task.arn.split('/').pop()}`;
}
