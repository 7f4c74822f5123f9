/**
 * The gateway's data path: a streaming reverse proxy for MCP's streamable HTTP
 * transport, on bare node:http because it is the hot path.
 *
 * Per request: match the route (404 / 503 JSON-RPC errors naming the server and
 * its condition), read and parse a POST body as JSON-RPC (413 above the limit,
 * 400 when not JSON), run the {@link GatewayStep}s, forward to the server's
 * endpoint over a keep-alive pool, and stream the answer back without buffering:
 * `application/json` and `text/event-stream` bodies are relayed chunk by chunk
 * (relay.ts; SSE headers leave at once when no event came with them). Only when a step transforms responses is a JSON
 * body buffered (it is one message) or an SSE stream re-framed event by event.
 *
 * Failure rules (never a hang):
 * - upstream refuses, resets, or dies before answering → 502 with a JSON-RPC error
 *   (id of the request when there is one); no headers within
 *   `upstreamHeadersTimeoutMs` → 504;
 * - upstream dies mid-SSE-stream → a JSON-RPC error event is written for each
 *   request of the POST (so the client's pending calls fail at once), then the
 *   stream ends; mid-JSON-body → the client connection is destroyed;
 * - the client goes away → the upstream request is aborted.
 *
 * POST bodies are always parsed (the later steps need the messages), but the
 * original bytes are forwarded untouched unless a step replaced the messages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { chooseRoute } from './choose-route.ts';
import { JSON_HEADERS, sendError } from './error-response.ts';
import {
  GatewayErrorCode,
  jsonRpcErrorBody,
  parseJsonRpcBody,
  requestIds,
  singleId,
  type JsonRpcId,
  type JsonRpcMessage,
} from './json-rpc.ts';
import { filterResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { GatewayContext, GatewayStep } from './pipeline.ts';
import type { Route } from './route.ts';
import type { RouteTable } from './route-table.ts';
import { MemorySessionAffinity, type SessionAffinity } from './session-affinity.ts';
import { relay } from './relay.ts';
import { transformJson, transformSse } from './response-transform.ts';
import { StepRunner } from './step-runner.ts';
import { createUpstreamPool, sendUpstream } from './upstream.ts';

/** Options of {@link createProxy}. */
export interface ProxyOptions {
  routeTable: RouteTable;
  logger: Logger;
  /** Steps run on every request, in order. Default none (pure pass-through). */
  steps?: readonly GatewayStep[];
  /** Largest POST body accepted; larger gets 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** How long to wait for an upstream's response headers; then 504. Default 60 s. */
  upstreamHeadersTimeoutMs?: number;
  /** Extra request headers to forward (lower case), e.g. `['authorization']`. Default none. */
  forwardHeaders?: readonly string[];
  /** Keep-alive pool size per upstream host:port. Default 256. */
  maxSocketsPerUpstream?: number;
  /** Session → endpoint affinity. Default {@link MemorySessionAffinity}. */
  affinity?: SessionAffinity;
}

/** A proxy: a node:http request listener plus its upstream connection pools. */
export interface Proxy {
  /** Request listener for `http.createServer`. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Closes the upstream keep-alive pools (in-flight requests are destroyed). */
  close(): Promise<void>;
}

const ALLOW = 'GET, POST, DELETE';

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

/**
 * Creates the proxy. See the module comment for the behaviour.
 * @example
 * const proxy = createProxy({ routeTable, logger });
 * http.createServer(proxy.handle).listen(8080);
 */
export function createProxy(opts: ProxyOptions): Proxy {
  const table = opts.routeTable;
  const logger = opts.logger;
  const steps = new StepRunner(opts.steps ?? []);
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const headersTimeout = opts.upstreamHeadersTimeoutMs ?? 60_000;
  const extraHeaders = opts.forwardHeaders ?? [];
  const affinity = opts.affinity ?? new MemorySessionAffinity();
  const maxSockets = opts.maxSocketsPerUpstream ?? 256;
  const upstream = createUpstreamPool({ connectionsPerOrigin: maxSockets, headersTimeoutMs: headersTimeout });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = chooseRoute(table, q === -1 ? url : url.slice(0, q), req.headers.host, res);
    if (route === undefined) return; // answered
    const query = q === -1 ? '' : url.slice(q);
    const method = req.method;
    if (method === 'POST') readBody(req, res, route, query);
    else if (method === 'GET' || method === 'DELETE') {
      if (steps.passThrough) forward(req, res, route, query, undefined, undefined, undefined);
      else void runSteps(req, res, route, query, undefined, [], false);
    } else {
      sendError(res, 405, GatewayErrorCode.InvalidRequest, `method ${method} is not allowed on an MCP endpoint; use ${ALLOW}`, null, { allow: ALLOW });
    }
  }

  function readBody(req: IncomingMessage, res: ServerResponse, route: Route, query: string): void {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBody) {
      tooLarge(req, res);
      return;
    }
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBody) {
        over = true;
        tooLarge(req, res);
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      const body = chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
      onBody(req, res, route, query, body);
    });
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    // Answer at once and close the connection: reading megabytes we will discard helps nobody.
    sendError(res, 413, GatewayErrorCode.PayloadTooLarge, `request body exceeds the gateway limit of ${maxBody} bytes`, null, { connection: 'close' });
    req.resume();
  }

  function onBody(req: IncomingMessage, res: ServerResponse, route: Route, query: string, body: Buffer): void {
    const parsed = parseJsonRpcBody(body);
    if (parsed === undefined) {
      sendError(res, 400, GatewayErrorCode.ParseError, 'request body is not a JSON-RPC message or batch (invalid JSON)', null);
      return;
    }
    if (steps.passThrough) {
      forward(req, res, route, query, body, parsed.messages, undefined);
      return;
    }
    void runSteps(req, res, route, query, body, parsed.messages, parsed.batch);
  }

  async function runSteps(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    body: Buffer | undefined,
    messages: JsonRpcMessage[],
    batch: boolean,
  ): Promise<void> {
    const ctx: GatewayContext = {
      route,
      httpMethod: req.method ?? 'GET',
      headers: req.headers,
      sessionId: req.headers['mcp-session-id'] as string | undefined,
      remoteAddress: req.socket.remoteAddress,
      state: new Map(),
    };
    let current = messages;
    let replaced = false;
    try {
      for (const step of steps.requestSteps) {
        const verdict = await step.onRequest!(ctx, current);
        if (verdict.action === 'reject') {
          const status = verdict.httpStatus ?? 403;
          const ids = requestIds(current);
          const payload =
            batch && ids.length > 0
              ? JSON.stringify(ids.map((id) => ({ jsonrpc: '2.0', error: verdict.error, id })))
              : JSON.stringify({ jsonrpc: '2.0', error: verdict.error, id: singleId(current) });
          if (!res.headersSent) {
            res.writeHead(status, JSON_HEADERS);
            res.end(payload);
          }
          return;
        }
        if (verdict.messages) {
          current = verdict.messages;
          replaced = true;
        }
      }
    } catch (err) {
      logger.error({ err, server: route.name }, 'gateway step failed');
      sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, singleId(current));
      return;
    }
    if (replaced && body !== undefined) body = Buffer.from(JSON.stringify(batch ? current : current[0]));
    forward(req, res, route, query, body, current, steps.transformsResponses ? ctx : undefined);
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    body: Buffer | undefined,
    messages: JsonRpcMessage[] | undefined,
    transformCtx: GatewayContext | undefined,
  ): void {
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    const target = affinity.pick(route, sessionId);
    if (target === undefined) {
      sendError(res, 503, GatewayErrorCode.ServerUnavailable, `server "${route.name}" has no endpoint to route to`, singleId(messages));
      return;
    }
    const path = query === '' ? target.path : target.path.includes('?') ? `${target.path}&${query.slice(1)}` : target.path + query;
    let finished = false; // the upstream body ended or broke: nothing left to abort
    const onClientGone = () => {
      if (!res.writableFinished && !finished) abort();
    };
    res.once('close', onClientGone);

    const abort = sendUpstream(
      upstream,
      { origin: target.origin, method: req.method ?? 'GET', path, headers: upstreamRequestHeaders(req, target, extraHeaders, body?.length), body },
      {
        onError(err) {
          if (res.destroyed) return; // client left first; nothing to tell
          if ((err as NodeJS.ErrnoException).code === 'UND_ERR_HEADERS_TIMEOUT') {
            logger.warn({ server: route.name, upstream: target.url, timeoutMs: headersTimeout }, 'upstream did not answer in time');
            sendError(res, 504, GatewayErrorCode.UpstreamFailed, `server "${route.name}" did not answer within ${headersTimeout} ms`, singleId(messages));
            return;
          }
          logger.warn({ server: route.name, upstream: target.url, err }, 'upstream request failed');
          sendError(res, 502, GatewayErrorCode.UpstreamFailed, `server "${route.name}" failed before answering: ${upstreamFailureReason(err)}`, singleId(messages));
        },
        onResponse(status, rawHeaders, upRes) {
          const { headers, contentType, sessionId: createdSession } = filterResponseHeaders(rawHeaders);
          if (createdSession !== undefined && route.targets.length > 1) affinity.remember(route, createdSession, target);
          if (req.method === 'DELETE' && sessionId !== undefined && status < 300) affinity.forget(route, sessionId);
          const sse = contentType.startsWith('text/event-stream');
          const answered = sse ? new Set<JsonRpcId>() : undefined; // ids already answered on the stream

          upRes.once('end', () => (finished = true));
          const broken = (err: unknown) => {
            finished = true;
            if (res.writableEnded || res.destroyed) return;
            logger.warn({ server: route.name, upstream: target.url, err }, 'upstream broke off its response');
            if (!res.headersSent) {
              sendError(res, 502, GatewayErrorCode.UpstreamFailed, `server "${route.name}" broke off its response: ${upstreamFailureReason(err)}`, singleId(messages));
            } else if (sse) {
              const message = `server "${route.name}" closed the stream before answering: ${upstreamFailureReason(err)}`;
              for (const id of messages ? requestIds(messages) : []) {
                if (answered?.has(id)) continue;
                res.write(`event: message\ndata: ${jsonRpcErrorBody(GatewayErrorCode.UpstreamFailed, message, id)}\n\n`);
              }
              res.end();
            } else {
              res.destroy();
            }
          };
          upRes.on('error', broken);

          if (transformCtx === undefined || (!sse && !contentType.startsWith('application/json'))) {
            res.writeHead(status, headers);
            relay(upRes, res, sse);
            return;
          }
          if (sse) transformSse(upRes, res, status, headers, steps, transformCtx, answered!, broken);
          else transformJson(upRes, res, status, headers, steps, transformCtx, broken);
        },
      },
    );
  }

  return {
    handle,
    close: () => upstream.close(),
  };
}
