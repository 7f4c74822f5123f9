/**
 * The ECS runtime's {@link ServerLogs}: a server's output from CloudWatch Logs,
 * in the group and stream prefix its task definition names (log-source.ts),
 * through FilterLogEvents only (one IAM action: logs:FilterLogEvents on the group).
 *
 * - Reading: pages forward from `since` (every page, `nextToken` until none),
 *   yielded page by page so a large group is never held in memory.
 * - `tail N`: pages backward (`startFromHead: false`, latest first) until N
 *   events are held, then yields them oldest first. AWS reads backward only from
 *   2024-01-01 on, so older events are never part of a tail.
 * - `follow`: polls from the newest time seen minus a look-back window (events of
 *   several tasks, or a batch the agent sent late, arrive out of time order) and
 *   skips the event ids it already yielded in that window, so nothing shows
 *   twice and memory stays bounded by the window. An empty poll doubles the wait
 *   (up to `maxPollMs`); a poll with events goes back to `pollMs`; throttling waits
 *   the longest. Ends when the signal aborts, in a wait or in a call.
 * - Errors: a missing group names the group and what creates it; AccessDenied
 *   names the IAM action and the resource (the group's ARN).
 *
 * @example
 * const logs = ecsServerLogs({ clients: { ecs, logs: cwl }, config });
 * for await (const l of logs.readLogs('weather', { since: Date.now() - 600_000, follow: true, signal })) print(l);
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent, type FilterLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ServerLogsError, type LogLine, type ReadLogsOptions, type ServerLogs } from '../server-logs.ts';
import { errorCode } from './aws-error.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { ecsReadError, findLogSource, type LogSource } from './log-source.ts';

/** Options of {@link ecsServerLogs}. */
export interface EcsLogReaderOptions {
  clients: { ecs: ECSClient; logs?: CloudWatchLogsClient };
  config: EcsEnvironmentConfig;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** Waits `ms`, resolving early when `signal` aborts; default a real timer. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** First wait between polls when following; default 1000 ms. */
  pollMs?: number;
  /** Longest wait between polls; default 10 s. */
  maxPollMs?: number;
  /** How far behind the newest event seen a poll looks again for late ones; default 10 s. */
  lookbackMs?: number;
}

/** AWS reads backward (startFromHead false) only from this time on. */
const BACKWARD_FROM_MS = Date.UTC(2024, 0, 1);
const MAX_PAGE = 10_000;

function realDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Oldest first; the event id breaks ties (AWS's ids grow with arrival). */
function byTime(a: FilteredLogEvent, b: FilteredLogEvent): number {
  return (a.timestamp ?? 0) - (b.timestamp ?? 0) || ((a.eventId ?? '') < (b.eventId ?? '') ? -1 : (a.eventId ?? '') > (b.eventId ?? '') ? 1 : 0);
}

function toLine(e: FilteredLogEvent): LogLine {
  // The awslogs driver sends one event per line, without its line break; a multi-line event is printed as it came.
  return { time: e.timestamp ?? 0, stream: 'stdout', line: (e.message ?? '').replace(/\r?\n$/, ''), ...(e.logStreamName !== undefined ? { source: e.logStreamName } : {}) };
}

/** Creates the reader. Nothing is read until `readLogs` is iterated. */
export function ecsServerLogs(opts: EcsLogReaderOptions): ServerLogs {
  const now = opts.now ?? Date.now;
  const delay = opts.delay ?? realDelay;
  const pollMs = opts.pollMs ?? 1000;
  const maxPollMs = opts.maxPollMs ?? 10_000;
  const lookbackMs = opts.lookbackMs ?? 10_000;
  const { config } = opts;

  function logsError(err: unknown, server: string, src: LogSource): ServerLogsError {
    const code = errorCode(err);
    if (code === 'ResourceNotFoundException') {
      return new ServerLogsError(
        'log_group_missing',
        `CloudWatch log group ${src.group} does not exist in ${src.region}: task definition ${src.taskDefinition} sends "${server}"'s output there, and the awslogs driver does not create groups. It is created with the environment (infra/: the stack's servers log group, the logGroup of the ECS environment config), or by \`aws logs create-log-group --log-group-name ${src.group} --region ${src.region}\`; lines written while it was missing are lost`,
        { cause: err },
      );
    }
    const account = /^arn:[^:]+:ecs:[^:]*:(\d+):/.exec(src.taskDefinition)?.[1] ?? '<account>';
    return ecsReadError(err, 'logs:FilterLogEvents', `arn:aws:logs:${src.region}:${account}:log-group:${src.group}:*`, `reading CloudWatch log group ${src.group}`);
  }

  return {
    async *readLogs(server: string, o: ReadLogsOptions): AsyncGenerator<LogLine> {
      const logs = opts.clients.logs;
      if (logs === undefined) throw new ServerLogsError('read_failed', 'the ECS provider was built without a CloudWatch Logs client; build it with createAwsClients (src/cli/aws-clients.ts)');
      const { signal } = o;
      const startedAt = now();
      const src = await findLogSource(server, { ecs: opts.clients.ecs, config, signal });
      const base = { logGroupName: src.group, ...(src.streamPrefix !== '' ? { logStreamNamePrefix: src.streamPrefix } : {}) };

      /** Pages of events, in the direction `input` asks; ends quietly when the signal aborts. */
      async function* pages(input: FilterLogEventsCommandInput): AsyncGenerator<FilteredLogEvent[]> {
        let nextToken: string | undefined;
        do {
          if (signal.aborted) return;
          let out;
          try {
            out = await logs!.send(new FilterLogEventsCommand({ ...input, ...(nextToken !== undefined ? { nextToken } : {}) }), { abortSignal: signal });
          } catch (err) {
            if (signal.aborted) return;
            throw logsError(err, server, src);
          }
          yield out.events ?? [];
          nextToken = out.nextToken;
        } while (nextToken !== undefined);
      }

      const seen = new Map<string, number>();
      let newest: number | undefined;
      let floor: number;
      const remember = (e: FilteredLogEvent): void => {
        if (o.follow && e.eventId !== undefined) seen.set(e.eventId, e.timestamp ?? 0);
        newest = Math.max(newest ?? 0, e.timestamp ?? 0);
      };
      /** Only ids inside the look-back window can come again. */
      const forget = (): void => {
        for (const [id, ts] of seen) if (ts < (newest ?? 0) - lookbackMs) seen.delete(id);
      };

      if (o.tail !== undefined) {
        const held: FilteredLogEvent[] = [];
        if (o.tail > 0) {
          const input = { ...base, startFromHead: false, startTime: Math.max(o.since ?? 0, BACKWARD_FROM_MS), limit: Math.min(o.tail, MAX_PAGE) };
          for await (const page of pages(input)) {
            held.push(...page);
            if (held.length >= o.tail) break;
          }
        }
        const kept = o.tail === 0 ? [] : held.sort(byTime).slice(-o.tail);
        held.forEach(remember);
        // What is older than the tail was left out on purpose: following never brings it back.
        floor = kept.length > 0 ? (kept[0]!.timestamp ?? 0) : Math.max(o.since ?? 0, startedAt);
        for (const e of kept) {
          if (signal.aborted) return;
          yield toLine(e);
        }
      } else {
        floor = o.since ?? 0;
        for await (const page of pages({ ...base, ...(o.since !== undefined ? { startTime: o.since } : {}) })) {
          for (const e of page) {
            remember(e);
            if (signal.aborted) return;
            yield toLine(e);
          }
          forget();
        }
      }
      if (!o.follow) return;

      let cursor = newest ?? Math.max(floor, startedAt);
      let wait = pollMs;
      while (!signal.aborted) {
        await delay(wait, signal);
        if (signal.aborted) return;
        const from = Math.max(floor, cursor - lookbackMs);
        let fresh = 0;
        try {
          for await (const page of pages({ ...base, startTime: from })) {
            for (const e of page.sort(byTime)) {
              if ((e.timestamp ?? 0) < floor || (e.eventId !== undefined && seen.has(e.eventId))) continue;
              remember(e);
              fresh++;
              if (signal.aborted) return;
              yield toLine(e);
            }
          }
        } catch (err) {
          // Throttled past the SDK's retries: wait the longest and poll again; anything else ends following.
          if (!(err instanceof ServerLogsError) || errorCode(err.cause) !== 'ThrottlingException') throw err;
          wait = maxPollMs;
          continue;
        }
        cursor = Math.max(cursor, newest ?? cursor);
        forget();
        wait = fresh > 0 ? pollMs : Math.min(wait * 2, maxPollMs);
      }
    },
  };
}
