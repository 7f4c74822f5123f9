/**
 * The gateway's data path: a streaming reverse proxy for MCP's streamable HTTP
 * transport, on bare node:http because it is the hot path.
 *
 * Per request, one piece each:
 * 1. choose the route (choose-route.ts): 404 / 503 JSON-RPC errors naming the
 *    server and its condition;
 * 2. read a POST body within the limit (request-body.ts; 413 above it) and parse
 *    it as JSON-RPC once (proxied-request.ts; 400 when it is not JSON);
 * 3. run the {@link GatewayStep}s (step-runner.ts);
 * 4. forward to the server's endpoint over a keep-alive pool and stream the
 *    answer back without buffering (forward.ts): `application/json` and
 *    `text/event-stream` bodies are relayed chunk by chunk (relay.ts; SSE headers
 *    leave at once when no event came with them). Only when a step transforms
 *    responses is a JSON body buffered (it is one message) or an SSE stream
 *    re-framed event by event (response-transform.ts).
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
import { MemorySessionAffinity, type SessionAffinity } from './session-affinity.ts';
import { StepRunner } from './step-runner.ts';
import { TrustedProxies } from './trusted-proxies.ts';
import { createUpstreamPool } from './upstream.ts';
import { UpstreamCredentials, type SecretResolver } from './upstream-credentials.ts';

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
   * Peers (e.g. the ALB's subnets) whose X-Forwarded-For/-Host/-Proto and Forwarded
   * headers are kept and appended to; from others they are replaced. Default none.
   */
  trustedProxies?: TrustedProxies;
  /**
   * Reads the servers' credential references (`spec.remote.headers`,
   * `spec.runtime.headers`). Absent: servers with credentials are unavailable (503).
   */
  resolveSecret?: SecretResolver;
  /**
   * When held credentials are read again: in the background every `intervalMs`
   * (default 5 min), and after the server answers 401 when they are at least
   * `after401Ms` old (default 10 s).
   */
  secretRefresh?: { intervalMs?: number; after401Ms?: number };
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
    affinity: opts.affinity ?? new MemorySessionAffinity(),
    logger: opts.logger,
    headersTimeoutMs,
    // The caller's credential is the gateway's to check, never the upstream's to see.
    forwardHeaders: (opts.forwardHeaders ?? []).filter((h) => governance === undefined || (h !== 'authorization' && h !== 'cookie')),
    governance,
    trustedProxies: opts.trustedProxies ?? TrustedProxies.NONE,
    credentials: new UpstreamCredentials({
      resolveSecret: opts.resolveSecret,
      logger: opts.logger,
      ...(opts.secretRefresh?.intervalMs !== undefined ? { refreshMs: opts.secretRefresh.intervalMs } : {}),
      ...(opts.secretRefresh?.after401Ms !== undefined ? { minRefreshMs: opts.secretRefresh.after401Ms } : {}),
    }),
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
    if (governance !== undefined && (method === 'POST' || method === 'GET' || method === 'DELETE')) {
      void admitGoverned(new ProxiedRequest(parts, req, res, route, query), governance, readBody);
      return;
    }
    if (method === 'POST') readRequestBody(req, maxBody, new ProxiedRequest(parts, req, res, route, query));
    else if (method === 'GET' || method === 'DELETE') new ProxiedRequest(parts, req, res, route, query).proceed();
    else sendError(res, 405, GatewayErrorCode.InvalidRequest, `method ${method} is not allowed on an MCP endpoint; use ${ALLOW}`, null, { allow: ALLOW });
  }

  return {
    handle,
    close: () => parts.pool.close(),
  };
}
