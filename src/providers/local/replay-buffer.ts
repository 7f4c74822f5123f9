/**
 * The events one bridge session sent, kept for a while so a client that lost
 * an SSE stream can resume it with `Last-Event-ID` (MCP streamable HTTP,
 * "Resumability and Redelivery"). It is the MCP SDK's own `EventStore`: handed
 * to the SDK's server transport, it makes the transport put an `id:` on every
 * SSE event, replay after a `Last-Event-ID`, and carry on with the live stream.
 *
 * Event ids are `<stream>-<seq>`: a short tag of the stream (one per POST
 * response stream, one for the GET stream) and a counter of the session, so an
 * id is unique within the session and names its stream, and replay never
 * crosses into another stream, as the specification requires.
 *
 * It leaves out the EventStore's optional `getStreamIdForEventId` on purpose:
 * with it, the SDK answers 409 to a resume while the old connection still
 * counts as open, which is exactly when a client resumes after a dropped
 * connection the server has not noticed yet; without it, the resume takes the
 * stream over and the old connection is closed. Ids the buffer cannot resume
 * are answered before the SDK sees them (see {@link ReplayBuffer.resumePoint}).
 *
 * Bounded by events and by bytes (oldest dropped first), so a client that
 * never resumes costs a fixed amount. An id whose successors may have been
 * dropped cannot be resumed exactly; {@link ReplayBuffer.resumePoint} says so
 * instead of replaying with a gap.
 */
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

/** Bounds of one session's buffer. */
export interface ReplayBounds {
  /** Events kept at most. */
  maxEvents: number;
  /** Bytes of serialized messages kept at most. */
  maxBytes: number;
}

/** Default bounds: enough for a long tool call's progress and its result, small against a server process. */
export const REPLAY_DEFAULTS: Readonly<ReplayBounds> = { maxEvents: 1000, maxBytes: 1024 * 1024 };

/** One stored SSE event. */
export interface StoredEvent {
  id: EventId;
  streamId: StreamId;
  message: JSONRPCMessage;
  bytes: number;
}

/** Where a `Last-Event-ID` leads. */
export type ResumePoint =
  /** Events after the id on its stream; `complete` when the stream's responses have all been sent (nothing more will follow). */
  | { kind: 'replay'; streamId: StreamId; events: StoredEvent[]; complete: boolean }
  /** Never issued in this session (or malformed). */
  | { kind: 'unknown'; message: string }
  /** Issued, but events after it were dropped from the bounded buffer: resuming would leave a gap. */
  | { kind: 'evicted'; message: string };

interface StreamRecord {
  tag: string;
  /** Events of the stream still in the buffer. */
  kept: number;
  /** Counter of the stream's latest event dropped from the buffer (0: none yet). */
  droppedThrough: number;
  /** All responses of the stream's requests have been stored: the SDK ends such a stream. */
  complete: boolean;
}

/**
 * A bounded, per-session {@link EventStore}.
 * @example
 * const replay = new ReplayBuffer();
 * new StreamableHTTPServerTransport({ sessionIdGenerator, eventStore: replay });
 * replay.resumePoint('3-17') // { kind: 'replay', streamId, events: [...], complete: true }
 */
export class ReplayBuffer implements EventStore {
  readonly #bounds: ReplayBounds;
  /** Insertion order is age order: the first key is the oldest event. */
  readonly #events = new Map<EventId, StoredEvent>();
  readonly #streams = new Map<StreamId, StreamRecord>();
  readonly #tags = new Map<string, StreamId>();
  /** Requests of one POST that carried several, each → the ids still unanswered in that POST. */
  readonly #batches = new Map<RequestId, Set<RequestId>>();
  #seq = 0;
  #bytes = 0;
  #nextTag = 0;

  constructor(bounds: Partial<ReplayBounds> = {}) {
    this.#bounds = { ...REPLAY_DEFAULTS, ...bounds };
  }

  /**
   * Says that these requests arrived in one POST, so its stream is complete
   * only when all of them are answered. Single requests need no call.
   */
  expectBatch(ids: readonly RequestId[]): void {
    if (ids.length < 2) return;
    const group = new Set(ids);
    for (const id of ids) this.#batches.set(id, group);
  }

  /** Forgets a batch the transport refused (no answers will come). */
  forgetBatch(ids: readonly RequestId[]): void {
    for (const id of ids) this.#batches.delete(id);
  }

  /** EventStore: stores a message the SDK is about to send on `streamId`, and returns its id. */
  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    let stream = this.#streams.get(streamId);
    if (!stream) {
      stream = { tag: (this.#nextTag++).toString(36), kept: 0, droppedThrough: 0, complete: false };
      this.#streams.set(streamId, stream);
      this.#tags.set(stream.tag, streamId);
    }
    const id = `${stream.tag}-${++this.#seq}`;
    const bytes = JSON.stringify(message).length;
    this.#events.set(id, { id, streamId, message, bytes });
    stream.kept++;
    this.#bytes += bytes;
    if (isResponse(message)) stream.complete ||= this.#answered(message.id);
    this.#evict();
    return id;
  }

  /** EventStore: sends the events after `lastEventId` on its stream (not the empty priming events) and returns the stream. */
  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const point = this.resumePoint(lastEventId);
    if (point.kind !== 'replay') throw new Error(point.message);
    for (const e of point.events) await send(e.id, e.message);
    return point.streamId;
  }

  /**
   * Where a client resuming after `lastEventId` stands: the events to replay
   * (priming events left out: they carry no message), or why it cannot resume.
   */
  resumePoint(lastEventId: EventId): ResumePoint {
    const unknown: ResumePoint = { kind: 'unknown', message: `Last-Event-ID ${JSON.stringify(lastEventId)} was not sent in this session; open the stream without it` };
    const m = /^([0-9a-z]+)-([0-9]+)$/.exec(lastEventId);
    const seq = m ? Number(m[2]) : NaN;
    if (!m || !(seq >= 1 && seq <= this.#seq)) return unknown;
    const streamId = this.#tags.get(m[1]!);
    const stream = streamId !== undefined ? this.#streams.get(streamId) : undefined;
    const oldestKept = this.#events.values().next().value;
    const kept = this.#events.has(lastEventId);
    // An id no longer kept is still exact if it was the last of its stream to be dropped: everything after it is kept.
    const exact = kept || (stream !== undefined && stream.droppedThrough === seq);
    if (streamId === undefined || stream === undefined || !exact) {
      const dropped = !kept && (oldestKept === undefined || seq < seqOf(oldestKept.id)) && (stream === undefined || stream.droppedThrough > seq);
      if (!dropped) return unknown;
      return {
        kind: 'evicted',
        message:
          `events after Last-Event-ID ${lastEventId} are no longer kept (the bridge keeps the last ${this.#bounds.maxEvents} events, ` +
          `${Math.round(this.#bounds.maxBytes / 1024)} KiB, of a session), so the stream cannot be resumed without a gap; send the request again`,
      };
    }
    const events: StoredEvent[] = [];
    for (const e of this.#events.values()) if (e.streamId === streamId && seqOf(e.id) > seq && 'jsonrpc' in e.message) events.push(e);
    return { kind: 'replay', streamId, events, complete: stream.complete };
  }


  /** Events and bytes held now, for tests and diagnostics. */
  size(): { events: number; bytes: number } {
    return { events: this.#events.size, bytes: this.#bytes };
  }

  /** True when this response was the last one its POST waited for. */
  #answered(id: RequestId): boolean {
    const group = this.#batches.get(id);
    if (!group) return true;
    this.#batches.delete(id);
    group.delete(id);
    return group.size === 0;
  }

  #evict(): void {
    while (this.#events.size > this.#bounds.maxEvents || (this.#bytes > this.#bounds.maxBytes && this.#events.size > 0)) {
      const oldest = this.#events.values().next().value!;
      this.#events.delete(oldest.id);
      this.#bytes -= oldest.bytes;
      const stream = this.#streams.get(oldest.streamId)!;
      stream.droppedThrough = seqOf(oldest.id);
      // A finished stream with nothing left to replay is forgotten; a live one keeps its tag.
      if (--stream.kept === 0 && stream.complete) {
        this.#streams.delete(oldest.streamId);
        this.#tags.delete(stream.tag);
      }
    }
  }
}

function isResponse(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } {
  return 'id' in m && !('method' in m) && ('result' in m || 'error' in m);
}

function seqOf(id: EventId): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}
