/**
 * The upstream exchange of one request: choose the endpoint (session affinity),
 * send the request over the keep-alive pools with the forwarded headers, and
 * relay the answer as it comes — `application/json` and `text/event-stream`
 * bodies chunk by chunk (relay.ts), or rewritten (response-transform.ts) when
 * the governance or a response step rewrites them. The server's upstream
 * timeout bounds the wait for the answer (upstream-deadline.ts); an SSE answer
 * is exempt once its headers came, and gets keep-alive comments while silent
 * (sse-keepalive.ts). Failures are answered by upstream-failure.ts.
 */
import { JSON_HEADERS, sendError } from './error-response.ts';
import { filterResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import { GatewayErrorCode, singleId, type JsonRpcId } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';
import { relay } from './relay.ts';
import { requestCredentials } from './request-credentials.ts';
import { transformJson, transformSse } from './response-transform.ts';
import type { UpstreamTarget } from './route.ts';
import { holdToDeadline } from './upstream-deadline.ts';
import { upstreamBrokeOff } from './upstream-failure.ts';
import { sendUpstream, type UpstreamBody } from './upstream.ts';

/**
 * Sends `r` to an endpoint of its route, with the server's own credentials when
 * it has some (request-credentials.ts); the upstream's answer comes back through
 * `r.onResponse` / `r.onError`. 503 when the route has no endpoint or its
 * credentials cannot be resolved. When the
 * client goes away before the upstream body has ended, the upstream request is
 * aborted.
 */
export function forward(r: ProxiedRequest): void {
  const { parts, req, res, route } = r;
  const credentialNames = route.headerRules.upstreamHeaderNames;
  let credentials: readonly string[] | undefined;
  if (credentialNames !== undefined) {
    credentials = requestCredentials(r, forward);
    if (credentials === undefined) return; // answered, or forwarded once the credentials are read
  }
  const sessionId = req.headers['mcp-session-id'] as string | undefined;
  const target = parts.affinity.pick(route, sessionId);
  if (target === undefined) {
    sendError(res, 503, GatewayErrorCode.ServerUnavailable, `server "${route.name}" has no endpoint to route to`, singleId(r.messages));
    return;
  }
  r.target = target;
  r.sessionId = sessionId;
  const exchange = r.exchange;
  res.once('close', () => {
    if (!res.writableFinished && !r.upstreamDone) abort();
    if (r.streaming) {
      parts.metrics.streams(-1);
      parts.keepalive.forget(r);
    }
    exchange?.complete(res.statusCode, r.upstreamStatus);
  });
  r.sentAt = performance.now();
  const abort = sendUpstream(
    parts.pool,
    {
      origin: target.origin,
      method: req.method ?? 'GET',
      path: upstreamPath(target, r.query),
      headers: upstreamRequestHeaders(req, target, parts, r.body?.length, credentials, credentialNames),
      body: r.body,
      headersTimeoutMs: route.upstreamTimeoutMs,
    },
    r,
  );
  r.abortUpstream = abort;
}

/** The endpoint's path with the client's query (`?…` or '') appended. */
function upstreamPath(target: UpstreamTarget, query: string): string {
  if (query === '') return target.path;
  return target.path.includes('?') ? `${target.path}&${query.slice(1)}` : target.path + query;
}

/**
 * The upstream answered `r` with `status` and `rawHeaders`: learn or forget the
 * session (and, when governed, bind it to its caller), then relay the body
 * untouched, or rewritten when `r.rewrite` is set and the body is JSON or SSE. If the body breaks off,
 * {@link upstreamBrokeOff} tells the client.
 */
export function relayResponse(r: ProxiedRequest, status: number, rawHeaders: string[], upRes: UpstreamBody): void {
  const { res, route } = r;
  const target = r.target!;
  r.upstreamStatus = status;
  const rules = route.headerRules;
  // A rotated credential: read it again for the next requests.
  if (status === 401 && rules.upstreamHeaderNames !== undefined) r.parts.credentials.rejected(route);
  const { headers, contentType, sessionId: createdSession } = filterResponseHeaders(rawHeaders, rules);
  const affinity = r.parts.affinity;
  if (createdSession !== undefined && route.targets.length > 1) affinity.remember(route, createdSession, target);
  if (r.req.method === 'DELETE' && r.sessionId !== undefined && status < 300) affinity.forget(route, r.sessionId);
  const exchange = r.exchange;
  if (exchange !== undefined) {
    // The session is its opener's: another caller presenting its id is refused.
    if (createdSession !== undefined && createdSession !== r.sessionId) exchange.sessionOpened(createdSession);
    if (r.req.method === 'DELETE' && r.sessionId !== undefined && status < 300) exchange.sessionEnded(r.sessionId);
  }
  const sse = contentType.startsWith('text/event-stream');
  const answered = sse ? new Set<JsonRpcId>() : undefined; // ids already answered on the stream
  // An SSE stream is exempt from the upstream timeout once its headers came, and kept alive instead.
  if (sse) {
    if (!res.destroyed) {
      r.streaming = true; // until the client's response closes (forward's close listener)
      r.parts.metrics.streams(1);
      r.parts.keepalive.watch(r);
    }
  } else holdToDeadline(r, upRes);

  upRes.once('end', () => (r.upstreamDone = true));
  const broken = (err: unknown) => upstreamBrokeOff(r, err, sse, answered);
  upRes.on('error', broken);

  const rewrite = r.rewrite;
  const json = contentType.startsWith('application/json');
  if (rewrite !== undefined && rewrite.answers.length > 0 && !sse && !json) {
    // The forwarded messages needed no answer (202), but the refused ones get theirs.
    upRes.resume();
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON.stringify(rewrite.answers));
    return;
  }
  if (rewrite === undefined || (!sse && !json)) {
    relay(upRes, res, status, headers, sse ? r : undefined);
    return;
  }
  if (sse) transformSse(r, rewrite, upRes, status, headers, answered!, broken);
  else transformJson(r, rewrite, upRes, status, headers, broken);
}
