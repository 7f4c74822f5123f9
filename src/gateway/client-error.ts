/**
 * What a client hears when its request could not be read: it did not arrive in
 * time (408: the header and body timeouts of limits.ts), or it is not HTTP the
 * gateway can parse (400; 431 for headers over Node's size limit). The answer
 * is a JSON-RPC error, like every answer of the gateway, and the connection is
 * then closed — destroyed once the answer is written, not half-closed.
 *
 * Why this replaces node:http's default: the default writes its answer and
 * half-closes the connection, then waits for the client to close its side. A
 * client that never reads (an idle or slowloris socket) never does, so its
 * connection — and a file descriptor — stayed open for ever: 300 idle sockets
 * were all still open after 130 s, and exhausted `berth up`'s descriptors.
 */
import type { Duplex } from 'node:stream';
import { formatDuration } from '../kit/duration.ts';
import { GatewayErrorCode, jsonRpcErrorBody } from './json-rpc.ts';
import type { EdgeLimits } from './limits.ts';

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * A `clientError` listener for the gateway's node:http server, answering as the
 * module comment says; `onTimeout` hears of each request that did not arrive in time.
 * @example server.on('clientError', clientErrorHandler(limits, () => metrics.timedOut()));
 */
export function clientErrorHandler(limits: Pick<EdgeLimits, 'headerTimeoutMs' | 'bodyTimeoutMs'>, onTimeout?: () => void): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const timeoutMessage = `the request did not arrive in time: its headers must arrive within ${formatDuration(limits.headerTimeoutMs)}, and all of it within ${formatDuration(limits.headerTimeoutMs + limits.bodyTimeoutMs)}; the gateway closed the connection`;
  return (err, socket) => {
    const code = err.code;
    const timedOut = code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) onTimeout?.();
    // A response already under way (an early 413 draining its body) cannot be answered again.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (code === 'ECONNRESET' || !socket.writable || answering || socket.writableLength > 0) {
      socket.destroy();
      return;
    }
    const status = timedOut ? 408 : code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message = timedOut ? timeoutMessage : status === 431 ? 'the request headers are too large' : `the request is not valid HTTP (${code ?? err.message})`;
    const body = jsonRpcErrorBody(GatewayErrorCode.InvalidRequest, message, null);
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  };
}
