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
import type { Socket } from 'node:net';
import type { KeptStream } from './sse-keepalive.ts';
import type { UpstreamBody } from './upstream.ts';

/**
 * Relays `upRes`'s body to `res` under `status` and `headers`, and ends it.
 * `sse` (an SSE stream): the headers leave at once unless a chunk came in the
 * same read as the upstream's headers (then they leave together, in one write),
 * and each chunk is noted as the stream's tail, so keep-alive comments go only
 * between events (sse-keepalive.ts). Otherwise the headers are written with the
 * first chunk (or the end): until then the response has not begun, and a
 * timeout can still be answered 504 (upstream-deadline.ts).
 */
export function relay(upRes: UpstreamBody, res: ServerResponse, status: number, headers: string[], sse: KeptStream | undefined): void {
  // The socket is corked, not the response: a corked ServerResponse buffers chunks
  // itself and `end()` would then write the terminating chunk before them.
  let corked: Socket | null = null;
  let wrote = false;
  if (sse !== undefined) {
    res.writeHead(status, headers);
    // undici reports the headers and every chunk parsed from the same socket read in
    // one synchronous run, and microtasks run only after it: by then `wrote` tells
    // whether the first event came along. No timer per request.
    queueMicrotask(() => {
      if (!wrote && !res.destroyed) res.flushHeaders();
    });
  }
  const uncork = () => {
    const sock = corked;
    corked = null;
    if (sock && sock.writableCorked > 0) sock.uncork();
  };
  const resume = () => upRes.resume();
  upRes.on('data', (chunk: Buffer) => {
    if (sse !== undefined) sse.sseTail = chunk;
    else if (!wrote) res.writeHead(status, headers);
    wrote = true;
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
    if (!wrote && sse === undefined) res.writeHead(status, headers);
    // end() fully uncorks the socket itself, flushing the last chunk and the terminator in one write.
    corked = null;
    res.end();
  });
}
