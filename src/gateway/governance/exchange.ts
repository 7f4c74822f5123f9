/**
 * One admitted request on the governed path (see governor.ts): its caller and
 * grants, the decision of each of its messages (policy, approvals), the filtering
 * of its answers, and one audit record per decided message,
 * completed with the status the client got.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApprovalConflictError, ApprovalGoneError } from '../../client/errors.ts';
import { CALL_RECORD_TEXT_LIMITS, type Approval, type CallDecision, type CallRecord } from '../../client/wire.ts';
import { describeError } from '../../kit/errors.ts';
import { argumentsHash, visibleTools, type Decision, type Grants, type ServerAccess } from '../../manifest/policy.ts';
import { agentOf, userOf, type CallerIdentity } from '../auth/identity.ts';
import { GatewayErrorCode, isJsonRpcRequest, type JsonRpcId, type JsonRpcMessage } from '../json-rpc.ts';
import type { Route } from '../route.ts';
import { fitted, keptPayloads, roundMs } from './call-record-fit.ts';
import { decided, declaredTools } from './decision-cache.ts';
import type { GovernorDeps, MessagesVerdict } from './governor.ts';
import { messageName, mirrorMismatch } from './mirror-headers.ts';

/** What every exchange knows from admission. */
export interface ExchangeBase {
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
    const latencyMs = roundMs(this.#now() - this.#base.startedAt);
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
    const { who, route } = this.#base;
    // A sealed session id outgrows what an approval keeps (as a call record: 256) only behind an upstream with very long ids of its own.
    const held = this.#base.sessionId;
    const max = CALL_RECORD_TEXT_LIMITS.sessionId;
    const sessionId = held === undefined || held.length <= max ? held : `${held.slice(0, max - 1)}…`;
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
