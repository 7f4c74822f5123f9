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
import {
  GatewayErrorCode,
  jsonRpcErrorBody,
  parseJsonRpcBody,
  requestIds,
  type JsonRpcId,
  type JsonRpcMessage,
} from './json-rpc.ts';
import { filterResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { Governance } from './governance/governance.ts';
import type { GovernedExchange, Refusal } from './governance/governor.ts';
import type { GatewayContext, GatewayStep } from './pipeline.ts';
import type { Route } from './route.ts';
import type { RouteTable } from './route-table.ts';
import { MemorySessionAffinity, type SessionAffinity } from './session-affinity.ts';
import { formatSseEvent, SseParser } from './sse.ts';
import { relay } from './relay.ts';
import { createUpstreamPool, sendUpstream, type UpstreamBody } from './upstream.ts';

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
  /**
   * The governed path (identity, policy, approvals, audit; src/gateway/governance).
   * Absent: an open pass-through, for tests and the "plain routing" benchmark baseline.
   */
  governance?: Governance;
}

/** A proxy: a node:http request listener plus its upstream connection pools. */
export interface Proxy {
  /** Request listener for `http.createServer`. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Closes the upstream keep-alive pools (in-flight requests are destroyed). */
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const ALLOW = 'GET, POST, DELETE';

function sendError(res: ServerResponse, status: number, code: number, message: string, id: JsonRpcId, extra?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = jsonRpcErrorBody(code, message, id);
  res.writeHead(status, extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS);
  res.end(body);
}

function sendRefusal(res: ServerResponse, refusal: Refusal, id: JsonRpcId): void {
  sendError(res, refusal.status, refusal.code, refusal.message, id, refusal.headers);
}

/** How a response is rewritten on its way back: messages transformed, and the gateway's own answers added. */
interface Rewrite {
  transform(m: JsonRpcMessage): JsonRpcMessage | Promise<JsonRpcMessage>;
  /** Responses the gateway gives itself for messages it did not forward (a partly refused batch). */
  answers: readonly JsonRpcMessage[];
}

function singleId(messages: readonly JsonRpcMessage[] | undefined): JsonRpcId {
  if (messages?.length !== 1) return null;
  const id = messages[0]!.id;
  return id === undefined ? null : id;
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
  const steps = opts.steps ?? [];
  const requestSteps = steps.filter((s) => s.onRequest);
  const responseSteps = steps.filter((s) => s.transformResponse);
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const headersTimeout = opts.upstreamHeadersTimeoutMs ?? 60_000;
  const extraHeaders = opts.forwardHeaders ?? [];
  const affinity = opts.affinity ?? new MemorySessionAffinity();
  const maxSockets = opts.maxSocketsPerUpstream ?? 256;
  const upstream = createUpstreamPool({ connectionsPerOrigin: maxSockets, headersTimeoutMs: headersTimeout });
  const governance = opts.governance;
  // The caller's credential is the gateway's to check, never the upstream's to see.
  const forwarded = governance === undefined ? extraHeaders : extraHeaders.filter((h) => h !== 'authorization' && h !== 'cookie');

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (governance !== undefined && governance.serveSpecial(req, res, pathname, q === -1 ? '' : url.slice(q))) return;
    const route = table.lookup(pathname, req.headers.host);
    if (governance !== undefined && table.synced && (route === undefined || !route.routable)) {
      void governedMiss(req, res, pathname, q === -1 ? '' : url.slice(q), route);
      return;
    }
    if (route === undefined) {
      if (!table.synced) {
        sendError(res, 503, GatewayErrorCode.ServerUnavailable, 'the gateway has not loaded its routes from the registry yet; retry in a moment', null, { 'retry-after': '1' });
      } else {
        sendError(res, 404, GatewayErrorCode.RouteNotFound, `no MCP server routed at ${pathname}`, null);
      }
      return;
    }
    if (!route.routable) {
      sendError(res, 503, GatewayErrorCode.ServerUnavailable, route.reason ?? `server "${route.name}" is not routable`, null);
      return;
    }
    const query = q === -1 ? '' : url.slice(q);
    const method = req.method;
    if (governance !== undefined && (method === 'POST' || method === 'GET' || method === 'DELETE')) {
      void admit(req, res, route, query);
      return;
    }
    if (method === 'POST') readBody(req, res, route, query);
    else if (method === 'GET' || method === 'DELETE') {
      if (requestSteps.length === 0 && responseSteps.length === 0) forward(req, res, route, query, undefined, undefined, undefined);
      else void runSteps(req, res, route, query, undefined, [], false);
    } else {
      sendError(res, 405, GatewayErrorCode.InvalidRequest, `method ${method} is not allowed on an MCP endpoint; use ${ALLOW}`, null, { allow: ALLOW });
    }
  }

  /** An unknown route or a server not available now, on a governed gateway: only authenticated callers learn which. */
  async function governedMiss(req: IncomingMessage, res: ServerResponse, pathname: string, query: string, route: Route | undefined): Promise<void> {
    req.resume();
    try {
      const who = await governance!.governor.identify(req.headers, query, req.socket.remoteAddress);
      if (!who.ok) sendRefusal(res, who.refusal, null);
      else if (route === undefined) sendError(res, 404, GatewayErrorCode.RouteNotFound, `no MCP server routed at ${pathname}`, null);
      else sendError(res, 503, GatewayErrorCode.ServerUnavailable, route.reason ?? `server "${route.name}" is not routable`, null);
    } catch (err) {
      logger.error({ err, path: pathname }, 'governance failed to identify a caller');
      sendError(res, 500, -32603, 'the gateway failed to process the request', null);
    }
  }

  /** The governed path: admission before anything is read or forwarded, then the body's messages are decided. */
  async function admit(req: IncomingMessage, res: ServerResponse, route: Route, query: string): Promise<void> {
    let admission;
    try {
      admission = await governance!.governor.admit({ route, httpMethod: req.method!, headers: req.headers, query, remoteAddress: req.socket.remoteAddress });
    } catch (err) {
      logger.error({ err, server: route.name }, 'governance failed to admit a request');
      sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, null);
      return;
    }
    if (!admission.ok) {
      req.resume();
      sendRefusal(res, admission.refusal, null);
      return;
    }
    const exchange = admission.exchange;
    if (req.method === 'POST') readBody(req, res, route, query, exchange);
    else forward(req, res, route, query, undefined, undefined, exchange.transformsStream ? { transform: (m) => exchange.transform(m), answers: [] } : undefined, exchange);
  }

  function readBody(req: IncomingMessage, res: ServerResponse, route: Route, query: string, exchange?: GovernedExchange): void {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBody) {
      tooLarge(req, res, exchange);
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
        tooLarge(req, res, exchange);
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      const body = chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0));
      if (exchange !== undefined) void onGovernedBody(req, res, route, query, body, exchange);
      else onBody(req, res, route, query, body);
    });
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse, exchange: GovernedExchange | undefined): void {
    const message = `request body exceeds the gateway limit of ${maxBody} bytes`;
    exchange?.refuse(413, 'too-large', message);
    // Answer at once and close the connection: reading megabytes we will discard helps nobody.
    sendError(res, 413, GatewayErrorCode.PayloadTooLarge, message, null, { connection: 'close' });
    req.resume();
  }

  function onBody(req: IncomingMessage, res: ServerResponse, route: Route, query: string, body: Buffer): void {
    const parsed = parseJsonRpcBody(body);
    if (parsed === undefined) {
      sendError(res, 400, GatewayErrorCode.ParseError, 'request body is not a JSON-RPC message or batch (invalid JSON)', null);
      return;
    }
    if (requestSteps.length === 0 && responseSteps.length === 0) {
      forward(req, res, route, query, body, parsed.messages, undefined);
      return;
    }
    void runSteps(req, res, route, query, body, parsed.messages, parsed.batch);
  }

  async function onGovernedBody(req: IncomingMessage, res: ServerResponse, route: Route, query: string, body: Buffer, exchange: GovernedExchange): Promise<void> {
    const parsed = parseJsonRpcBody(body);
    if (parsed === undefined) {
      const message = 'request body is not a JSON-RPC message or batch (invalid JSON)';
      exchange.refuse(400, 'not-json-rpc', message);
      sendError(res, 400, GatewayErrorCode.ParseError, message, null);
      return;
    }
    let verdict;
    try {
      verdict = await exchange.decide(parsed.messages, parsed.batch, req.headers);
    } catch (err) {
      logger.error({ err, server: route.name }, 'governance failed to decide a request');
      exchange.complete(500);
      sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, singleId(parsed.messages));
      return;
    }
    if (verdict.kind === 'refuse') {
      sendRefusal(res, verdict.refusal, singleId(parsed.messages));
      return;
    }
    if (verdict.forward.length === 0) {
      // Nothing left to forward: the gateway's answers are the whole reply.
      const answers = verdict.answers;
      res.once('close', () => exchange.complete(res.statusCode));
      if (answers.length === 0) {
        res.writeHead(202);
        res.end();
        return;
      }
      res.writeHead(200, JSON_HEADERS);
      res.end(JSON.stringify(parsed.batch ? answers : answers[0]));
      return;
    }
    const same = verdict.forward.length === parsed.messages.length;
    const out = same ? body : Buffer.from(JSON.stringify(parsed.batch ? verdict.forward : verdict.forward[0]));
    const rewrite: Rewrite | undefined =
      verdict.filterResponses || verdict.answers.length > 0 ? { transform: (m) => exchange.transform(m), answers: verdict.answers } : undefined;
    if (requestSteps.length === 0 && responseSteps.length === 0) {
      forward(req, res, route, query, out, verdict.forward, rewrite, exchange);
      return;
    }
    void runSteps(req, res, route, query, out, verdict.forward, parsed.batch, exchange, rewrite);
  }

  async function runSteps(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    body: Buffer | undefined,
    messages: JsonRpcMessage[],
    batch: boolean,
    exchange?: GovernedExchange,
    governed?: Rewrite,
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
      for (const step of requestSteps) {
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
          exchange?.complete(status);
          return;
        }
        if (verdict.messages) {
          current = verdict.messages;
          replaced = true;
        }
      }
    } catch (err) {
      logger.error({ err, server: route.name }, 'gateway step failed');
      exchange?.complete(500);
      sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, singleId(current));
      return;
    }
    if (replaced && body !== undefined) body = Buffer.from(JSON.stringify(batch ? current : current[0]));
    forward(req, res, route, query, body, current, composeRewrite(governed, responseSteps.length > 0 ? ctx : undefined), exchange);
  }

  /** The governance's rewrite, then the response steps', as one. */
  function composeRewrite(governed: Rewrite | undefined, ctx: GatewayContext | undefined): Rewrite | undefined {
    if (ctx === undefined) return governed;
    if (governed === undefined) return { transform: (m) => applyResponseSteps(ctx, m), answers: [] };
    return { transform: async (m) => applyResponseSteps(ctx, await governed.transform(m)), answers: governed.answers };
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    body: Buffer | undefined,
    messages: JsonRpcMessage[] | undefined,
    rewrite: Rewrite | undefined,
    exchange?: GovernedExchange,
  ): void {
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    const target = affinity.pick(route, sessionId);
    let upstreamStatus: number | undefined;
    if (exchange !== undefined) res.once('close', () => exchange.complete(res.statusCode, upstreamStatus));
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
      { origin: target.origin, method: req.method ?? 'GET', path, headers: upstreamRequestHeaders(req, target, forwarded, body?.length), body },
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
          upstreamStatus = status;
          const { headers, contentType, sessionId: createdSession } = filterResponseHeaders(rawHeaders);
          if (createdSession !== undefined && route.targets.length > 1) affinity.remember(route, createdSession, target);
          if (req.method === 'DELETE' && sessionId !== undefined && status < 300) affinity.forget(route, sessionId);
          if (exchange !== undefined) {
            if (createdSession !== undefined && createdSession !== sessionId) exchange.sessionOpened(createdSession);
            if (req.method === 'DELETE' && sessionId !== undefined && status < 300) exchange.sessionEnded(sessionId);
          }
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

          if (rewrite !== undefined && rewrite.answers.length > 0 && !sse && !contentType.startsWith('application/json')) {
            // The forwarded messages needed no answer (202), but the refused ones get theirs.
            upRes.resume();
            res.writeHead(200, JSON_HEADERS);
            res.end(JSON.stringify(rewrite.answers));
            return;
          }
          if (rewrite === undefined || (!sse && !contentType.startsWith('application/json'))) {
            res.writeHead(status, headers);
            relay(upRes, res, sse);
            return;
          }
          if (sse) transformSse(upRes, res, status, headers, rewrite, answered!, broken);
          else transformJson(upRes, res, status, headers, rewrite, broken);
        },
      },
    );
  }

  async function applyResponseSteps(ctx: GatewayContext, m: JsonRpcMessage): Promise<JsonRpcMessage> {
    for (const step of responseSteps) m = await step.transformResponse!(ctx, m);
    return m;
  }

  function transformJson(
    upRes: UpstreamBody,
    res: ServerResponse,
    status: number,
    headers: string[],
    rewrite: Rewrite,
    broken: (err: unknown) => void,
  ): void {
    const chunks: Buffer[] = [];
    upRes.on('data', (c: Buffer) => chunks.push(c));
    upRes.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const parsed = parseJsonRpcBody(raw);
        let out = raw;
        if (parsed) {
          try {
            const msgs: JsonRpcMessage[] = [];
            for (const m of parsed.messages) msgs.push(await rewrite.transform(m));
            msgs.push(...rewrite.answers);
            out = Buffer.from(JSON.stringify(parsed.batch || msgs.length > 1 ? msgs : msgs[0]));
          } catch (err) {
            broken(err);
            return;
          }
        }
        const h: string[] = [];
        for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'content-length') h.push(headers[i]!, headers[i + 1]!);
        h.push('content-length', String(out.length));
        if (!res.destroyed) {
          res.writeHead(status, h);
          res.end(out);
        }
      })();
    });
  }

  function transformSse(
    upRes: UpstreamBody,
    res: ServerResponse,
    status: number,
    headers: string[],
    rewrite: Rewrite,
    answered: Set<JsonRpcId>,
    broken: (err: unknown) => void,
  ): void {
    res.writeHead(status, headers);
    for (const a of rewrite.answers) res.write(`event: message\ndata: ${JSON.stringify(a)}\n\n`);
    res.flushHeaders();
    const parser = new SseParser();
    let chain = Promise.resolve();
    upRes.on('data', (chunk: Buffer) => {
      const events = parser.push(chunk);
      if (events.length === 0) return;
      chain = chain.then(async () => {
        for (const ev of events) {
          if (ev.data && (ev.event === undefined || ev.event === 'message')) {
            let m: JsonRpcMessage | undefined;
            try {
              m = JSON.parse(ev.data) as JsonRpcMessage;
            } catch {
              m = undefined; // not JSON-RPC: pass the event through untouched
            }
            if (m && typeof m === 'object') {
              m = await rewrite.transform(m);
              if (m.id !== undefined && m.method === undefined) answered.add(m.id);
              ev.data = JSON.stringify(m);
            }
          }
          if (!res.destroyed) res.write(formatSseEvent(ev));
        }
      });
      chain.catch(broken);
    });
    upRes.on('end', () => {
      chain.then(() => res.end(), broken);
    });
  }

  return {
    handle,
    close: () => upstream.close(),
  };
}
