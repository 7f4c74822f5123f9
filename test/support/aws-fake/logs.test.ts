/** The fake's CloudWatch Logs behaves as AWS documents it, through the real SDK client (in process and over its HTTP front). */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { AwsFake, createFakeAwsClients, FakeClock, serveAwsFake } from './index.ts';

const T0 = Date.UTC(2026, 0, 1, 12);

async function world(): Promise<{ fake: AwsFake; logs: CloudWatchLogsClient }> {
  const fake = new AwsFake({ clock: new FakeClock(T0) });
  const { logs } = createFakeAwsClients(fake, { maxAttempts: 1 });
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev' }));
  for (const s of ['weather/mcp/a', 'weather/mcp/b', 'quote/mcp/c']) await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/dev', logStreamName: s }));
  return { fake, logs };
}

const put = (logs: CloudWatchLogsClient, stream: string, events: Array<[number, string]>) =>
  logs.send(new PutLogEventsCommand({ logGroupName: '/berth/dev', logStreamName: stream, logEvents: events.map(([t, message]) => ({ timestamp: T0 + t, message })) }));

async function all(logs: CloudWatchLogsClient, input: Omit<FilterLogEventsCommandInput, 'nextToken'>): Promise<{ messages: string[]; pages: number }> {
  const messages: string[] = [];
  let pages = 0;
  let nextToken: string | undefined;
  do {
    const out = await logs.send(new FilterLogEventsCommand({ ...input, ...(nextToken ? { nextToken } : {}) }));
    pages++;
    messages.push(...(out.events ?? []).map((e) => e.message ?? ''));
    nextToken = out.nextToken;
  } while (nextToken);
  return { messages, pages };
}

const fail = (p: Promise<unknown>): Promise<Error> => p.then(() => new Error('expected a failure'), (e: unknown) => e as Error);

describe('CloudWatch Logs FilterLogEvents', () => {
  it('orders events by time across streams, bounds are inclusive, the prefix picks streams, pages follow nextToken both ways', async () => {
    const { fake, logs } = await world();
    await put(logs, 'weather/mcp/a', [[0, 'a0'], [20, 'a20'], [40, 'a40']]);
    await put(logs, 'weather/mcp/b', [[10, 'b10'], [20, 'b20'], [30, 'b30']]);
    await put(logs, 'quote/mcp/c', [[15, 'c15']]);
    expect((await all(logs, { logGroupName: '/berth/dev' })).messages).toEqual(['a0', 'b10', 'c15', 'a20', 'b20', 'b30', 'a40']);
    expect((await all(logs, { logGroupName: '/berth/dev', logStreamNamePrefix: 'weather/', startTime: T0 + 10, endTime: T0 + 30 })).messages).toEqual(['b10', 'a20', 'b20', 'b30']);
    expect((await all(logs, { logGroupIdentifier: 'arn:aws:logs:us-east-1:123456789012:log-group:/berth/dev:*', logStreamNames: ['quote/mcp/c'] })).messages).toEqual(['c15']);
    fake.logs.pageLimit = 2;
    expect(await all(logs, { logGroupName: '/berth/dev', logStreamNamePrefix: 'weather/' })).toEqual({ messages: ['a0', 'b10', 'a20', 'b20', 'b30', 'a40'], pages: 3 });
    expect((await all(logs, { logGroupName: '/berth/dev', logStreamNamePrefix: 'weather/', startFromHead: false, startTime: Date.UTC(2024, 0, 1) })).messages).toEqual(['a40', 'b30', 'b20', 'a20', 'b10', 'a0']);
    expect((await all(logs, { logGroupName: '/berth/dev', limit: 1 })).pages).toBe(7);
  });

  it('refuses what AWS refuses: a missing group or stream, an existing name, bad arguments, unordered batches; keeps too-old events out', async () => {
    const { fake, logs } = await world();
    const missing = await fail(logs.send(new FilterLogEventsCommand({ logGroupName: '/berth/nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe('The specified log group does not exist.');
    expect((await fail(put(logs, 'nope', [[0, 'x']]))).message).toBe('The specified log stream does not exist.');
    expect(await fail(logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/dev' })))).toBeInstanceOf(ResourceAlreadyExistsException);
    for (const input of [
      { logGroupName: '/berth/dev', logStreamNames: ['a'], logStreamNamePrefix: 'a' },
      { logGroupName: '/berth/dev', logGroupIdentifier: '/berth/dev' },
      { logGroupName: '/berth/dev', limit: 0 },
      { logGroupName: '/berth/dev', startTime: T0 + 2, endTime: T0 + 1 },
      { logGroupName: '/berth/dev', startFromHead: false, startTime: Date.UTC(2023, 5, 1) },
      { logGroupName: '/berth/dev', nextToken: 'garbage' },
    ]) {
      expect(await fail(logs.send(new FilterLogEventsCommand(input))), JSON.stringify(input)).toBeInstanceOf(InvalidParameterException);
    }
    expect((await fail(put(logs, 'weather/mcp/a', [[5, 'late'], [1, 'early']]))).message).toBe('Log events in a single PutLogEvents request must be in chronological order.');
    const out = await logs.send(new PutLogEventsCommand({ logGroupName: '/berth/dev', logStreamName: 'weather/mcp/a', logEvents: [{ timestamp: T0 - 15 * 86_400_000, message: 'ancient' }, { timestamp: T0 - 15 * 86_400_000 + 1, message: 'ancient too' }] }));
    expect(out.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    await put(logs, 'weather/mcp/a', [[-14 * 86_400_000 + 1, 'kept']]);
    expect((await all(logs, { logGroupName: '/berth/dev' })).messages).toEqual(['kept']);
    fake.logs.denyRead('/berth/dev');
    expect((await fail(logs.send(new FilterLogEventsCommand({ logGroupName: '/berth/dev' })))).message).toMatch(/not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:\/berth\/dev/);
  });

  it('answers a real SDK client over HTTP (AWS_ENDPOINT_URL), errors as the same exception classes', async () => {
    const { fake } = await world();
    const served = await serveAwsFake(fake);
    try {
      const remote = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: served.url, maxAttempts: 1, credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' } });
      await remote.send(new PutLogEventsCommand({ logGroupName: '/berth/dev', logStreamName: 'weather/mcp/a', logEvents: [{ timestamp: T0, message: 'over http' }] }));
      const out = await remote.send(new FilterLogEventsCommand({ logGroupName: '/berth/dev' }));
      expect(out.events?.map((e) => [e.message, e.timestamp, e.logStreamName])).toEqual([['over http', T0, 'weather/mcp/a']]);
      const missing = await fail(remote.send(new FilterLogEventsCommand({ logGroupName: '/nope' })));
      expect(missing).toBeInstanceOf(ResourceNotFoundException);
      expect(missing.message).toBe('The specified log group does not exist.');
      remote.destroy();
    } finally {
      await served.close();
    }
  });
});
