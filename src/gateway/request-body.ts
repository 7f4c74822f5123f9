/**
 * Reading a POST body whole, within a limit. MCP messages are small, and the
 * steps need the parsed messages before anything goes upstream, so the body is
 * collected rather than streamed; a body over the limit is refused as soon as
 * its declared length or its bytes so far say so, not after reading it all.
 */
import type { IncomingMessage } from 'node:http';

/**
 * Hears how reading a body ended: exactly one of the two is called. An object
 * rather than two callbacks so the proxy's per-request object can take the call
 * without a closure being made for it.
 */
export interface BodyReceiver {
  /** The whole body, in one Buffer (empty when the request had none). */
  received(body: Buffer): void;
  /**
   * The body is larger than `maxBytes` (declared or counted). Reading has
   * stopped there: the receiver answers, and deals with the rest of the body
   * (oversized-body.ts reads and drops it, so the client reads the answer).
   */
  tooLarge(maxBytes: number): void;
}

/**
 * Reads `req`'s body and reports to `receiver`: the whole of it when it ends, or
 * that it exceeds `maxBytes`.
 * @example readRequestBody(req, 4 * 1024 * 1024, { received: (b) => …, tooLarge: (max) => … });
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number, receiver: BodyReceiver): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    receiver.tooLarge(maxBytes);
    return;
  }
  // One chunk (the usual case) is used as it is; only a second one starts a list to concatenate.
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > maxBytes) {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      receiver.tooLarge(maxBytes);
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  const onEnd = (): void => receiver.received(chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0)));
  req.on('data', onData);
  req.on('end', onEnd);
}
