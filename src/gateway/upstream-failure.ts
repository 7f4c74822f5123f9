/**
 * What the client hears when its upstream fails, so a failure never hangs it:
 * - before any response headers: 502 with a JSON-RPC error (the request's id
 *   when there is one), or 504 when the headers took longer than the timeout;
 * - mid-SSE-stream: a JSON-RPC error event for each request of the POST not yet
 *   answered (so the client's pending calls fail at once), then the stream ends;
 * - mid-JSON-body: the client connection is destroyed (a cut body cannot be mended).
 * Each failure is logged with the whole error; the client gets only the errno
 * code and message, see {@link upstreamFailureReason}.
 */
import { sendError } from './error-response.ts';
import { GatewayErrorCode, jsonRpcErrorBody, requestIds, singleId, type JsonRpcId } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';

/** `r`'s upstream failed before answering (refused, reset, timed out): 504 or 502, unless the client has gone. */
export function answerUpstreamFailure(r: ProxiedRequest, err: Error): void {
  const { res, route, parts } = r;
  if (res.destroyed) return; // client left first; nothing to tell
  const upstream = r.target!.url;
  if ((err as NodeJS.ErrnoException).code === 'UND_ERR_HEADERS_TIMEOUT') {
    parts.logger.warn({ server: route.name, upstream, timeoutMs: parts.headersTimeoutMs }, 'upstream did not answer in time');
    sendError(res, 504, GatewayErrorCode.UpstreamFailed, `server "${route.name}" did not answer within ${parts.headersTimeoutMs} ms`, singleId(r.messages));
    return;
  }
  parts.logger.warn({ server: route.name, upstream, err }, 'upstream request failed');
  sendError(res, 502, GatewayErrorCode.UpstreamFailed, `server "${route.name}" failed before answering: ${upstreamFailureReason(err)}`, singleId(r.messages));
}

/**
 * `r`'s upstream broke off its response after the headers (or a response step
 * failed). `sse`: the response is an event stream; `answered`: ids already
 * answered on it, which get no error event.
 */
export function upstreamBrokeOff(r: ProxiedRequest, err: unknown, sse: boolean, answered: ReadonlySet<JsonRpcId> | undefined): void {
  r.upstreamDone = true;
  const { res, route } = r;
  if (res.writableEnded || res.destroyed) return;
  r.parts.logger.warn({ server: route.name, upstream: r.target!.url, err }, 'upstream broke off its response');
  if (!res.headersSent) {
    sendError(res, 502, GatewayErrorCode.UpstreamFailed, `server "${route.name}" broke off its response: ${upstreamFailureReason(err)}`, singleId(r.messages));
  } else if (sse) {
    const message = `server "${route.name}" closed the stream before answering: ${upstreamFailureReason(err)}`;
    for (const id of r.messages ? requestIds(r.messages) : []) {
      if (answered?.has(id)) continue;
      res.write(`event: message\ndata: ${jsonRpcErrorBody(GatewayErrorCode.UpstreamFailed, message, id)}\n\n`);
    }
    res.end();
  } else {
    res.destroy();
  }
}

/**
 * Why an upstream exchange failed, in words fit for the agent's error response:
 * the errno code alone where there is one, because the full message names the
 * upstream's internal address. Logs get the whole error (`err`) instead.
 */
function upstreamFailureReason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  // undici reports a peer that closed or reset the socket as UND_ERR_SOCKET ("other side closed").
  if (e.code === 'UND_ERR_SOCKET') return `connection closed by the server (${e.message ?? e.code})`;
  return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : (e.message ?? String(err));
}
