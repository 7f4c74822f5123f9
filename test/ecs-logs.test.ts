/**
 * The ECS provider's log reader over the AWS fake: it finds the group and stream
 * prefix in the task definition the service runs (not in the environment
 * config), reads every page, tails backward, and on follow yields each event
 * once — late events inside the look-back window included — backing off while
 * nothing comes. Refusals name the IAM action and the resource.
 */
import { PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsServerLogs, type EcsLogReaderOptions } from '../src/providers/ecs/index.ts';
import { ServerLogsError, type LogLine } from '../src/providers/server-logs.ts';
import { converge, ecsServer, ecsWorld, type EcsWorld } from './ecs-harness.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
let stream: string;
let clients: ReturnType<typeof createFakeAwsClients>;

beforeAll(async () => {
  // The group is the config's; the reader must find it in the task definition all the same.
  w = await ecsWorld({ environment: { logGroup: '/berth/dev/servers' } });
  w.fake.logs.createLogGroup('/berth/dev/servers');
  await createApproved(w.store, ecsServer('weather'));
  await converge(w, 'weather');
  stream = w.fake.logs.streamsOf('/berth/dev/servers')[0]!;
  w.fake.logs.createLogStream('/berth/dev/servers', 'quote/mcp/0123');
  clients = createFakeAwsClients(w.fake, { maxAttempts: 1 });
});
afterAll(async () => w?.close());

const put = (s: string, events: Array<[number, string]>) =>
  clients.logs.send(new PutLogEventsCommand({ logGroupName: '/berth/dev/servers', logStreamName: s, logEvents: events.map(([t, message]) => ({ timestamp: t, message })) }));

async function collectLines(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

async function collect(lines: AsyncIterable<LogLine>): Promise<string[]> {
  return (await collectLines(lines)).map((l) => l.line);
}

function reader(extra: Partial<EcsLogReaderOptions> = {}) {
  return ecsServerLogs({ clients, config: w.config, now: () => w.clock.now(), ...extra });
}

describe('ECS log reader', () => {
  it("reads the task's awslogs stream prefix, every page, --since and --tail", async () => {
    expect(stream).toMatch(/^weather\/mcp\/[0-9a-f]{32}$/);
    const t = w.clock.now() - 60_000;
    await put(stream, [[t, 'one'], [t + 1, 'two'], [t + 2, 'three'], [t + 3, 'four'], [t + 4, 'five']]);
    await put('quote/mcp/0123', [[t + 2, 'not weather']]);
    w.fake.logs.pageLimit = 2;
    const signal = new AbortController().signal;
    const since = w.fake.lastCallSeq;
    expect(await collect(reader().readLogs('weather', { signal }))).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(w.fake.callCounts({ since })).toMatchObject({ DescribeServices: 1, DescribeTaskDefinition: 1, FilterLogEvents: 3 });
    expect(await collect(reader().readLogs('weather', { since: t + 3, signal }))).toEqual(['four', 'five']);
    expect(await collect(reader().readLogs('weather', { tail: 3, signal }))).toEqual(['three', 'four', 'five']);
    expect(await collect(reader().readLogs('weather', { tail: 0, signal }))).toEqual([]);
    const [line] = await collectLines(reader().readLogs('weather', { tail: 1, signal }));
    expect(line).toEqual({ time: t + 4, stream: 'stdout', line: 'five', source: stream });
  });

  it('follows: a new event and a late one inside the look-back window show once; empty polls back off; abort ends it', async () => {
    w.fake.logs.pageLimit = 2;
    const t = w.clock.now() - 30_000;
    await put(stream, [[t, 'before']]);
    const stop = new AbortController();
    const waits: number[] = [];
    // Each wait is one poll's pause: the test writes what "arrives" meanwhile.
    const script: Array<() => Promise<unknown>> = [
      () => put(stream, [[t + 5_000, 'new']]),
      () => put(stream, [[t + 3_000, 'late']]),
      async () => undefined,
      async () => undefined,
      async () => stop.abort(),
    ];
    const delay = async (ms: number): Promise<void> => {
      waits.push(ms);
      await script.shift()?.();
    };
    const lines = await collect(reader({ delay, pollMs: 100, maxPollMs: 300, lookbackMs: 10_000 }).readLogs('weather', { since: t, follow: true, signal: stop.signal }));
    expect(lines).toEqual(['before', 'new', 'late']);
    expect(waits).toEqual([100, 100, 100, 200, 300]);
  });

  it('names the group and what creates it when it is missing, and the IAM action and resource when refused', async () => {
    const signal = new AbortController().signal;
    w.fake.logs.denyRead('/berth/dev/servers');
    const denied = await collect(reader().readLogs('weather', { signal })).then(() => undefined, (e: unknown) => e);
    w.fake.logs.denyRead('/berth/dev/servers', false);
    expect(denied).toBeInstanceOf(ServerLogsError);
    expect((denied as ServerLogsError).code).toBe('access_denied');
    expect((denied as Error).message).toMatch(/^AWS refused logs:FilterLogEvents on arn:aws:logs:us-east-1:123456789012:log-group:\/berth\/dev\/servers:\*: the AWS identity running berth logs needs IAM permission logs:FilterLogEvents on it/);
    expect((denied as Error).cause).toBeInstanceOf(Error);

    const missing = await collect(reader().readLogs('nowhere', { signal })).then(() => undefined, (e: unknown) => e as ServerLogsError);
    expect(missing?.code).toBe('not_found');
    expect(missing?.message).toMatch(/no ECS service berth-nowhere in cluster .*: "nowhere" is not deployed there/);
  });
});
