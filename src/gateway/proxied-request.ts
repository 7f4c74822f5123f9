/**
 * One client request on its way through the proxy. It carries what has been
 * learnt about the request so far (route, body, messages, upstream target) from
 * piece to piece, and it is the object the body reader and the upstream
 * connection report back to. Why one object with methods instead of callbacks:
 * those hooks then cost no closures per request on the hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendError } from './error-response.ts';
import { forward, relayResponse } from './forward.ts';
import { GatewayErrorCode, parseJsonRpcBody, type JsonRpcMessage } from './json-rpc.ts';
import type { GovernedExchange } from './governance/exchange.ts';
import type { Governance } from './governance/governance.ts';
import { decideGoverned } from './governed-request.ts';
import type { BodyReceiver } from './request-body.ts';
import type { Rewrite } from './response-transform.ts';
import type { Route, UpstreamTarget } from './route.ts';
import type { OpenSession, SessionIds } from './session-ids.ts';
import type { StepRunner } from './step-runner.ts';
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
  /** How long an upstream may take to send its response headers (then 504). */
  readonly headersTimeoutMs: number;
  /** Request headers forwarded beyond the standard ones (lower case); never the caller's credential when governed. */
  readonly forwardHeaders: readonly string[];
  /** The governed path (identity, policy, approvals, audit), or undefined for an open pass-through. */
  readonly governance: Governance | undefined;
}

/**
 * A request whose route is chosen. Lifecycle: created by the proxy, then either
 * fed its body ({@link received}) or sent on at once ({@link proceed}); after
 * {@link forward} it hears from the upstream through {@link onResponse} or
 * {@link onError}. Fields filled later are `undefined` until then.
 */
export class ProxiedRequest implements BodyReceiver, UpstreamCallbacks {
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

  /** The body is over the limit: 413. */
  tooLarge(maxBytes: number): void {
    const message = `request body exceeds the gateway limit of ${maxBytes} bytes`;
    this.exchange?.refuse(413, 'too-large', message);
    // Answer at once and close the connection: reading megabytes we will discard helps nobody.
    sendError(this.res, 413, GatewayErrorCode.PayloadTooLarge, message, null, { connection: 'close' });
  }

  /** Runs the steps, if there are any, and forwards upstream. */
  proceed(): void {
    if (this.parts.steps.passThrough) forward(this);
    else void this.parts.steps.run(this);
  }

  /** The upstream's status and headers arrived; see {@link relayResponse}. */
  onResponse(status: number, rawHeaders: string[], body: UpstreamBody): void {
    relayResponse(this, status, rawHeaders, body);
  }

  /** The upstream failed before answering; see {@link answerUpstreamFailure}. */
  onError(err: Error): void {
    answerUpstreamFailure(this, err);
  }
}
