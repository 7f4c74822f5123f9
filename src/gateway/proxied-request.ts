/**
 * One client request on its way through the proxy. It carries what has been
 * learnt about the request so far (route, body, messages, upstream target) from
 * piece to piece, and it is the object the body reader and the upstream
 * connection report back to. Why one object with methods instead of callbacks:
 * those hooks then cost no closures per request on the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { formatSize } from '../kit/size.ts';
import type { EdgeMetrics } from './edge/edge-metrics.ts';
import { sendError } from './error-response.ts';
import { forward, relayResponse } from './forward.ts';
import { GatewayErrorCode, parseJsonRpcBody, type JsonRpcMessage } from './json-rpc.ts';
import type { GovernedExchange } from './governance/exchange.ts';
import type { Governance } from './governance/governance.ts';
import { decideGoverned } from './governed-request.ts';
import { answerTooLarge } from './oversized-body.ts';
import type { BodyReceiver } from './request-body.ts';
import type { Rewrite } from './response-transform.ts';
import type { Route, UpstreamTarget } from './route.ts';
import type { OpenSession, SessionIds } from './session-ids.ts';
import type { KeptStream, SseKeepalive } from './sse-keepalive.ts';
import type { StepRunner } from './step-runner.ts';
import type { TrustedProxies } from './trusted-proxies.ts';
import type { UpstreamCredentials } from './upstream-credentials.ts';
import { answerUpstreamFailure } from './upstream-failure.ts';
import type { UpstreamBody, UpstreamCallbacks, UpstreamPool } from './upstream.ts';

/** What every request of one proxy shares; built once by `createProxy`. */
export interface ProxyParts {
  /** The proxy's steps, sorted by hook. */
  readonly steps: StepRunner;
  /** Keep-alive connections to the upstreams. */
  readonly pool: UpstreamPool;
  /** The sessions: which endpoint holds one, and the sealed ids clients hold. */
  readonly sessions: SessionIds;
  /** For failures: upstreams that fail or break off, steps that throw. */
  readonly logger: Logger;
  /** Keep-alive comments on the proxy's open SSE responses. */
  readonly keepalive: SseKeepalive;
  /** Request headers forwarded beyond the standard ones (lower case); never the caller's credential when governed. */
  readonly forwardHeaders: readonly string[];
  /** The governed path (identity, policy, approvals, audit), or undefined for an open pass-through. */
  readonly governance: Governance | undefined;
  /** The edge's metrics: refusals, upstream latency, open streams. */
  readonly metrics: EdgeMetrics;
  /** Peers whose X-Forwarded-* and Forwarded headers are believed (headers.ts). */
  readonly trustedProxies: TrustedProxies;
  /** The servers' own credentials, added to their upstream requests. */
  readonly credentials: UpstreamCredentials;
}

/**
 * A request whose route is chosen. Lifecycle: created by the proxy, then either
 * fed its body ({@link received}) or sent on at once ({@link proceed}); after
 * {@link forward} it hears from the upstream through {@link onResponse} or
 * {@link onError}. Fields filled later are `undefined` until then.
 */
export class ProxiedRequest implements BodyReceiver, UpstreamCallbacks, KeptStream {
  /** What the proxy's requests share. */
  readonly parts: ProxyParts;
  /** The client's request and response. */
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The route chosen for it: routable, so it has at least one target. */
  readonly route: Route;
  /** The request URL's query, with its `?`, or ''. */
  readonly query: string;
  /** The bytes to send upstream: the client's, or the steps' replacement. Undefined for GET and DELETE. */
  body: Buffer | undefined = undefined;
  /** The JSON-RPC messages as the steps left them (the body's, when no step ran); undefined for a GET or DELETE that ran no steps. */
  messages: JsonRpcMessage[] | undefined = undefined;
  /** True when the body was a JSON-RPC batch. */
  batch = false;
  /** How responses are rewritten (governance, response steps), else undefined (the response is relayed as it is). */
  rewrite: Rewrite | undefined = undefined;
  /** The governed exchange of an admitted request; undefined on an open pass-through. */
  exchange: GovernedExchange | undefined = undefined;
  /** The upstream's HTTP status, once it answered (for the audit). */
  upstreamStatus: number | undefined = undefined;
  /** The upstream endpoint chosen by {@link forward}. */
  target: UpstreamTarget | undefined = undefined;
  /** The session the request's `Mcp-Session-Id` opened; undefined for a request without one. */
  session: OpenSession | undefined = undefined;
  /** The upstream body ended or broke: nothing is left to abort when the client goes. */
  upstreamDone = false;
  /** When {@link forward} sent the request upstream (`performance.now()`): the upstream timeout and the latency metric count from it; 0 before. */
  sentAt = 0;
  /** True while an SSE response to it counts as an open stream (and is kept alive). */
  streaming = false;
  /** Aborts the upstream exchange, once {@link forward} started it. */
  abortUpstream: (() => void) | undefined = undefined;
  /** For an SSE response: the last chunk relayed (see sse-keepalive.ts). */
  sseTail: Buffer | undefined = undefined;
  /** For an SSE response: its socket's bytes at the keep-alive's last look. */
  sseMark = -1;

  constructor(parts: ProxyParts, req: IncomingMessage, res: ServerResponse, route: Route, query: string) {
    this.parts = parts;
    this.req = req;
    this.res = res;
    this.route = route;
    this.query = query;
  }

  /** The body arrived: parse it once (400 when it is not JSON-RPC), decide it when governed, then carry on. */
  received(body: Buffer): void {
    const parsed = parseJsonRpcBody(body);
    if (parsed === undefined) {
      const message = 'request body is not a JSON-RPC message or batch (invalid JSON)';
      this.parts.metrics.rejected('not-json-rpc');
      this.exchange?.refuse(400, 'not-json-rpc', message);
      sendError(this.res, 400, GatewayErrorCode.ParseError, message, null);
      return;
    }
    this.body = body;
    this.messages = parsed.messages;
    this.batch = parsed.batch;
    if (this.exchange !== undefined) void decideGoverned(this, this.exchange);
    else this.proceed();
  }

  /** The body is over the server's limit: 413, read by the client before the connection closes (oversized-body.ts). */
  tooLarge(maxBytes: number): void {
    const message = `request body is larger than server "${this.route.name}" accepts (${formatSize(maxBytes)}); send a smaller one, or ask the server's owner to raise spec.gateway.maxRequestBodyBytes`;
    this.parts.metrics.rejected('too-large');
    this.exchange?.refuse(413, 'too-large', message);
    answerTooLarge(this.req, this.res, message);
  }

  /** Runs the steps, if there are any, and forwards upstream. */
  proceed(): void {
    if (this.parts.steps.passThrough) forward(this);
    else void this.parts.steps.run(this);
  }

  /** The upstream's status and headers arrived; see {@link relayResponse}. */
  onResponse(status: number, rawHeaders: string[], body: UpstreamBody): void {
    this.parts.metrics.upstreamAnswered(this.route.name, performance.now() - this.sentAt);
    relayResponse(this, status, rawHeaders, body);
  }

  /** The upstream failed before answering; see {@link answerUpstreamFailure}. */
  onError(err: Error): void {
    answerUpstreamFailure(this, err);
  }
}
