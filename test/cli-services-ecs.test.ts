/**
 * `berth reconciler --provider ecs`: the shared wiring (config file → SDK clients
 * → ECS provider) exercised in-process over clients routed into the AWS fake;
 * the CLI's usage, config-error and registry-error paths, and the SDK's
 * AWS_ENDPOINT_URL handling, exercised by spawning the real bin.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wireEcsRuntime } from '../src/cli/ecs-wiring.ts';
import { EcsConfigError } from '../src/providers/ecs/index.ts';
import { createReconciler } from '../src/reconciler/reconcile.ts';
import { runBerth, spawnBerth, startRegistryProcess, tempDir, waitFor, REPO, type BerthProcess } from './cli-services-harness.ts';
import { awsFakeCliEnv, converge, ecsServer, ecsWorld, inventory, phaseOf, simulatedSleep, writeEcsConfigFile } from './ecs-harness.ts';
import { testLogger } from './fixtures/reconciler/helpers.ts';
import { createFakeAwsClients, fakeClockRetryStrategy } from './support/aws-fake/index.ts';
import { createApproved } from './support/approvals.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('ECS wiring shared by berth plan and berth reconciler', () => {
  it('builds the provider from a config file over injected clients; a reconciler of one environment deploys it and leaves others alone', async () => {
    const w = await ecsWorld();
    cleanups.push(() => w.close());
    const { dir, remove } = tempDir('ecs-wiring');
    cleanups.push(remove);
    writeEcsConfigFile(dir, w);
    const clients = createFakeAwsClients(w.fake, { retryStrategy: () => fakeClockRetryStrategy(w.clock, { maxAttempts: 6 }) });
    const wiring = await wireEcsRuntime({
      configFile: 'berth.config.yaml',
      environment: 'dev',
      cwd: dir,
      logger: testLogger(),
      clients,
      provider: { now: () => w.clock.now(), delay: simulatedSleep(w.clock).delay },
    });
    expect(wiring.config).toMatchObject({ environment: 'dev', installationId: 'berth-test', tags: { 'cost-center': 'platform' } });
    expect(wiring.providers.map((p) => p.name)).toEqual(['ecs', 'remote']);
    w.reconciler = createReconciler({ registry: w.registry, providers: wiring.providers, environment: 'dev', logger: testLogger(), clock: w.clock });

    await createApproved(w.store, ecsServer('weather'));
    await createApproved(w.store, ecsServer('billing', {}, { environment: 'staging' }));
    await converge(w, 'weather');
    await converge(w, 'billing');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    expect(inventory(w).services).toEqual(['berth-weather:ACTIVE']);
    // The staging server is another reconciler's: no AWS resource, no status written by this one.
    expect(await phaseOf(w, 'billing')).toBeUndefined();
    await Promise.all(wiring.providers.map((p) => p.close()));
  });

  it('config errors name the file and the field', async () => {
    const { dir, remove } = tempDir('ecs-config');
    cleanups.push(remove);
    const logger = testLogger();
    const missing = wireEcsRuntime({ configFile: 'nope.yaml', environment: 'dev', cwd: dir, logger });
    await expect(missing).rejects.toThrow(EcsConfigError);
    await expect(missing).rejects.toThrow(`${join(dir, 'nope.yaml')}: cannot be read`);
    writeFileSync(join(dir, 'bad.yaml'), 'environments:\n  dev:\n    installationId: x\n    region: eu-west-1\n    clusterArn: c\n    vpcId: v\n    subnets: []\n');
    await expect(wireEcsRuntime({ configFile: 'bad.yaml', environment: 'dev', cwd: dir, logger })).rejects.toThrow(/bad\.yaml: environments\.dev\.listeners: must list at least one ALB listener/);
    await expect(wireEcsRuntime({ configFile: 'bad.yaml', environment: 'staging', cwd: dir, logger })).rejects.toThrow(/has no environment 'staging' \(found: dev\)/);
  });
});

describe('berth reconciler (spawned): usage, config and registry errors', () => {
  it('exit 2 on bad usage, 1 on a bad config naming file and field, 3 when the registry is unreachable or refuses the token', async () => {
    const { dir, remove } = tempDir('ecs-cli');
    cleanups.push(remove);
    const noEnv = await runBerth(['reconciler', '--provider', 'ecs']);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toMatch(/--provider ecs needs --environment/);
    expect(noEnv.stderr).toMatch(/Usage: berth reconciler/);
    expect((await runBerth(['reconciler', '--provider', 'k8s'])).code).toBe(2);
    expect((await runBerth(['reconciler', '--lease-ttl', 'soon'])).stderr).toMatch(/--lease-ttl must be a duration like 500ms, 15s, 5m, 12h or 30d \(got "soon"\)/);
    const badPort = await runBerth(['reconciler', '--metrics-port', '99999']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--metrics-port must be a port number 0–65535 \(got "99999"\)/);
    expect((await runBerth(['reconciler', '--metrics-host', '0.0.0.0'])).stderr).toMatch(/--metrics-host needs --metrics-port/);

    const missing = await runBerth(['reconciler', '--provider', 'ecs', '--environment', 'production', '--config', 'missing.yaml'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'missing.yaml')}: cannot be read`);
    writeFileSync(join(dir, 'broken.yaml'), 'environments:\n  production:\n    installationId: acme\n    region: eu-west-1\n    clusterArn: c\n    vpcId: v\n    subnets: [s]\n    securityGroups: [g]\n    listeners: [{ arn: not-an-arn, dnsName: a, canonicalHostedZoneId: z }]\n');
    const broken = await runBerth(['reconciler', '--provider', 'ecs', '--environment', 'production', '--config', 'broken.yaml'], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/broken\.yaml: environments\.production\.listeners\[0\]\.arn: 'not-an-arn' is not an Application Load Balancer listener ARN/);

    const unreachable = await runBerth(['reconciler', '--provider', 'local', '--state-dir', join(dir, 's'), '--server', 'http://127.0.0.1:9', '--token', 'x']);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/127\.0\.0\.1:9/);
    const gwUnreachable = await runBerth(['gateway', '--port', '0', '--server', 'http://127.0.0.1:9', '--token', 'x']);
    expect(gwUnreachable.code).toBe(3);

    const reg = await startRegistryProcess(join(dir, 'registry'));
    cleanups.push(async () => void (await reg.stop('SIGKILL', 2_000)));
    const refused = await runBerth(['reconciler', '--provider', 'local', '--state-dir', join(dir, 's'), '--server', reg.url, '--token', 'berth_not-a-real-token']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused the token/);
    const reader = await runBerth(['token', 'create', '--role', 'reader', '--server', reg.url, '--token', reg.token]);
    const readerToken = reader.stdout.trim().split('\n').pop()!;
    const notAdmin = await runBerth(['reconciler', '--provider', 'local', '--state-dir', join(dir, 's'), '--server', reg.url, '--token', readerToken]);
    expect(notAdmin.code, notAdmin.stderr).toBe(3);
    expect(notAdmin.stderr).toMatch(/neither a controller nor an admin token.*berth token create --role controller/);
  }, 30_000);
});

interface Recorded {
  host: string;
  target: string;
}

/** An HTTP endpoint that records what the SDK sends and answers every call with an access error. */
async function recorder(): Promise<{ url: string; calls: Recorded[]; server: Server }> {
  const calls: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? /Action=(\w+)/.exec(body)?.[1] ?? `${req.method} ${req.url}`);
      calls.push({ host: String(req.headers.host), target });
      res.writeHead(403, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
      res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'recorder: no access' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

describe('berth reconciler --provider ecs (spawned) talks to AWS where AWS_ENDPOINT_URL says', () => {
  it('AWS_ENDPOINT_URL_ECS for ECS, AWS_ENDPOINT_URL for ELBv2 and Route 53', async () => {
    const { dir, remove } = tempDir('ecs-endpoint');
    cleanups.push(remove);
    const general = await recorder();
    const ecsOnly = await recorder();
    cleanups.push(() => void general.server.close(), () => void ecsOnly.server.close());
    const reg = await startRegistryProcess(join(dir, 'registry'));
    cleanups.push(async () => void (await reg.stop('SIGKILL', 2_000)));
    const rec: BerthProcess = spawnBerth(
      ['reconciler', '--provider', 'ecs', '--environment', 'production', '--config', join(REPO, 'infra/environments/production.yaml'), '--server', reg.url, '--token', reg.token, '--lease-ttl', '2s'],
      {
        cwd: dir,
        env: { ...awsFakeCliEnv(dir, general.url), AWS_ENDPOINT_URL_ECS: ecsOnly.url },
      },
    );
    cleanups.push(async () => void (await rec.stop('SIGKILL', 2_000)));
    await rec.waitForLine(/"msg":"became leader"/);
    // The first resync lists what Berth manages: ECS services, target groups, the zone's records.
    await waitFor('ECS and ELBv2 calls at the recorders', () => ecsOnly.calls.length > 0 && general.calls.some((c) => c.target === 'DescribeTargetGroups'), 10_000);
    expect(ecsOnly.calls.every((c) => c.target.startsWith('AmazonEC2ContainerServiceV20141113.'))).toBe(true);
    expect(ecsOnly.calls.map((c) => c.target)).toContain('AmazonEC2ContainerServiceV20141113.ListServices');
    expect(general.calls.some((c) => c.target.startsWith('AmazonEC2ContainerService'))).toBe(false);
    expect(await rec.stop('SIGTERM')).toEqual({ code: 143, signal: null });
  }, 30_000);
});
