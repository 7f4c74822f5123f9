/**
 * `berth registry --logs-provider ecs` as it runs on ECS: a real registry
 * process whose SDK clients reach the AWS fake's HTTP front (AWS_ENDPOINT_URL),
 * serving `GET …/mcpservers/<name>/logs` from the CloudWatch group and stream
 * prefix the server's task definition names. Covers the newest lines with their
 * times, a missing group (404 naming it), AccessDenied (502 naming the IAM
 * action), flags without --logs-provider refused, and a CloudWatch endpoint that
 * never answers giving a 504 after --logs-timeout instead of holding the request.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { runBerth, spawnBerth, type BerthProcess } from './cli-services-harness.ts';
import { ecsServer, ecsWorldForCli, taskLogStream, type CliEcsWorld, type EcsWorld } from './ecs-harness.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';

const GROUP = '/berth/dev';
let world: CliEcsWorld;
let w: EcsWorld;
let registry: BerthProcess;
let url: string;
let token: string;

beforeAll(async () => {
  world = await ecsWorldForCli('weather', 'registry-ecs-logs');
  w = world.w;
  const stateDir = join(world.dir, 'state');
  registry = spawnBerth(['registry', '--port', '0', '--state-dir', stateDir, '--log-level', 'warn', '--logs-provider', 'ecs', '--environment', 'dev', '--config', 'berth.config.yaml'], { cwd: world.dir, env: world.env });
  url = /(http:\/\/\S+)/.exec(await registry.waitForLine(/^registry listening on http/))![1]!;
  token = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
  // The registry's own store holds the server (the route answers only for servers it knows).
  await new HttpRegistryClient({ baseUrl: url, token }).create(ecsServer('weather'));
});
afterAll(async () => {
  await registry?.stop();
  await world?.close();
});

const logsOf = async (name: string, tail: number) => {
  const res = await fetch(`${url}/apis/berth.dev/v1alpha1/mcpservers/${name}/logs?tail=${tail}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('berth registry --logs-provider ecs (spawned, AWS_ENDPOINT_URL at the fake)', () => {
  it('says where its logs come from; a missing group is a 404 naming it; then the newest lines with their times; AccessDenied is a 502 naming the action', async () => {
    expect(await registry.waitForLine(/^server logs from /)).toBe('server logs from CloudWatch Logs of ECS environment dev (berth logs --provider ecs reads the same)');

    const missing = await logsOf('weather', 2);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toMatch(/CloudWatch log group \/berth\/dev does not exist in us-east-1: task definition arn:aws:ecs:us-east-1:123456789012:task-definition\/berth-weather:1 sends "weather"'s output there/);

    w.fake.logs.createLogGroup(GROUP);
    const stream = taskLogStream(w, 'weather');
    w.fake.logs.createLogStream(GROUP, stream);
    const now = Date.now();
    const events: Array<[number, string]> = [[now - 60_000, 'line 1'], [now - 50_000, 'line 2'], [now - 40_000, 'line 3']];
    const clients = createFakeAwsClients(w.fake, { maxAttempts: 1 });
    await clients.logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }));

    const served = await logsOf('weather', 2);
    expect(served).toEqual({
      status: 200,
      body: {
        server: 'weather',
        source: 'CloudWatch Logs of ECS environment dev (berth logs --provider ecs reads the same)',
        lines: [
          { time: new Date(now - 50_000).toISOString(), stream: 'stdout', line: 'line 2' },
          { time: new Date(now - 40_000).toISOString(), stream: 'stdout', line: 'line 3' },
        ],
      },
    });

    w.fake.logs.denyRead(GROUP);
    const denied = await logsOf('weather', 2);
    w.fake.logs.denyRead(GROUP, false);
    expect(denied.status).toBe(502);
    expect(denied.body.detail).toMatch(/logs:FilterLogEvents/);
    expect(denied.body.detail).toMatch(/arn:aws:logs:us-east-1:123456789012:log-group:\/berth\/dev:\*/);
  });

  it('refuses --environment or --logs-timeout without --logs-provider ecs, a logs provider it does not know, and an environment config it cannot read (exit 1)', async () => {
    const alone = await runBerth(['registry', '--environment', 'dev'], { cwd: world.dir });
    expect(alone).toMatchObject({ code: 2 });
    expect(alone.stderr).toMatch(/--environment and --config choose an ECS environment: add --logs-provider ecs/);
    const unknown = await runBerth(['registry', '--logs-provider', 'local'], { cwd: world.dir });
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toMatch(/--logs-provider must be ecs \(got "local"\)/);
    const noConfig = await runBerth(['registry', '--port', '0', '--state-dir', join(world.dir, 'state-noconfig'), '--logs-provider', 'ecs', '--environment', 'dev', '--config', 'missing.yaml'], { cwd: world.dir });
    expect(noConfig).toMatchObject({ code: 1 });
    expect(noConfig.stderr).toMatch(/^berth registry: --logs-provider ecs: .*missing\.yaml.* cannot be read .*pass --config with the path of the environment config/m);
    const timeoutAlone = await runBerth(['registry', '--logs-timeout', '1s'], { cwd: world.dir });
    expect(timeoutAlone).toMatchObject({ code: 2 });
    expect(timeoutAlone.stderr).toMatch(/--logs-timeout bounds the reads of --logs-provider ecs/);
  });

  it('answers 504 saying so when CloudWatch does not answer within --logs-timeout, and never holds the request', async () => {
    // A CloudWatch Logs endpoint that takes connections and never answers (ECS calls still reach the fake).
    const held = new Set<Socket>();
    const silent = createServer((socket) => void held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const stateDir = join(world.dir, 'state-slow');
    const slow = spawnBerth(['registry', '--port', '0', '--state-dir', stateDir, '--log-level', 'warn', '--logs-provider', 'ecs', '--environment', 'dev', '--logs-timeout', '1s'], {
      cwd: world.dir,
      env: { ...world.env, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` },
    });
    try {
      const slowUrl = /(http:\/\/\S+)/.exec(await slow.waitForLine(/^registry listening on http/))![1]!;
      const slowToken = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
      await new HttpRegistryClient({ baseUrl: slowUrl, token: slowToken }).create(ecsServer('weather'));
      const started = Date.now();
      const res = await fetch(`${slowUrl}/apis/berth.dev/v1alpha1/mcpservers/weather/logs?tail=2`, { headers: { authorization: `Bearer ${slowToken}` } });
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(((await res.json()) as { detail: string }).detail).toMatch(/CloudWatch Logs did not answer within 1 s \(--logs-timeout\); try again, or read them with `berth logs weather --provider ecs --environment dev`/);
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(4_000);
      expect(held.size, 'the read reached the silent endpoint').toBeGreaterThan(0);
    } finally {
      await slow.stop();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
