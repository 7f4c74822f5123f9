/**
 * `berth logs --provider ecs` as people run it: the real CLI process, its SDK
 * clients sent to the AWS fake's HTTP front by AWS_ENDPOINT_URL, a server the
 * ECS provider deployed (its task's awslogs stream made by the fake at task
 * start). Covers the missing group's message, paging (--tail, --since,
 * --timestamps), AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, -f printing a line put after it started, Ctrl-C (130), SIGTERM
 * (143), and a closed output pipe ending it.
 */
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth, spawnBerth, waitFor } from './cli-services-harness.ts';
import { ecsWorldForCli, taskLogStream, type CliEcsWorld, type EcsWorld } from './ecs-harness.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';

const GROUP = '/berth/dev';
let world: CliEcsWorld;
let w: EcsWorld;
let dir: string;
let env: Record<string, string>;
let clients: ReturnType<typeof createFakeAwsClients>;

beforeAll(async () => {
  world = await ecsWorldForCli('weather', 'logs-ecs');
  ({ w, dir, env } = world);
  clients = createFakeAwsClients(w.fake, { maxAttempts: 1 });
});
afterAll(async () => {
  await world?.close();
});

const logs = (...args: string[]) => runBerth(['logs', 'weather', '--provider', 'ecs', '--environment', 'dev', ...args], { cwd: dir, env });
const follow = (...args: string[]) => spawnBerth(['logs', 'weather', '--provider', 'ecs', '--environment', 'dev', '-f', ...args], { cwd: dir, env });
const put = (stream: string, events: Array<[number, string]>) =>
  clients.logs.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }));

describe('berth logs --provider ecs (spawned, AWS_ENDPOINT_URL at the fake)', () => {
  it('names the missing log group and what creates it; then pages through the task stream with --tail, --since and --timestamps', async () => {
    const missing = await logs();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^berth logs: CloudWatch log group \/berth\/dev does not exist in us-east-1: task definition arn:aws:ecs:us-east-1:123456789012:task-definition\/berth-weather:1 sends "weather"'s output there, and the awslogs driver does not create groups\. It is created with the environment .*`aws logs create-log-group --log-group-name \/berth\/dev --region us-east-1`/,
    );

    w.fake.logs.createLogGroup(GROUP);
    const stream = taskLogStream(w, 'weather');
    w.fake.logs.createLogStream(GROUP, stream);
    w.fake.logs.createLogStream(GROUP, 'quote/mcp/0123');
    const now = Date.now();
    await put(stream, [[now - 30 * 60_000, 'old line']]);
    await put(stream, [[now - 60_000, 'line 1'], [now - 50_000, 'line 2'], [now - 40_000, 'line 3']]);
    await put('quote/mcp/0123', [[now - 45_000, 'another server']]);
    w.fake.logs.pageLimit = 2;

    const all = await logs();
    expect(all.stderr).toBe('');
    expect(all.stdout).toBe('old line\nline 1\nline 2\nline 3\n');
    expect((await logs('--tail', '2')).stdout).toBe('line 2\nline 3\n');
    // The per-service endpoint variables win over AWS_ENDPOINT_URL, as for the other clients.
    const perService = await runBerth(['logs', 'weather', '--provider', 'ecs', '--environment', 'dev', '--tail', '1'], {
      cwd: dir,
      env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_ECS: world.aws.url, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: world.aws.url },
    });
    expect(perService).toMatchObject({ code: 0, stdout: 'line 3\n' });
    expect((await logs('--since', '10m')).stdout).toBe('line 1\nline 2\nline 3\n');
    const stamped = await logs('--tail', '1', '--timestamps');
    expect(stamped.stdout).toBe(`${new Date(now - 40_000).toISOString()} line 3\n`);
  });

  it('-f prints a line put after it started; Ctrl-C exits 130, SIGTERM 143, a closed output pipe ends it', async () => {
    const stream = taskLogStream(w, 'weather');
    const f = follow('--tail', '1');
    await f.waitForLine(/^line 3$/, 10_000);
    await put(stream, [[Date.now(), 'after start']]);
    await f.waitForLine(/^after start$/, 10_000);
    expect(f.lines).toEqual(['line 3', 'after start']);
    expect(await f.stop('SIGINT')).toEqual({ code: 130, signal: null });

    const since = w.fake.lastCallSeq;
    const t = follow('--tail', '0');
    // Once it reads (its signal handlers are set by then), SIGTERM is a stop, not a kill.
    await waitFor('the follower reading', () => (w.fake.callCounts({ since }).FilterLogEvents ?? 0) > 0, 10_000);
    expect(await t.stop('SIGTERM')).toEqual({ code: 143, signal: null });

    const piped = follow('--tail', '1');
    await piped.waitForLine(/^after start$/, 10_000);
    piped.child.stdout!.destroy();
    // The next line it writes finds nobody reading: it stops by itself.
    await put(stream, [[Date.now(), 'nobody reads this']]);
    expect(await Promise.race([piped.exited, new Promise((r) => setTimeout(() => r('still running'), 8_000))])).toEqual({ code: 0, signal: null });
  }, 30_000);
});
