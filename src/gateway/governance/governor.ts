/**
 * The governed path of one MCP request through the gateway, as the architecture
 * names it: authenticate → (route resolved by the proxy) → may this caller use
 * the server at all → session bound to its caller → rate limits → audit able to
 * record → per message: mirror headers agree with the body, authorize, approval
 * for `approval: required` tools → forward → filter `tools/list` → audit record.
 * Each refusal carries its reason; every decided message gets one audit record.
 *
 * The proxy calls {@link Governor.admit} once a route is resolved, then
 * {@link GovernedExchange.decide} with the parsed JSON-RPC messages of a POST,
 * and {@link GovernedExchange.complete} when the answer has been sent. The
 * decisions themselves are the manifest's pure rules (src/manifest/policy.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { ApprovalConflictError, ApprovalGoneError } from '../../client/errors.ts';
import type { RegistryClient } from '../../client/registry-client.ts';
import { CALL_RECORD_TEXT_LIMITS, type Approval, type CallDecision, type CallRecord } from '../../client/wire.ts';
import { describeError } from '../../kit/errors.ts';
import { argumentsHash, decideMethod, mayUseServer, payloadsToRecord, visibleTools, type Decision, type Grants, type RecordedPayloads, type ServerAccess } from '../../manifest/policy.ts';
import type { MCPServer } from '../../manifest/types.ts';
import type { AuthRefusal, Authenticator } from '../auth/authenticate.ts';
import { agentOf, userOf, type CallerIdentity } from '../auth/identity.ts';
import { wwwAuthenticate } from '../auth/protected-resource.ts';
import { GatewayErrorCode, isJsonRpcRequest, type JsonRpcId, type JsonRpcMessage } from '../json-rpc.ts';
import type { Route } from '../route.ts';
import type { AuditSink } from './audit-sink.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import { messageName, mirrorMismatch } from './mirror-headers.ts';
import type { PolicyIndex } from './policy-index.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';
import type { SessionBindings } from './session-bindings.ts';

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
  sessions: SessionBindings;
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

/** What {@link Governor.admit} decided. */
export type Admission = { ok: true; exchange: GovernedExchange } | { ok: false; refusal: Refusal };

/**
 * Per-server decisions of one caller, remembered while its grants stay the same
 * object (the policy index makes a new one when policies change) and the server's
 * resourceVersion stays the same.
 */
const accessCache = new WeakMap<Grants, Map<string, ServerAccess>>();

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
   * whether it may use this server, whether its session is its own, its rate
   * limits, and whether the audit can record it. A refusal is audited here.
   */
  async admit(req: { route: Route; httpMethod: string; headers: IncomingHttpHeaders; query: string; remoteAddress: string | undefined }): Promise<Admission> {
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
    if (sessionId !== undefined) {
      const bound = this.#d.sessions.check(route.name, sessionId, who.subject);
      if (bound === 'other-caller') {
        return this.#refuseEarly(base, who, 'deny', 'session-of-another-caller', {
          status: 403,
          code: GatewayErrorCode.Rejected,
          message: `session ${sessionId} was opened by another caller; a session belongs to the caller that opened it`,
        });
      }
      if (bound === 'unknown') {
        return this.#refuseEarly(base, who, 'deny', 'unknown-session', {
          status: 404,
          code: GatewayErrorCode.SessionNotFound,
          message: `session ${sessionId} is not known to this gateway; start a new session (initialize)`,
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
    return { ok: true, exchange: new GovernedExchange(this.#d, this.#now, { ...base, who, grants, access }) };
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
      latencyMs: round(latencyMs),
      status: refusal.status,
      ...(base.sessionId !== undefined ? { sessionId: base.sessionId } : {}),
      dataClassification: base.route.server.spec.dataClassification,
    }));
    return { ok: false, refusal };
  }
}

/** What every exchange knows from admission. */
interface ExchangeBase {
  startedAt: number;
  route: Route;
  sessionId: string | undefined;
  httpMethod: string;
}

/** A message decided and waiting for its answer, to be audited with it. */
interface PendingRecord {
  record: CallRecord;
  /** Forwarded upstream (its status comes from the upstream), or answered by the gateway. */
  forwarded: boolean;
}

/**
 * One admitted request: its caller, grants and the records of the messages it
 * decides. Built by {@link Governor.admit}.
 */
export class GovernedExchange {
  readonly #d: GovernorDeps;
  readonly #now: () => number;
  readonly #base: ExchangeBase & { who: CallerIdentity; grants: Grants; access: ServerAccess };
  readonly #pending: PendingRecord[] = [];
  /** Ids of forwarded `tools/list` requests, whose answers are filtered. */
  #toolLists: Set<JsonRpcId> | undefined;
  /** Ids of forwarded calls whose results the manifest asks to record. */
  #recordResults: Map<JsonRpcId, CallRecord> | undefined;
  #completed = false;

  constructor(deps: GovernorDeps, now: () => number, base: ExchangeBase & { who: CallerIdentity; grants: Grants; access: ServerAccess }) {
    this.#d = deps;
    this.#now = now;
    this.#base = base;
  }

  /** The caller. */
  get identity(): CallerIdentity {
    return this.#base.who;
  }

  /**
   * Decides each message of a POST: requests and notifications by the policy;
   * responses to the server's own requests (sampling, elicitation) pass as the
   * session's. A batch is decided message by message.
   */
  async decide(messages: JsonRpcMessage[], batch: boolean, headers: IncomingHttpHeaders): Promise<MessagesVerdict> {
    if (messages.length === 0) {
      this.#note({ jsonrpc: '2.0', method: '(empty batch)' }, 'deny', 'invalid-request', 'an empty batch is not a JSON-RPC request', [], false);
      this.#settle(400);
      return { kind: 'refuse', refusal: { status: 400, code: GatewayErrorCode.InvalidRequest, message: 'an empty batch is not a JSON-RPC request (JSON-RPC 2.0, section 6)' } };
    }
    const mismatch = mirrorMismatch(headers, messages, batch);
    if (mismatch !== undefined) {
      for (const m of messages) if (typeof m.method === 'string') this.#note(m, 'deny', 'mirror-header-mismatch', mismatch, [], false);
      this.#settle(400);
      return { kind: 'refuse', refusal: { status: 400, code: GatewayErrorCode.InvalidRequest, message: `${mismatch}; the gateway decides on the body, so the headers must mirror it` } };
    }
    const forward: JsonRpcMessage[] = [];
    const answers: JsonRpcMessage[] = [];
    let filterResponses = false;
    const server = this.#base.route.server;
    const anonymous = this.#base.who.kind === 'anonymous';
    for (const m of messages) {
      if (typeof m.method !== 'string') {
        forward.push(m); // a response to the server's own request: the session's business
        continue;
      }
      const name = messageName(m);
      const decision = decided(this.#base.grants, server, m.method, name, anonymous);
      if (decision.verdict === 'allow') {
        forward.push(m);
        const record = this.#note(m, 'allow', decision.code, decision.reason, decision.scopes, true);
        if (m.method === 'tools/list' && isJsonRpcRequest(m)) {
          (this.#toolLists ??= new Set()).add(m.id as JsonRpcId);
          filterResponses = true;
        }
        if (this.#keepResult(m, record)) filterResponses = true;
        continue;
      }
      // Only a request can wait for an approval: a notification has no answer to carry the approval id.
      if (decision.verdict === 'approval' && m.method === 'tools/call' && name !== undefined && isJsonRpcRequest(m)) {
        const approved = await this.#approval(m, name, decision);
        if (approved.forward) {
          forward.push(m);
          const record = this.#note(m, 'allow', 'approved', `${decision.reason}; approved as ${approved.approval.id}`, decision.scopes, true, approved.approval.id);
          if (this.#keepResult(m, record)) filterResponses = true;
          continue;
        }
        if (isJsonRpcRequest(m)) answers.push(errorResponse(m.id as JsonRpcId, approved.code, approved.message, approved.data));
        this.#note(m, approved.code === GatewayErrorCode.ApprovalRequired ? 'approval-required' : 'error', approved.reasonCode, approved.message, decision.scopes, false, approved.approval?.id);
        continue;
      }
      if (isJsonRpcRequest(m)) answers.push(errorResponse(m.id as JsonRpcId, GatewayErrorCode.Rejected, decision.reason, { reason: decision.code, scopes: decision.scopes, ...(decision.missing ? { missing: decision.missing } : {}) }));
      this.#note(m, 'deny', decision.code, decision.reason, decision.scopes, false);
    }
    return { kind: 'forward', forward, answers, filterResponses };
  }

  /**
   * Marks a forwarded `tools/call` whose result the manifest asks to record
   * (`auditPayloads: arguments-and-results`) so {@link transform} records it;
   * true when it did, and responses must then pass through transform.
   */
  #keepResult(m: JsonRpcMessage, record: CallRecord): boolean {
    if (m.method !== 'tools/call' || !isJsonRpcRequest(m) || this.#base.route.server.spec.access?.auditPayloads !== 'arguments-and-results') return false;
    (this.#recordResults ??= new Map()).set(m.id as JsonRpcId, record);
    return true;
  }

  /**
   * Whether the responses of a request without messages of its own must pass
   * through {@link transform}: a GET stream, which carries what the server sends
   * outside a POST — including answers to earlier POSTs it replays after a
   * `Last-Event-ID`, so a `tools/list` answer would otherwise arrive unfiltered.
   */
  get transformsStream(): boolean {
    return this.#base.httpMethod === 'GET';
  }

  /**
   * A response message on its way to the client: `tools/list` results lose the
   * tools the caller may not call (on a GET stream, every result listing tools:
   * replayed answers of tools/list); results are recorded where the manifest asks.
   */
  transform(m: JsonRpcMessage): JsonRpcMessage {
    if (m.id === undefined || m.method !== undefined) return m;
    const id = m.id as JsonRpcId;
    const record = this.#recordResults?.get(id);
    if (record !== undefined && m.result !== undefined) {
      const payload = keptPayloads(this.#base.route.server, { result: m.result });
      if (payload.result !== undefined) record.result = payload.result;
    }
    if (!this.#toolLists?.has(id) && !this.transformsStream) return m;
    const tools = (m.result as { tools?: Array<{ name?: unknown }> } | undefined)?.tools;
    if (!Array.isArray(tools)) return m;
    const names = tools.map((t) => (typeof t?.name === 'string' ? t.name : ''));
    const visible = new Set(visibleTools(this.#base.grants, this.#base.route.server, names, { anonymous: this.#base.who.kind === 'anonymous' }));
    return { ...m, result: { ...(m.result as object), tools: tools.filter((_, i) => visible.has(names[i]!)) } };
  }

  /**
   * The request is refused before its messages could be decided (a body too large,
   * or not JSON-RPC): one record of its own, as for refusals at admission. Idempotent.
   */
  refuse(status: number, code: string, reason: string): void {
    if (this.#completed) return;
    this.#note({ jsonrpc: '2.0', method: '(request)' }, 'deny', code, reason, [], false);
    this.complete(status);
  }

  /** The upstream answered a request that opened a session: the session is this caller's from now on. */
  sessionOpened(sessionId: string): void {
    this.#d.sessions.bind(this.#base.route.name, sessionId, this.#base.who.subject);
  }

  /** The session ended (DELETE answered). */
  sessionEnded(sessionId: string): void {
    this.#d.sessions.unbind(this.#base.route.name, sessionId);
  }

  /**
   * The answer has been sent (or failed): writes the audit record of every
   * decided message, with the HTTP status the client got and the upstream's.
   * GET and DELETE, which carry no message, get one record of their own. Idempotent.
   */
  complete(status: number, upstreamStatus?: number): void {
    if (this.#completed) return;
    if (this.#pending.length === 0 && this.#base.httpMethod !== 'POST') {
      this.#note({ jsonrpc: '2.0', method: `http:${this.#base.httpMethod}` }, 'allow', 'allowed', this.#base.access.reason, [], true);
    }
    this.#settle(status, upstreamStatus);
    const seconds = (this.#now() - this.#base.startedAt) / 1000;
    this.#d.metrics?.requests.inc({ server: this.#base.route.name, status: String(status) });
    this.#d.metrics?.duration.observe({ server: this.#base.route.name }, seconds);
  }

  #settle(status: number, upstreamStatus?: number): void {
    if (this.#completed) return;
    this.#completed = true;
    const latencyMs = round(this.#now() - this.#base.startedAt);
    for (const p of this.#pending) {
      p.record.latencyMs = latencyMs;
      p.record.status = status;
      if (p.forwarded && upstreamStatus !== undefined) p.record.upstreamStatus = upstreamStatus;
      this.#d.audit.record(fitted(p.record));
    }
  }

  /** Starts the record of one decided message (finished by complete). */
  #note(m: JsonRpcMessage, decision: CallDecision, code: string, reason: string, scopes: string[], forwarded: boolean, approvalId?: string): CallRecord {
    const { who, route, sessionId } = this.#base;
    const server = route.server;
    const tool = m.method === 'tools/call' ? messageName(m) : undefined;
    this.#d.metrics?.decisions.inc({ server: route.name, tool: tool === undefined ? '' : declaredTools(server).has(tool) ? tool : '(undeclared)', decision, code });
    // Built field by field (no spreads): this runs for every message the gateway decides.
    const record: CallRecord = {
      // When the call came, not when its batch reached the store.
      time: new Date().toISOString(),
      agent: agentOf(who) ?? 'anonymous',
      server: route.name,
      method: m.method ?? '(response)',
      scopes,
      decision,
      reason: `${code}: ${reason}`,
      latencyMs: 0,
      status: 0,
      dataClassification: server.spec.dataClassification,
    };
    const user = userOf(who);
    if (user !== undefined) record.user = user;
    if (tool !== undefined) record.tool = tool;
    if (sessionId !== undefined) record.sessionId = sessionId;
    if (m.id !== undefined && m.id !== null) record.requestId = String(m.id);
    if (approvalId !== undefined) record.approvalId = approvalId;
    const keeps = server.spec.access?.auditPayloads;
    if (tool !== undefined && keeps !== undefined && keeps !== 'none') {
      const payload = keptPayloads(server, { arguments: (m.params as { arguments?: unknown } | undefined)?.arguments });
      if (payload.arguments !== undefined) record.arguments = payload.arguments;
    }
    this.#pending.push({ record, forwarded });
    return record;
  }

  /**
   * A tool call that needs a human approval: consume a grant for exactly this
   * call if there is one, else file (or find) the pending request and say how to approve it.
   */
  async #approval(m: JsonRpcMessage, tool: string, decision: Decision): Promise<
    | { forward: true; approval: Approval }
    | { forward: false; code: number; reasonCode: string; message: string; data?: unknown; approval?: Approval }
  > {
    const { who, route, sessionId } = this.#base;
    const agent = agentOf(who);
    if (agent === undefined) return { forward: false, code: GatewayErrorCode.Rejected, reasonCode: 'approval-unavailable', message: `${decision.reason}; anonymous callers cannot be approved` };
    const call = { agent, server: route.name, tool, argumentsHash: argumentsHash((m.params as { arguments?: unknown } | undefined)?.arguments) };
    const user = userOf(who);
    let approval: Approval;
    try {
      approval = await this.#d.approvals.requestApproval({ ...call, ...(user !== undefined ? { user } : {}), ...(sessionId !== undefined ? { sessionId } : {}) });
      if (approval.status === 'approved') {
        try {
          return { forward: true, approval: await this.#d.approvals.consumeApproval(approval.id, call) };
        } catch (err) {
          // Another gateway used this grant first, or it ran out meanwhile: file a new request.
          if (!(err instanceof ApprovalConflictError || err instanceof ApprovalGoneError)) throw err;
          approval = await this.#d.approvals.requestApproval({ ...call, ...(user !== undefined ? { user } : {}), ...(sessionId !== undefined ? { sessionId } : {}) });
        }
      }
    } catch (err) {
      this.#d.logger.warn({ err, server: route.name, tool }, 'filing an approval request failed');
      return { forward: false, code: GatewayErrorCode.ServerUnavailable, reasonCode: 'approvals-unavailable', message: `tool \`${tool}\` needs a human approval, and the gateway cannot reach the registry to file it (${describeError(err)}); retry shortly` };
    }
    return {
      forward: false,
      code: GatewayErrorCode.ApprovalRequired,
      reasonCode: decision.code,
      approval,
      message: `${decision.reason}. Approval ${approval.id} is ${approval.status}: an approver runs \`berth approvals approve ${approval.id}\`, then send exactly the same call again (it may be used once)`,
      data: { approvalId: approval.id, status: approval.status },
    };
  }
}

/** A JSON-RPC error response. */
function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcMessage {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/**
 * `record`, cut to what the registry stores ({@link CALL_RECORD_TEXT_LIMITS}): tool,
 * method, ids and reason carry what callers send, and one record the registry
 * refuses would hold back every record batched with it — and, once the audit fails
 * closed, every call. Longer text is cut (ending in `…`); an empty optional field is
 * left out, an empty required one written `(empty)`.
 */
function fitted(record: CallRecord): CallRecord {
  const fields = record as unknown as Record<string, string | undefined>;
  for (const [field, max] of TEXT_LIMITS) {
    const value = fields[field];
    if (value === undefined || (value !== '' && value.length <= max)) continue;
    if (value === '') {
      if (field === 'agent' || field === 'server' || field === 'method') fields[field] = '(empty)';
      else if (field !== 'reason') delete fields[field];
    } else fields[field] = `${value.slice(0, max - 1)}…`;
  }
  return record;
}

/** {@link CALL_RECORD_TEXT_LIMITS} as a list, walked once per record. */
const TEXT_LIMITS: ReadonlyArray<readonly [string, number]> = Object.entries(CALL_RECORD_TEXT_LIMITS);

/** Strings longer than this are cut in the payloads a call record keeps. */
const PAYLOAD_STRING_CHARS = 1_024;
/**
 * A kept payload whose JSON is still more bytes than this is replaced by a note of
 * its size. With every other field at its limit ({@link CALL_RECORD_TEXT_LIMITS}),
 * a record is then at most about 20 KiB, and a batch of the governance's 250 records
 * stays far under the 8 MiB the registry takes in one append.
 */
const PAYLOAD_JSON_BYTES = 4_096;

/**
 * What a call record keeps of a call's arguments or result ({@link payloadsToRecord}:
 * as the manifest says, redacted), bounded: a payload is as big as the caller or
 * the server makes it, and one batch the registry refuses for its size would hold
 * back every record in it, then every call once the audit fails closed.
 */
function keptPayloads(server: MCPServer, call: RecordedPayloads): RecordedPayloads {
  const kept = payloadsToRecord(server, call, { maxStringLength: PAYLOAD_STRING_CHARS });
  for (const key of ['arguments', 'result'] as const) {
    if (kept[key] === undefined) continue;
    const size = Buffer.byteLength(JSON.stringify(kept[key]));
    if (size > PAYLOAD_JSON_BYTES) kept[key] = `[not kept: ${size} bytes of JSON, more than the ${PAYLOAD_JSON_BYTES} a call record keeps]`;
  }
  return kept;
}

/** The tools each server object declares, by name. */
const declaredByServer = new WeakMap<MCPServer, ReadonlySet<string>>();

/** The names of the tools `server` declares (computed once per server object). */
function declaredTools(server: MCPServer): ReadonlySet<string> {
  let names = declaredByServer.get(server);
  if (names === undefined) declaredByServer.set(server, (names = new Set((server.spec.tools ?? []).map((t) => t.name))));
  return names;
}

/** Decisions of one caller, remembered like {@link accessCache}; bounded per caller. */
const decisionCache = new WeakMap<Grants, Map<string, Decision>>();
const MAX_DECISIONS_PER_CALLER = 4_096;

/** {@link decideMethod}, remembered per grants object, server version, method and name (decisions are pure). */
function decided(grants: Grants, server: MCPServer, method: string, name: string | undefined, anonymous: boolean): Decision {
  let byCall = decisionCache.get(grants);
  if (byCall === undefined) decisionCache.set(grants, (byCall = new Map()));
  const key = `${server.metadata.name}\u0000${server.metadata.resourceVersion ?? ''}\u0000${anonymous ? 'a' : ''}\u0000${method}\u0000${name ?? ''}`;
  let decision = byCall.get(key);
  if (decision === undefined) {
    decision = decideMethod(grants, server, method, name, { anonymous });
    // Names come from callers: a caller sending endless made-up tool names only churns its own cache.
    if (byCall.size >= MAX_DECISIONS_PER_CALLER) byCall.clear();
    byCall.set(key, decision);
  }
  return decision;
}

/** {@link mayUseServer}, remembered per grants object and server version. */
function serverAccess(grants: Grants, server: MCPServer, anonymous: boolean): ServerAccess {
  let byServer = accessCache.get(grants);
  if (byServer === undefined) accessCache.set(grants, (byServer = new Map()));
  const key = `${server.metadata.name}\u0000${server.metadata.resourceVersion ?? ''}\u0000${anonymous ? 'a' : ''}`;
  let access = byServer.get(key);
  if (access === undefined) byServer.set(key, (access = mayUseServer(grants, server, { anonymous })));
  return access;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
