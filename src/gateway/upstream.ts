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

/**
 * An upstream response body. Events: `data` (Buffer), `end`, `error` (the
 * upstream broke off after its headers). `pause`/`resume` apply backpressure
 * to the upstream connection.
 */
export class UpstreamBody extends EventEmitter {
  readonly #controller: Pick<Dispatcher.DispatchController, 'pause' | 'resume'>;

  /** `controller`: the exchange's, which pauses and resumes reading its socket. */
  constructor(controller: Pick<Dispatcher.DispatchController, 'pause' | 'resume'>) {
    super();
    this.#controller = controller;
  }

  /** Stops reading from the upstream until {@link resume}. */
  pause(): void {
    this.#controller.pause();
  }

  /** Reads from the upstream again. */
  resume(): void {
    this.#controller.resume();
  }
}

/** One upstream exchange, as {@link sendUpstream} takes it. */
export interface UpstreamRequest {
  /** Scheme, host and port, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  method: string;
  /** Path with query. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
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
  /** Destroys every pooled connection; in-flight exchanges fail. */
  close(): Promise<void>;
}

/**
 * Creates the pools. `connectionsPerOrigin` bounds sockets per upstream; an
 * exchange whose response headers take longer than `headersTimeoutMs` (counted
 * from when the request was written) fails with `UND_ERR_HEADERS_TIMEOUT`. No body
 * timeout: an SSE stream may legitimately stay silent for hours.
 */
export function createUpstreamPool(opts: { connectionsPerOrigin: number; headersTimeoutMs: number }): UpstreamPool {
  // undici's own header timer rather than a setTimeout per request: it is part of
  // the parser's bookkeeping, so the hot path allocates no timer of its own.
  const dispatcher = new Agent({ connections: opts.connectionsPerOrigin, pipelining: 1, headersTimeout: opts.headersTimeoutMs, bodyTimeout: 0 });
  return { dispatcher, close: () => dispatcher.destroy() };
}

/**
 * Sends `request` and reports through `callbacks`. Returns an abort function
 * (idempotent; after it, no callback and no body event fires).
 */
export function sendUpstream(pool: UpstreamPool, request: UpstreamRequest, callbacks: UpstreamCallbacks): () => void {
  let controller: Dispatcher.DispatchController | undefined;
  let aborted = false;
  let body: UpstreamBody | undefined;
  pool.dispatcher.dispatch(
    { origin: request.origin, path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body ?? null },
    {
      onRequestStart(c) {
        controller = c;
        if (aborted) c.abort(new Error('aborted'));
      },
      onResponseStart(c, status, headers) {
        if (aborted || status < 200) return; // 1xx interim responses are not relayed
        const raw: string[] = [];
        for (const name in headers) {
          const v = headers[name]!;
          if (typeof v === 'string') raw.push(name, v);
          else for (const one of v) raw.push(name, one);
        }
        body = new UpstreamBody(c);
        callbacks.onResponse(status, raw, body);
      },
      onResponseData(_c, chunk) {
        if (!aborted) body?.emit('data', chunk);
      },
      onResponseEnd() {
        if (!aborted) body?.emit('end');
      },
      onResponseError(_c, err) {
        if (aborted) return;
        if (body) body.emit('error', err);
        else callbacks.onError(err);
      },
    },
  );
  return () => {
    if (aborted) return;
    aborted = true;
    controller?.abort(new Error('aborted by the gateway'));
  };
}
