/**
 * Streams an upstream response body to the client chunk by chunk, with no
 * buffering beyond one event-loop turn. Why not `pipe`: on this path each socket
 * write is a syscall, and on virtualised hosts a syscall costs microseconds. All
 * chunks that arrive in one turn (typically the last event and the end of the
 * stream) leave in one write: the client socket is corked on the first chunk of a
 * turn and uncorked in `setImmediate` (or by `end()`, which runs first as a nextTick).
 * Backpressure is honoured (the upstream is paused while the client is slow).
 */
import type { ServerResponse } from 'node:http';
import type { UpstreamBody } from './upstream.ts';
import type { Socket } from 'node:net';

/** How long an SSE response with no data yet may hold back its headers (they then leave alone). */
const SSE_HEADER_GRACE_MS = 5;

/**
 * Relays `upRes`'s body to `res` (whose head is already written) and ends it.
 * `holdHeaders`: for a stream that may stay silent (SSE) the headers are sent
 * within {@link SSE_HEADER_GRACE_MS} even if no data comes; otherwise they leave
 * with the first chunk.
 */
export function relay(upRes: UpstreamBody, res: ServerResponse, holdHeaders: boolean): void {
  // The socket is corked, not the response: a corked ServerResponse buffers chunks
  // itself and `end()` would then write the terminating chunk before them.
  let corked: Socket | null = null;
  let wrote = false;
  let headerTimer: NodeJS.Timeout | undefined;
  if (holdHeaders) {
    headerTimer = setTimeout(() => {
      if (!wrote && !res.destroyed) res.flushHeaders();
    }, SSE_HEADER_GRACE_MS);
  }
  const uncork = () => {
    const sock = corked;
    corked = null;
    if (sock && sock.writableCorked > 0) sock.uncork();
  };
  const resume = () => upRes.resume();
  upRes.on('data', (chunk: Buffer) => {
    if (!wrote) {
      wrote = true;
      if (headerTimer) clearTimeout(headerTimer);
    }
    if (corked === null && res.socket) {
      corked = res.socket;
      corked.cork();
      setImmediate(uncork);
    }
    if (!res.write(chunk)) {
      upRes.pause();
      res.once('drain', resume);
    }
  });
  upRes.on('end', () => {
    if (headerTimer) clearTimeout(headerTimer);
    // end() fully uncorks the socket itself, flushing the last chunk and the terminator in one write.
    corked = null;
    res.end();
  });
}
