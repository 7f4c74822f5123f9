/**
 * Runs a proxy's {@link GatewayStep}s (the rules are in pipeline.ts): the
 * request steps in order before anything goes upstream, where a step may reject
 * the request or replace its messages, and the response steps on every message
 * coming back. Built once per proxy, so the steps are sorted by hook once, not
 * per request.
 */
import type { Logger } from 'pino';
import { JSON_HEADERS, sendError } from './error-response.ts';
import { forward } from './forward.ts';
import { requestIds, singleId, type JsonRpcMessage } from './json-rpc.ts';
import type { GatewayContext, GatewayStep } from './pipeline.ts';
import type { ProxiedRequest } from './proxied-request.ts';

/**
 * The steps of one proxy.
 * @example
 * const steps = new StepRunner([hideAdminTools], logger);
 * if (steps.passThrough) forward(r); else void steps.run(r);
 */
export class StepRunner {
  /** True when there are no steps to run: requests and responses pass untouched. */
  readonly passThrough: boolean;
  readonly #requestSteps: readonly GatewayStep[];
  readonly #responseSteps: readonly GatewayStep[];
  readonly #logger: Logger;

  constructor(steps: readonly GatewayStep[], logger: Logger) {
    this.#requestSteps = steps.filter((s) => s.onRequest);
    this.#responseSteps = steps.filter((s) => s.transformResponse);
    this.passThrough = this.#requestSteps.length === 0 && this.#responseSteps.length === 0;
    this.#logger = logger;
  }

  /**
   * Runs the request steps on `r`, then forwards it. A rejection is answered with
   * its JSON-RPC error (one per request of a batch) and HTTP status (default 403);
   * a step that throws gets 500, and is logged. When a step replaced the messages,
   * the body sent upstream is re-serialised from them; otherwise the client's
   * bytes go as they came. Never rejects.
   */
  async run(r: ProxiedRequest): Promise<void> {
    const exchange = r.exchange;
    const { req, res, route } = r;
    const ctx: GatewayContext = {
      route,
      httpMethod: req.method ?? 'GET',
      headers: req.headers,
      sessionId: req.headers['mcp-session-id'] as string | undefined,
      remoteAddress: req.socket.remoteAddress,
      state: new Map(),
    };
    // GET and DELETE carry no messages; a fresh array, as a step may add to it.
    let current = r.messages ?? [];
    let replaced = false;
    try {
      for (const step of this.#requestSteps) {
        const verdict = await step.onRequest!(ctx, current);
        if (verdict.action === 'reject') {
          const status = verdict.httpStatus ?? 403;
          const ids = requestIds(current);
          const payload =
            r.batch && ids.length > 0
              ? JSON.stringify(ids.map((id) => ({ jsonrpc: '2.0', error: verdict.error, id })))
              : JSON.stringify({ jsonrpc: '2.0', error: verdict.error, id: singleId(current) });
          if (!res.headersSent) {
            res.writeHead(status, JSON_HEADERS);
            res.end(payload);
          }
          exchange?.complete(status);
          return;
        }
        if (verdict.messages) {
          current = verdict.messages;
          replaced = true;
        }
      }
    } catch (err) {
      this.#logger.error({ err, server: route.name }, 'gateway step failed');
      exchange?.complete(500);
      sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, singleId(current));
      return;
    }
    if (replaced && r.body !== undefined) r.body = Buffer.from(JSON.stringify(r.batch ? current : current[0]));
    r.messages = current;
    if (this.#responseSteps.length > 0) {
      // The governance's rewrite first (filtering, its answers), then the response steps.
      const governed = r.rewrite;
      r.rewrite = {
        transform: governed === undefined ? (m) => this.transformResponse(ctx, m) : async (m) => this.transformResponse(ctx, await governed.transform(m)),
        answers: governed?.answers ?? [],
      };
    }
    forward(r);
  }

  /** Passes one response message through the response steps, in order. */
  async transformResponse(ctx: GatewayContext, m: JsonRpcMessage): Promise<JsonRpcMessage> {
    for (const step of this.#responseSteps) m = await step.transformResponse!(ctx, m);
    return m;
  }
}
