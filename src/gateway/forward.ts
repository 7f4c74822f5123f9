/**
 * The upstream exchange of one request: choose the endpoint (the one holding the
 * request's session, else round-robin), send the request over the keep-alive
 * pools with the forwarded headers and the upstream's own session id, and
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
import { sealResponseSession } from './session-response.ts';
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
  const session = r.session;
  const target = session === undefined ? parts.sessions.spread(route) : session.target;
  if (target === undefined) {
    sendError(res, 503, GatewayErrorCode.ServerUnavailable, `server "${route.name}" has no endpoint to route to`, singleId(r.messages));
    return;
  }
  r.target = target;
  const headers = upstreamRequestHeaders(req, target, parts, r.body?.length, credentials, credentialNames);
  if (session !== undefined) headers.push('mcp-session-id', session.session.upstreamId);
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
      headers,
      body: r.body,
      headersTimeoutMs: route.upstreamTimeoutMs,
      guarded: target.guarded,
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
 * The upstream answered `r` with `status` and `rawHeaders`: put the client's
 * session id in place of the upstream's (session-response.ts), then relay the
 * body untouched, or rewritten when `r.rewrite` is set and the body is JSON or
 * SSE. If the body breaks off, {@link upstreamBrokeOff} tells the client.
 */
export function relayResponse(r: ProxiedRequest, status: number, rawHeaders: string[], upRes: UpstreamBody): void {
  const { res, route } = r;
  r.upstreamStatus = status;
  const rules = route.headerRules;
  // A rotated credential: read it again for the next requests.
  if (status === 401 && rules.upstreamHeaderNames !== undefined) r.parts.credentials.rejected(route);
  const { headers, contentType, sessionId: upstreamSession } = filterResponseHeaders(rawHeaders, rules);
  if (upstreamSession !== undefined) sealResponseSession(r, headers, upstreamSession);
  // An ended session's opened id is no longer worth its memory (the id itself stays authentic; the upstream answers 404).
  if (r.session !== undefined && (status === 404 || (status < 300 && r.req.method === 'DELETE'))) r.parts.sessions.forget(r.session.id);
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
