/**
 * The gateway's client side: one request to an upstream MCP server over undici's
 * keep-alive pools, with the response body delivered as plain events.
 *
 * Why undici's `dispatch` and not `http.request`: on the hot path node:http's
 * client builds a ClientRequest, an IncomingMessage stream and an agent
 * free-list dance per request; undici hands over status, headers and body chunks
 * directly. Measured on this project's 2-core machine (test/bench/gateway.bench.ts,
 * canned upstream, 64 clients): the gateway on `dispatch` spends 71–84 µs of CPU
 * per request where a 20-line `http.request` proxy spends 96–107 µs.
 */
import { EventEmitter } from 'node:events';
import { Agent, type Dispatcher } from 'undici';
import { guardedConnector, type AddressCheck } from '../kit/guarded-connect.ts';

/** Pauses and resumes reading an exchange's socket (backpressure). */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/**
 * An upstream response body. Events: `data` (Buffer), `end`, `error` (the
 * upstream broke off after its headers). `pause`/`resume` apply backpressure
 * to the upstream connection; a pause takes effect before the next chunk.
 */
export class UpstreamBody extends EventEmitter {
  readonly #flow: FlowControl;

  /** `flow`: the exchange's, which pauses and resumes reading its socket. */
  constructor(flow: FlowControl) {
    super();
    this.#flow = flow;
  }

  /** Stops reading from the upstream until {@link resume}. */
  pause(): void {
    this.#flow.pause();
  }

  /** Reads from the upstream again. */
  resume(): void {
    this.#flow.resume();
  }
}

/** One upstream exchange, as {@link sendUpstream} takes it. */
export interface UpstreamRequest {
  /** Scheme, host and port, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  method: string;
  /** Path with query. */
  path: string;
  /** Flat name/value list, names in lower case, e.g. `['host', '127.0.0.1:8080', 'accept', 'application/json']`. */
  headers: string[];
  body: Buffer | undefined;
  /** Response headers must arrive within this (counted from when the request was written); else `onError` with `UND_ERR_HEADERS_TIMEOUT`. */
  headersTimeoutMs: number;
  /** A server hosted elsewhere: connect through the pools whose every connection's address is checked ({@link UpstreamPool.guarded}). */
  guarded?: boolean;
}

/** What {@link sendUpstream} reports; exactly one of `onResponse` / `onError` is called. */
export interface UpstreamCallbacks {
  /**
   * Status and headers arrived. `rawHeaders` is a flat name/value list (names in
   * lower case). The body's events follow on `body`.
   */
  onResponse(status: number, rawHeaders: string[], body: UpstreamBody): void;
  /** The exchange failed before any response headers (refused, reset, aborted). */
  onError(err: Error): void;
}

/** Upstream connection pools (one per origin), shared by every request of a gateway. */
export interface UpstreamPool {
  /** The undici dispatcher behind the pools. */
  readonly dispatcher: Dispatcher;
  /**
   * The pools for servers hosted elsewhere: each connection's address, after DNS
   * resolution and at connect time, passes the remote-address check first.
   */
  readonly guarded: Dispatcher;
  /** Destroys every pooled connection; in-flight exchanges fail. */
  close(): Promise<void>;
}

/**
 * Creates the pools. `connectionsPerOrigin` bounds sockets per upstream; `remoteCheck`
 * decides the connections of servers hosted elsewhere. Each
 * exchange brings its own header timeout ({@link UpstreamRequest}); there is no
 * body timeout here: an SSE stream may legitimately stay silent for hours, and
 * the end of other bodies is held to the server's deadline by upstream-deadline.ts.
 */
export function createUpstreamPool(opts: { connectionsPerOrigin: number; remoteCheck: AddressCheck }): UpstreamPool {
  const dispatcher = new Agent({ connections: opts.connectionsPerOrigin, pipelining: 1, bodyTimeout: 0 });
  const guarded = new Agent({ connections: opts.connectionsPerOrigin, pipelining: 1, bodyTimeout: 0, connect: guardedConnector(opts.remoteCheck) });
  return {
    dispatcher,
    guarded,
    close: async () => {
      await Promise.all([dispatcher.destroy(), guarded.destroy()]);
    },
  };
}

/**
 * The handler hooks undici 7's HTTP/1.1 client calls natively. Why these and not
 * the controller hooks (`onRequestStart`, `onResponseStart`, …): undici 7 adapts
 * those onto these through a wrapper that also parses every response's raw
 * headers into an object, which this proxy would only flatten back into a list.
 * With them, a flat request-header list and no SSE header timer, the gateway
 * runs 217–218k instructions per request instead of 226–228k
 * (test/bench/gateway-instructions.ts, two runs each). undici marks them
 * deprecated in its types; the proxy tests (backpressure, abort, refused, reset
 * mid-body) pin their behaviour for an upgrade.
 */
interface CoreDispatchHandler {
  onConnect(abort: (err: Error) => void): void;
  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(err: Error): void;
}

/**
 * Sends `request` and reports through `callbacks`. Returns an abort function
 * (idempotent; after it, no callback and no body event fires).
 */
export function sendUpstream(pool: UpstreamPool, request: UpstreamRequest, callbacks: UpstreamCallbacks): () => void {
  let abortExchange: ((err: Error) => void) | undefined;
  let aborted = false;
  let body: UpstreamBody | undefined;
  let paused = false;
  let resumeReading: (() => void) | undefined;
  const flow: FlowControl = {
    pause: () => void (paused = true),
    resume: () => {
      if (!paused) return;
      paused = false;
      resumeReading?.();
    },
  };
  const handler: CoreDispatchHandler = {
    onConnect(abort) {
      abortExchange = abort;
      if (aborted) abort(new Error('aborted'));
    },
    onHeaders(status, rawHeaders, resume) {
      if (aborted || status < 200) return true; // 1xx interim responses are not relayed
      resumeReading = resume;
      const raw = new Array<string>(rawHeaders.length);
      for (let i = 0; i < rawHeaders.length; i += 2) {
        raw[i] = rawHeaders[i]!.toString('latin1').toLowerCase();
        raw[i + 1] = rawHeaders[i + 1]!.toString('latin1');
      }
      body = new UpstreamBody(flow);
      callbacks.onResponse(status, raw, body);
      return !paused;
    },
    onData(chunk) {
      if (!aborted) body?.emit('data', chunk);
      return !paused; // false: undici stops reading the socket until `resume`
    },
    onComplete() {
      if (!aborted) body?.emit('end');
    },
    onError(err) {
      if (aborted) return;
      if (body) body.emit('error', err);
      else callbacks.onError(err);
    },
  };
  // undici's own header timer rather than a setTimeout per request: it is part of
  // the parser's bookkeeping, so the hot path allocates no timer of its own.
  (request.guarded ? pool.guarded : pool.dispatcher).dispatch(
    {
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body ?? null,
      headersTimeout: request.headersTimeoutMs,
    },
    handler as Dispatcher.DispatchHandler,
  );
  return () => {
    if (aborted) return;
    aborted = true;
    abortExchange?.(new Error('aborted by the gateway'));
  };
}
