/**
 * The answer to a request body over its server's limit: 413 with a JSON-RPC
 * error, delivered so that the client reads it.
 *
 * Why not answer and close at once: the client is usually still sending the
 * body. Closing a socket that holds unread bytes makes the kernel reset the
 * connection, and the reset reaches the client while it is still writing: it
 * sees EPIPE or ECONNRESET, and a reset may discard the answer it had not read
 * yet (with fetch / undici clients in another process, 9 of 20 five-megabyte
 * POSTs to a 1 MiB limit broke this way). So the whole answer, with its
 * Content-Length and `Connection: close`, is written at once, the rest of the
 * body is read and dropped, and the connection is closed when the body has
 * ended: the client has its answer and nothing is left unread. A client that
 * goes on sending past {@link DRAIN_LIMIT_BYTES} is cut off; one that stops
 * sending is closed by the edge's request timeout (limits.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayErrorCode, jsonRpcErrorBody } from './json-rpc.ts';

/** Most bytes of a refused body read and dropped before the connection is cut anyway. */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Answers `res` with 413 and a JSON-RPC error (`message`, id null), then reads
 * and drops the rest of `req`'s body and ends the response when the body has
 * ended (see the module comment). `req` must have no 'data' listener left.
 * @example answerTooLarge(req, res, 'request body is larger than server "quote" accepts (1 MiB)')
 */
export function answerTooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = jsonRpcErrorBody(GatewayErrorCode.PayloadTooLarge, message, null);
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' });
  res.write(body);
  if (req.complete) {
    res.end();
    return;
  }
  let drained = 0;
  const finish = (): void => {
    req.removeListener('data', onData);
    req.removeListener('end', finish);
    res.end();
  };
  const onData = (chunk: Buffer): void => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) finish();
  };
  req.on('data', onData);
  req.on('end', finish);
  req.resume();
}
