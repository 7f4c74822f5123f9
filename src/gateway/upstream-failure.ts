/**
 * What the client hears when its upstream fails, so a failure never hangs it:
 * - before any response headers: 502 with a JSON-RPC error (the request's id
 *   when there is one), or 504 when the server took longer than its upstream
 *   timeout (headers, or the end of a body that is not an SSE stream, while
 *   nothing of the answer has been sent: upstream-deadline.ts);
 * - mid-SSE-stream: a JSON-RPC error event for each request of the POST not yet
 *   answered (so the client's pending calls fail at once), then the stream ends;
 * - mid-JSON-body: the client connection is destroyed (a cut body cannot be mended).
 * Each failure is logged with the whole error; the client gets only the errno
 * code and message, see {@link upstreamFailureReason}.
 */
import { formatDuration } from '../kit/duration.ts';
import { sendError } from './error-response.ts';
import { GatewayErrorCode, jsonRpcErrorBody, requestIds, singleId, type JsonRpcId } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';

/** `r`'s upstream failed before answering (refused, reset, timed out): 504 or 502, unless the client has gone. */
export function answerUpstreamFailure(r: ProxiedRequest, err: Error): void {
  const { res, route, parts } = r;
  if (res.destroyed) return; // client left first; nothing to tell
  if ((err as NodeJS.ErrnoException).code === 'UND_ERR_HEADERS_TIMEOUT') {
    answerUpstreamTimeout(r);
    return;
  }
  parts.logger.warn({ server: route.name, upstream: r.target!.url, err }, 'upstream request failed');
  sendError(res, 502, GatewayErrorCode.UpstreamFailed, `server "${route.name}" failed before answering: ${upstreamFailureReason(err)}`, singleId(r.messages));
}

/**
 * `r`'s server took longer than its upstream timeout (the exchange is already
 * aborted): 504 with a JSON-RPC error naming the server, the time and the
 * manifest field that sets it; when part of the answer has been sent, the
 * client connection is destroyed instead (a cut body cannot be mended).
 */
export function answerUpstreamTimeout(r: ProxiedRequest): void {
  const { res, route } = r;
  if (res.destroyed || res.writableEnded) return;
  const timeoutMs = route.upstreamTimeoutMs;
  r.parts.logger.warn({ server: route.name, upstream: r.target!.url, timeoutMs }, 'upstream did not answer in time');
  const message = `server "${route.name}" did not answer within ${formatDuration(timeoutMs)} (its spec.gateway.upstreamTimeoutSeconds sets how long the gateway waits)`;
  sendError(res, 504, GatewayErrorCode.UpstreamFailed, message, singleId(r.messages));
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
  // The refusal names addresses of the operator's network: it goes to the log, the client learns only what happened.
  if (e.code === 'ADDRESS_REFUSED') return "the gateway refuses the server's address (its remote-address rule); the gateway's log says which rule";
  return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : (e.message ?? String(err));
}
