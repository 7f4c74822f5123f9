/**
 * CloudWatch Logs as far as Berth reads it (and tests write it): log groups,
 * log streams, PutLogEvents and FilterLogEvents with AWS's rules.
 *
 * - CreateLogGroup / CreateLogStream: an existing name → ResourceAlreadyExistsException;
 *   a missing group → ResourceNotFoundException ("The specified log group does not exist.").
 * - PutLogEvents: 1–10,000 events per call, in chronological order
 *   (InvalidParameterException otherwise), spanning at most 24 hours; events older than
 *   14 days or more than 2 hours ahead of the (simulated) clock are not stored and
 *   reported in `rejectedLogEventsInfo`, as AWS does. No sequence token is needed (AWS
 *   dropped them in 2023).
 * - FilterLogEvents: `logGroupName` xor `logGroupIdentifier` (a name or an ARN);
 *   `logStreamNames` and `logStreamNamePrefix` together → InvalidParameterException;
 *   `startTime`/`endTime` are inclusive epoch ms (startTime > endTime is invalid);
 *   `limit` 1–10,000; events ordered by time (then by arrival), interleaved across
 *   streams; `startFromHead: false` gives the latest first and needs a startTime on or
 *   after 2024-01-01 (AWS's documented rule). A page holds at most `pageLimit` events
 *   (AWS's 10,000, or 1 MB; settable so tests see pagination); `nextToken` continues in
 *   the direction the first call chose, and an unknown token is InvalidParameterException.
 *   `filterPattern` supports only plain terms (every term must appear in the message).
 * - Access: `denyRead(group)` makes FilterLogEvents on that group AccessDeniedException
 *   with AWS's wording, naming the action and the resource.
 * - ECS tasks whose task definition sends a container's output to an existing group
 *   (awslogs driver) get their stream `<prefix>/<container>/<task id>` when they start
 *   (see {@link LogsFake.taskStarted}), as the awslogs driver creates it.
 */
import {
  AccessDeniedException,
  InvalidParameterException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type FilteredLogEvent,
  type FilterLogEventsRequest,
  type FilterLogEventsResponse,
  type InputLogEvent,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
} from '@aws-sdk/client-cloudwatch-logs';
import { ACCOUNT_ID, REGION, type World } from './common.ts';
import { awsError } from './errors.ts';

interface StoredEvent {
  stream: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
  /** Arrival order across the whole group: the tie-breaker after the timestamp. */
  seq: number;
}

interface LogGroup {
  name: string;
  createdAt: number;
  streams: Map<string, { name: string; createdAt: number }>;
  /** Every event of the group, kept sorted by (timestamp, seq). */
  events: StoredEvent[];
  denied: boolean;
}

const DAY_MS = 24 * 3600_000;
/** AWS: startFromHead false needs a startTime on or after this. */
const BACKWARD_EPOCH_MS = Date.UTC(2024, 0, 1);
const MAX_EVENTS = 10_000;

/** The CloudWatch Logs model of the fake account. */
export class LogsFake {
  readonly #world: World;
  readonly #groups = new Map<string, LogGroup>();
  #seq = 0;
  /** Most events one FilterLogEvents page holds (AWS: 10,000 or 1 MB). Tests lower it to see pagination. */
  pageLimit = MAX_EVENTS;
  /** API operations, by name. */
  readonly handlers: Record<string, (input: never) => unknown>;

  constructor(world: World) {
    this.#world = world;
    this.handlers = {
      CreateLogGroup: (input: { logGroupName?: string }) => this.createLogGroup(input.logGroupName ?? ''),
      CreateLogStream: (input: { logGroupName?: string; logStreamName?: string }) => this.createLogStream(input.logGroupName ?? '', input.logStreamName ?? ''),
      PutLogEvents: (input: PutLogEventsRequest) => this.#putLogEvents(input),
      FilterLogEvents: (input: FilterLogEventsRequest) => this.#filterLogEvents(input),
    };
  }

  // ───────────────────────────── fake-only API (the API calls use them too) ─────────────────────────────

  /** Creates a log group. @throws ResourceAlreadyExistsException */
  createLogGroup(name: string): Record<string, never> {
    if (!/^[\w\-./#]{1,512}$/.test(name)) throw awsError(InvalidParameterException, `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
    if (this.#groups.has(name)) throw awsError(ResourceAlreadyExistsException, 'The specified log group already exists');
    this.#groups.set(name, { name, createdAt: this.#world.now(), streams: new Map(), events: [], denied: false });
    return {};
  }

  /** Creates a log stream in an existing group. @throws ResourceNotFoundException, ResourceAlreadyExistsException */
  createLogStream(group: string, stream: string): Record<string, never> {
    const g = this.#group(group);
    if (stream === '' || stream.length > 512 || /[:*]/.test(stream)) throw awsError(InvalidParameterException, `1 validation error detected: Value '${stream}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
    if (g.streams.has(stream)) throw awsError(ResourceAlreadyExistsException, 'The specified log stream already exists');
    g.streams.set(stream, { name: stream, createdAt: this.#world.now() });
    return {};
  }

  /** Makes FilterLogEvents on `group` fail with AccessDeniedException (an identity without logs:FilterLogEvents), or, with `false`, succeed again. */
  denyRead(group: string, denied = true): void {
    this.#group(group).denied = denied;
  }

  /** Names of a group's streams, sorted. */
  streamsOf(group: string): string[] {
    return [...this.#group(group).streams.keys()].sort();
  }

  /**
   * The awslogs driver at a task's start: creates `<prefix>/<container>/<task id>` in the
   * group a container's logConfiguration names, when that group exists (the driver does
   * not create groups unless told to). Called by the ECS model.
   */
  taskStarted(taskId: string, containers: ReadonlyArray<{ name?: string; logConfiguration?: { logDriver?: string; options?: Record<string, string> } }>): void {
    for (const c of containers) {
      const o = c.logConfiguration?.options;
      if (c.logConfiguration?.logDriver !== 'awslogs' || o === undefined) continue;
      const g = this.#groups.get(o['awslogs-group'] ?? '');
      if (g === undefined) continue;
      const name = `${o['awslogs-stream-prefix'] ?? ''}/${c.name ?? ''}/${taskId}`;
      if (!g.streams.has(name)) g.streams.set(name, { name, createdAt: this.#world.now() });
    }
  }

  // ───────────────────────────── API ─────────────────────────────

  #group(name: string): LogGroup {
    const g = this.#groups.get(name);
    if (g === undefined) throw awsError(ResourceNotFoundException, 'The specified log group does not exist.');
    return g;
  }

  #putLogEvents(input: PutLogEventsRequest): PutLogEventsResponse {
    const g = this.#group(input.logGroupName ?? '');
    const stream = input.logStreamName ?? '';
    if (!g.streams.has(stream)) throw awsError(ResourceNotFoundException, 'The specified log stream does not exist.');
    const events: InputLogEvent[] = input.logEvents ?? [];
    if (events.length === 0 || events.length > MAX_EVENTS) {
      throw awsError(InvalidParameterException, `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and ${MAX_EVENTS}`);
    }
    for (let i = 1; i < events.length; i++) {
      if ((events[i]!.timestamp ?? 0) < (events[i - 1]!.timestamp ?? 0)) throw awsError(InvalidParameterException, 'Log events in a single PutLogEvents request must be in chronological order.');
    }
    if ((events[events.length - 1]!.timestamp ?? 0) - (events[0]!.timestamp ?? 0) > DAY_MS) {
      throw awsError(InvalidParameterException, 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    const now = this.#world.now();
    let tooOld: number | undefined;
    let tooNew: number | undefined;
    events.forEach((e, i) => {
      const ts = e.timestamp ?? 0;
      if (ts < now - 14 * DAY_MS) tooOld = i;
      else if (ts > now + 2 * 3600_000) tooNew ??= i;
      else this.#insert(g, { stream, timestamp: ts, ingestionTime: now, message: e.message ?? '', eventId: '', seq: 0 });
    });
    const rejected = { ...(tooOld !== undefined ? { tooOldLogEventEndIndex: tooOld } : {}), ...(tooNew !== undefined ? { tooNewLogEventStartIndex: tooNew } : {}) };
    return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
  }

  #insert(g: LogGroup, e: StoredEvent): void {
    this.#seq += 1;
    e.seq = this.#seq;
    // AWS event ids are long decimal strings; unique per event.
    e.eventId = `${String(e.timestamp).padStart(15, '0')}${String(this.#seq).padStart(12, '0')}`;
    // Usually appended at the end; a late event (another task's, or a batch behind) is placed by its time.
    let i = g.events.length;
    while (i > 0 && g.events[i - 1]!.timestamp > e.timestamp) i--;
    g.events.splice(i, 0, e);
  }

  #filterLogEvents(input: FilterLogEventsRequest): FilterLogEventsResponse {
    const invalid = (message: string): Error => awsError(InvalidParameterException, message);
    if ((input.logGroupName === undefined) === (input.logGroupIdentifier === undefined)) {
      throw invalid('Either logGroupName or logGroupIdentifier must be specified, but not both.');
    }
    let name = input.logGroupName ?? input.logGroupIdentifier ?? '';
    const arn = /^arn:aws:logs:[^:]+:\d+:log-group:([^:]+)(:\*)?$/.exec(name);
    if (arn) name = arn[1]!;
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw invalid('Cannot specify both logStreamNames and logStreamNamePrefix.');
    }
    if (input.limit !== undefined && (input.limit < 1 || input.limit > MAX_EVENTS)) {
      throw invalid(`1 validation error detected: Value '${input.limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${MAX_EVENTS}`);
    }
    if (input.startTime !== undefined && input.startTime < 0) throw invalid(`1 validation error detected: Value '${input.startTime}' at 'startTime' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    if (input.startTime !== undefined && input.endTime !== undefined && input.startTime > input.endTime) {
      throw invalid('End time must be greater than or equal to start time.');
    }
    const g = this.#group(name);
    if (g.denied) {
      throw awsError(
        AccessDeniedException,
        `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/berth-operator/cli is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${g.name}:log-stream: because no identity-based policy allows the logs:FilterLogEvents action`,
      );
    }
    let forward = input.startFromHead ?? true;
    let position = 0;
    if (input.nextToken !== undefined) {
      const t = /^(f|b)\/(\d+)$/.exec(Buffer.from(input.nextToken, 'base64url').toString('utf8'));
      if (!t) throw invalid('The specified nextToken is invalid.');
      forward = t[1] === 'f';
      position = Number(t[2]);
    } else if (!forward && (input.startTime ?? 0) < BACKWARD_EPOCH_MS) {
      throw invalid('startFromHead=false is supported only when startTime is on or after Jan 1, 2024 00:00:00 UTC.');
    }
    const terms = (input.filterPattern ?? '').split(/\s+/).filter((t) => t !== '');
    const matches = (e: StoredEvent): boolean =>
      (input.startTime === undefined || e.timestamp >= input.startTime) &&
      (input.endTime === undefined || e.timestamp <= input.endTime) &&
      (input.logStreamNames === undefined || input.logStreamNames.includes(e.stream)) &&
      (input.logStreamNamePrefix === undefined || e.stream.startsWith(input.logStreamNamePrefix)) &&
      terms.every((t) => e.message.includes(t));
    // The token is the arrival number of the next event to look at: stable while events arrive meanwhile.
    const ordered = forward ? g.events : [...g.events].reverse();
    const size = Math.min(input.limit ?? MAX_EVENTS, this.pageLimit);
    const out: FilteredLogEvent[] = [];
    let i = position === 0 ? 0 : ordered.findIndex((e) => e.seq === position);
    if (i < 0) throw invalid('The specified nextToken is invalid.');
    for (; i < ordered.length && out.length < size; i++) {
      const e = ordered[i]!;
      if (matches(e)) out.push({ logStreamName: e.stream, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId });
    }
    const rest = ordered.slice(i).find(matches);
    const next = rest === undefined ? undefined : Buffer.from(`${forward ? 'f' : 'b'}/${rest.seq}`).toString('base64url');
    return { events: out, searchedLogStreams: [], ...(next !== undefined ? { nextToken: next } : {}) };
  }
}
