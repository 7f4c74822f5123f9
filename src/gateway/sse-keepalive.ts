/**
 * Keep-alive comments on SSE responses. A stream may stay silent for hours (a
 * GET stream waiting for server notifications, a long tool call), and load
 * balancers close connections idle for longer than their idle timeout (an AWS
 * ALB's is 60 s), which the client sees as a dropped stream. So every stream
 * that has sent the client nothing for a while gets a comment line,
 * `: keepalive`, which SSE parsers ignore: it carries no event, no id and no
 * data, so event ids and replays are untouched.
 *
 * One timer per proxy, not one per stream: every half interval it looks at each
 * open stream's socket, and a stream whose socket took no byte since the last
 * look gets a comment, so a silent stream is written to between half an
 * interval and an interval after its last byte. Costs per stream: a Set add and
 * delete, and one field written per relayed chunk.
 *
 * A comment goes only between events: a relayed stream passes the upstream's
 * bytes as they come, so the last chunk must end with an event's blank line
 * (`\n\n`, `\r\r`, `\r\n\r\n`). An upstream that stalls in the middle of an event
 * gets no comment until it completes it. Not while the client is slow either
 * (its socket buffer is full): a comment would only add to what waits.
 */
import type { ServerResponse } from 'node:http';

/** An SSE response the keep-alive may write comments to. */
export interface KeptStream {
  /** The client's response. */
  readonly res: ServerResponse;
  /** The last chunk relayed as it came from the upstream; undefined when only whole events were written. */
  sseTail: Buffer | undefined;
  /** What the client's socket had been given at the last look; -1 before the first. */
  sseMark: number;
}

/** The comment written to a silent stream. */
export const KEEPALIVE_COMMENT = ': keepalive\n\n';

const LF = 10;
const CR = 13;

/**
 * The keep-alive of one proxy's SSE streams.
 * @example
 * const keepalive = new SseKeepalive(15_000);
 * keepalive.watch(stream); … keepalive.forget(stream); … keepalive.close();
 */
export class SseKeepalive {
  readonly #streams = new Set<KeptStream>();
  readonly #timer: NodeJS.Timeout;

  /** Starts looking every `intervalMs / 2` (the timer does not keep the process alive). */
  constructor(intervalMs: number) {
    this.#timer = setInterval(() => this.tick(), Math.max(1, Math.floor(intervalMs / 2)));
    this.#timer.unref();
  }

  /** Starts keeping `stream` alive (its response's headers are written or about to be). */
  watch(stream: KeptStream): void {
    stream.sseMark = -1;
    this.#streams.add(stream);
  }

  /** Stops keeping `stream` alive (it ended or its client left). */
  forget(stream: KeptStream): void {
    this.#streams.delete(stream);
  }

  /** Streams watched now (for tests and metrics). */
  get size(): number {
    return this.#streams.size;
  }

  /** One look at every stream: a comment to each that took no byte since the last look and is between events. */
  tick(): void {
    for (const s of this.#streams) {
      const res = s.res;
      const socket = res.socket;
      if (socket === null || res.writableEnded || res.destroyed) {
        this.#streams.delete(s);
        continue;
      }
      const written = socket.bytesWritten;
      if (written === s.sseMark && !res.writableNeedDrain && betweenEvents(s.sseTail)) {
        res.write(KEEPALIVE_COMMENT);
        s.sseTail = undefined;
        s.sseMark = socket.bytesWritten;
      } else {
        s.sseMark = written;
      }
    }
  }

  /** Stops the timer and forgets every stream. */
  close(): void {
    clearInterval(this.#timer);
    this.#streams.clear();
  }
}

/** True when the stream's last bytes end an event (or only whole events were written). */
function betweenEvents(tail: Buffer | undefined): boolean {
  if (tail === undefined) return true;
  const n = tail.length;
  const last = tail[n - 1];
  const before = tail[n - 2];
  if (last === CR) return before === CR;
  if (last !== LF) return false;
  return before === LF || (before === CR && tail[n - 3] === LF && tail[n - 4] === CR);
}
