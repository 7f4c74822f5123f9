/**
 * The gateway's data path: a streaming reverse proxy for MCP's streamable HTTP
 * transport, on bare node:http because it is the hot path.
 *
 * Per request, one piece each:
 * 1. choose the route (choose-route.ts): 404 / 503 JSON-RPC errors naming the
 *    server and its condition;
 * 2. open the request's sealed session id (session-ids.ts): it names the
 *    endpoint holding the session and the upstream's own id; one this gateway
 *    did not issue for this server, or whose endpoint is gone, gets 404 (start a
 *    new session);
 * 3. read a POST body within the limit (request-body.ts; 413 above it) and parse
 *    it as JSON-RPC once (proxied-request.ts; 400 when it is not JSON);
 * 4. run the {@link GatewayStep}s (step-runner.ts);
 * 5. forward to the session's endpoint (else round-robin) over a keep-alive pool and stream the
 *    answer back without buffering (forward.ts): `application/json` and
 *    `text/event-stream` bodies are relayed chunk by chunk (relay.ts; SSE headers
 *    leave at once when no event came with them). Only when a step transforms
 *    responses is a JSON body buffered (it is one message) or an SSE stream
 *    re-framed event by event (response-transform.ts). The upstream's session id
 *    is replaced by a sealed one on the way back (session-response.ts).
 *
 * Failure rules (never a hang; upstream-failure.ts):
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
 *
 * With `governance` (governed-request.ts, governance/): the endpoints that are
 * not MCP routes (OAuth protected resource metadata, discovery) are served
 * first; a request is admitted before anything of it is read or forwarded; every
 * message of a POST is decided; an unknown route or a server not available now
 * is explained only to an authenticated caller; the caller's credential is never
 * forwarded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { chooseRoute } from './choose-route.ts';
import type { Governance } from './governance/governance.ts';
import { admitGoverned, answerGovernedMiss } from './governed-request.ts';
import { sendError } from './error-response.ts';
import { GatewayErrorCode } from './json-rpc.ts';
import type { GatewayStep } from './pipeline.ts';
import { ProxiedRequest, type ProxyParts } from './proxied-request.ts';
import { readRequestBody } from './request-body.ts';
import type { RouteTable } from './route-table.ts';
import { SessionIds, sessionMissMessage } from './session-ids.ts';
import { SessionKeys } from './session-keys.ts';
import { StepRunner } from './step-runner.ts';
import { createUpstreamPool } from './upstream.ts';

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
  /**
   * The keys that seal the session ids clients hold (session-seal.ts); the same on
   * every replica, so any of them serves any session. Default: a random key of
   * this proxy, whose sessions then live only as long as it does.
   */
  sessionKeys?: SessionKeys;
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

const ALLOW = 'GET, POST, DELETE';

/**
 * Creates the proxy. See the module comment for the behaviour.
 * @example
 * const proxy = createProxy({ routeTable, logger });
 * http.createServer(proxy.handle).listen(8080);
 */
export function createProxy(opts: ProxyOptions): Proxy {
  const table = opts.routeTable;
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const headersTimeoutMs = opts.upstreamHeadersTimeoutMs ?? 60_000;
  const governance = opts.governance;
  const parts: ProxyParts = {
    steps: new StepRunner(opts.steps ?? [], opts.logger),
    pool: createUpstreamPool({ connectionsPerOrigin: opts.maxSocketsPerUpstream ?? 256, headersTimeoutMs }),
    sessions: new SessionIds({ keys: opts.sessionKeys ?? SessionKeys.random() }),
    logger: opts.logger,
    headersTimeoutMs,
    // The caller's credential is the gateway's to check, never the upstream's to see.
    forwardHeaders: (opts.forwardHeaders ?? []).filter((h) => governance === undefined || (h !== 'authorization' && h !== 'cookie')),
    governance,
  };
  const readBody = (r: ProxiedRequest): void => readRequestBody(r.req, maxBody, r);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q);
    if (governance !== undefined) {
      if (governance.serveSpecial(req, res, pathname, query)) return;
      if (table.synced) {
        const found = table.lookup(pathname, req.headers.host);
        if (found === undefined || !found.routable) {
          void answerGovernedMiss(governance, req, res, pathname, query, found);
          return;
        }
      }
    }
    const route = chooseRoute(table, pathname, req.headers.host, res);
    if (route === undefined) return; // answered
    const method = req.method;
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      sendError(res, 405, GatewayErrorCode.InvalidRequest, `method ${method} is not allowed on an MCP endpoint; use ${ALLOW}`, null, { allow: ALLOW });
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const session = sessionId === undefined ? undefined : parts.sessions.lookup(route, sessionId as string);
    const r = new ProxiedRequest(parts, req, res, route, query);
    if (governance !== undefined) {
      // Only an authenticated caller learns whether its session is known (admission decides).
      void admitGoverned(r, governance, session, readBody);
      return;
    }
    if (session !== undefined) {
      if (session.kind !== 'open') {
        sendError(res, 404, GatewayErrorCode.SessionNotFound, sessionMissMessage(route.name, session), null);
        return;
      }
      r.session = session;
    }
    if (method === 'POST') readRequestBody(req, maxBody, r);
    else r.proceed();
  }

  return {
    handle,
    close: () => parts.pool.close(),
  };
}
