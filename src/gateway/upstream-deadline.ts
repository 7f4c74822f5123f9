/**
 * The second half of a server's upstream timeout (`route.upstreamTimeoutMs`):
 * undici's header timeout, set per request, bounds the wait for the response
 * headers; this bounds the rest of a response that is not an SSE stream, which
 * must have ended by the same deadline, counted from when the request was sent.
 * An SSE stream is exempt once its headers came (it may last hours; the
 * keep-alive comments of sse-keepalive.ts keep it open through load balancers).
 *
 * No timer for the common case: undici reports the headers and every chunk of
 * the same socket read in one synchronous run, so a small answer has ended
 * before a microtask queued at its headers runs. Only a body still under way
 * then gets a timer.
 */
import type { ProxiedRequest } from './proxied-request.ts';
import { answerUpstreamTimeout } from './upstream-failure.ts';
import type { UpstreamBody } from './upstream.ts';

/**
 * Holds `upRes` (the body of `r`'s upstream response, not an SSE stream) to
 * `r`'s deadline: when it has not ended by then, the upstream exchange is
 * aborted and the client told (upstream-failure.ts: 504 when nothing of the
 * answer was sent yet).
 */
export function holdToDeadline(r: ProxiedRequest, upRes: UpstreamBody): void {
  queueMicrotask(() => {
    if (r.upstreamDone) return;
    const left = r.route.upstreamTimeoutMs - (performance.now() - r.sentAt);
    const timer = setTimeout(expire, Math.max(0, left), r);
    timer.unref();
    const clear = () => clearTimeout(timer);
    upRes.once('end', clear);
    upRes.once('error', clear);
  });
}

function expire(r: ProxiedRequest): void {
  if (r.upstreamDone) return;
  r.upstreamDone = true;
  r.abortUpstream?.();
  answerUpstreamTimeout(r);
}
