/**
 * The governed path of one MCP request through the gateway, as the architecture
 * names it: authenticate → (route resolved by the proxy) → may this caller use
 * the server at all → session opened by this caller (its sealed id says who) → rate limits → audit able to
 * record → per message: mirror headers agree with the body, authorize, approval
 * for `approval: required` tools → forward → filter `tools/list` → audit record.
 * Each refusal carries its reason; every decided message gets one audit record.
 *
 * The proxy calls {@link Governor.admit} once a route is resolved (this file),
 * then {@link GovernedExchange.decide} with the parsed JSON-RPC messages of a POST,
 * and {@link GovernedExchange.complete} when the answer has been sent
 * (exchange.ts). The decisions themselves are the manifest's pure rules
 * (src/manifest/policy.ts), remembered in decision-cache.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { RegistryClient } from '../../client/registry-client.ts';
import type { CallDecision, CallRecord } from '../../client/wire.ts';
import type { Grants } from '../../manifest/policy.ts';
import type { AuthRefusal, Authenticator } from '../auth/authenticate.ts';
import { agentOf, userOf, type CallerIdentity } from '../auth/identity.ts';
import { wwwAuthenticate } from '../auth/protected-resource.ts';
import { GatewayErrorCode, type JsonRpcMessage } from '../json-rpc.ts';
import type { Route } from '../route.ts';
import type { AuditSink } from './audit-sink.ts';
import { fitted, roundMs } from './call-record-fit.ts';
import { serverAccess } from './decision-cache.ts';
import { GovernedExchange, type ExchangeBase } from './exchange.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import type { PolicyIndex } from './policy-index.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';
import { sessionMissMessage, type OpenSession, type SessionLookup } from '../session-ids.ts';

/** A refusal the proxy sends as it is: HTTP status, extra headers, and the JSON-RPC error. */
export interface Refusal {
  status: number;
  headers?: Record<string, string>;
  code: number;
  message: string;
  data?: unknown;
}

/** What {@link GovernedExchange.decide} found for the messages of a POST. */
export type MessagesVerdict =
  /** Refuse the whole request (no message is forwarded). */
  | { kind: 'refuse'; refusal: Refusal }
  /**
   * Forward `forward` (possibly fewer than sent); `answers` are the gateway's own
   * responses to the others, to send alongside the upstream's; `filterResponses`
   * asks the proxy to pass response messages through {@link GovernedExchange.transform}.
   * `forward` may be empty: then `answers` is the whole reply.
   */
  | { kind: 'forward'; forward: JsonRpcMessage[]; answers: JsonRpcMessage[]; filterResponses: boolean };

/** What the governor needs to do its work. */
export interface GovernorDeps {
  authenticator: Authenticator;
  policies: PolicyIndex;
  limiter: RateLimiter;
  audit: AuditSink<CallRecord>;
  /** Files and consumes approvals. */
  approvals: Pick<RegistryClient, 'requestApproval' | 'consumeApproval'>;
  metrics?: GatewayMetrics;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Where the protected resource metadata is, for `WWW-Authenticate`. */
  resourceMetadataUrl: () => string;
  /** Buckets for callers whose policies set none. */
  defaultRateLimit: RateLimit;
  defaultServerRateLimit: RateLimit;
  /** Milliseconds since some origin (performance.now); injectable for tests. */
  now?: () => number;
}

/** What {@link Governor.admit} decided; an admitted request's session (if it has one) is open and its caller's. */
export type Admission = { ok: true; exchange: GovernedExchange; session: OpenSession | undefined } | { ok: false; refusal: Refusal };

/**
 * The gateway's governance. One per gateway process.
 * @example
 * const admission = await governor.admit({ route, httpMethod: 'POST', headers: req.headers, query, remoteAddress });
 * if (!admission.ok) return send(admission.refusal);
 * const verdict = await admission.exchange.decide(messages, batch);
 */
export class Governor {
  readonly #d: GovernorDeps;
  readonly #now: () => number;

  constructor(deps: GovernorDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => performance.now());
  }

  /** The audit sink (the proxy asks it whether calls may be served at all). */
  get audit(): AuditSink<CallRecord> {
    return this.#d.audit;
  }

  /**
   * Decides whether a request may proceed before its body matters: who calls,
   * whether it may use this server, whether its session (`session`: what its
   * sealed `Mcp-Session-Id` opened, see session-ids.ts) is its own — 403 — and
   * still served — 404, so the client starts a new one —, its rate limits, and
   * whether the audit can record it. A refusal is audited here.
   */
  async admit(req: { route: Route; httpMethod: string; headers: IncomingHttpHeaders; query: string; remoteAddress: string | undefined; session: SessionLookup | undefined }): Promise<Admission> {
    const startedAt = this.#now();
    const { route } = req;
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    const base = { startedAt, route, sessionId, httpMethod: req.httpMethod };
    if (!this.#d.audit.accepting()) {
      return this.#refuseEarly(base, undefined, 'error', 'audit-unavailable', {
        status: 503,
        headers: { 'retry-after': '5' },
        code: GatewayErrorCode.AuditUnavailable,
        message: 'the gateway cannot record calls in the audit right now, so it serves none; retry shortly',
      });
    }
    const auth = await this.#d.authenticator.authenticate(req.headers.authorization, req.query, req.remoteAddress);
    if (!auth.ok) {
      return this.#refuseEarly(base, undefined, auth.refusal.status === 503 ? 'error' : 'deny', auth.refusal.code, this.#authRefusal(auth.refusal));
    }
    const who = auth.identity;
    const grants = this.#d.policies.grantsOf(who);
    const anonymous = who.kind === 'anonymous';
    const access = serverAccess(grants, route.server, anonymous);
    if (!access.allowed) {
      if (access.code === 'anonymous-refused') {
        return this.#refuseEarly(base, who, 'deny', access.code, {
          status: 401,
          headers: { 'www-authenticate': wwwAuthenticate(this.#d.resourceMetadataUrl()) },
          code: GatewayErrorCode.Unauthenticated,
          message: `${access.reason}; send Authorization: Bearer with an agent key or an access token`,
        });
      }
      return this.#refuseEarly(base, who, 'deny', access.code, { status: 403, code: GatewayErrorCode.Rejected, message: access.reason });
    }
    const session = req.session;
    if (session !== undefined) {
      if (session.kind !== 'unknown' && !session.session.openedBy(who.subject)) {
        return this.#refuseEarly(base, who, 'deny', 'session-of-another-caller', {
          status: 403,
          code: GatewayErrorCode.Rejected,
          message: `session ${session.id} was opened by another caller; a session belongs to the caller that opened it`,
        });
      }
      if (session.kind !== 'open') {
        return this.#refuseEarly(base, who, 'deny', session.kind === 'unknown' ? 'unknown-session' : 'session-endpoint-gone', {
          status: 404,
          code: GatewayErrorCode.SessionNotFound,
          message: sessionMissMessage(route.name, session),
        });
      }
    }
    const limited = this.#rateLimit(who, grants, route, req.remoteAddress);
    if (limited !== undefined) {
      return this.#refuseEarly(base, who, 'rate-limited', 'rate-limited', {
        status: 429,
        headers: { 'retry-after': String(limited.retryAfterSeconds) },
        code: GatewayErrorCode.RateLimited,
        message: `${limited.what} is over its rate limit; retry after ${limited.retryAfterSeconds} s`,
      });
    }
    return { ok: true, exchange: new GovernedExchange(this.#d, this.#now, { ...base, who, grants, access }), session };
  }

  /**
   * Who calls, for answers that are not MCP exchanges (an unknown route, a server
   * not available now): only an authenticated caller learns which routes exist and
   * why a server is down; anyone else gets 401 (deny by default).
   */
  async identify(headers: IncomingHttpHeaders, query: string, remoteAddress: string | undefined): Promise<{ ok: true; identity: CallerIdentity } | { ok: false; refusal: Refusal }> {
    const auth = await this.#d.authenticator.authenticate(headers.authorization, query, remoteAddress);
    if (!auth.ok) return { ok: false, refusal: this.#authRefusal(auth.refusal) };
    if (auth.identity.kind === 'anonymous') {
      return {
        ok: false,
        refusal: { status: 401, headers: { 'www-authenticate': wwwAuthenticate(this.#d.resourceMetadataUrl()) }, code: GatewayErrorCode.Unauthenticated, message: 'send Authorization: Bearer with an agent key or an access token' },
      };
    }
    return { ok: true, identity: auth.identity };
  }

  /** The HTTP answer to a refused credential: 401 with WWW-Authenticate, 400 for a token in the query, 503 when it could not be checked. */
  #authRefusal(refusal: AuthRefusal): Refusal {
    const headers: Record<string, string> = refusal.status === 401 ? { 'www-authenticate': wwwAuthenticate(this.#d.resourceMetadataUrl(), { error: refusal.error, description: refusal.description }) } : {};
    if (refusal.status === 503) headers['retry-after'] = '5';
    if (refusal.status === 429) headers['retry-after'] = String(refusal.retryAfterSeconds ?? 1);
    return { status: refusal.status, headers, code: refusal.status === 429 ? GatewayErrorCode.RateLimited : GatewayErrorCode.Unauthenticated, message: refusal.description };
  }

  #rateLimit(who: CallerIdentity, grants: Grants, route: Route, remoteAddress: string | undefined): { what: string; retryAfterSeconds: number } | undefined {
    const agent = agentOf(who);
    const caller = agent === undefined ? `anonymous@${remoteAddress ?? '?'}` : `agent:${agent}`;
    const perAgent = this.#d.limiter.take(caller, grants.rateLimit ?? this.#d.defaultRateLimit);
    if (!perAgent.ok) return { what: agent === undefined ? 'anonymous access from this address' : `agent \`${agent}\``, retryAfterSeconds: perAgent.retryAfterSeconds };
    const perServer = this.#d.limiter.take(`${caller}\u0000${route.name}`, grants.serverRateLimit ?? this.#d.defaultServerRateLimit);
    if (!perServer.ok) return { what: `${agent === undefined ? 'anonymous access' : `agent \`${agent}\``} to MCPServer \`${route.name}\``, retryAfterSeconds: perServer.retryAfterSeconds };
    return undefined;
  }

  #refuseEarly(base: ExchangeBase, who: CallerIdentity | undefined, decision: CallDecision, code: string, refusal: Refusal): Admission {
    const latencyMs = this.#now() - base.startedAt;
    this.#d.metrics?.decisions.inc({ server: base.route.name, tool: '', decision, code });
    this.#d.audit.record(fitted({
      time: new Date().toISOString(),
      agent: who === undefined ? '(unauthenticated)' : (agentOf(who) ?? 'anonymous'),
      ...(who !== undefined && userOf(who) !== undefined ? { user: userOf(who)! } : {}),
      server: base.route.name,
      method: base.httpMethod === 'POST' ? '(request)' : `http:${base.httpMethod}`,
      scopes: [],
      decision,
      reason: `${code}: ${refusal.message}`,
      latencyMs: roundMs(latencyMs),
      status: refusal.status,
      ...(base.sessionId !== undefined ? { sessionId: base.sessionId } : {}),
      dataClassification: base.route.server.spec.dataClassification,
    }));
    return { ok: false, refusal };
  }
}
