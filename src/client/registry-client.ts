/**
 * RegistryClient: how the reconciler, the gateway and the CLI reach the
 * registry — never the store. Typed by kind: `get('MCPServer', …)` returns an
 * `MCPServer`, so no call site casts.
 *
 * Two ways in, one behaviour: {@link HttpRegistryClient} over the network, and
 * {@link InProcessRegistryClient} over the same API handler in the same process
 * (`berth up`). Both send every call through the registry's HTTP API (auth,
 * validation, route claims, audit), so the same input gives the same result and
 * the same error (src/client/errors.ts) either way; `client-contract.ts` proves it.
 *
 * Watches deliver one stream: it ends when the server ends it (shutdown,
 * restart), and the caller resumes from the last version it saw. The
 * {@link Informer} does that, with the one reconnect and backoff policy.
 */
import type { Kind } from '../manifest/resource.ts';
import type { AnyResource, MCPServer } from '../manifest/types.ts';
import type { EffectiveStage } from '../manifest/approval.ts';
import type { ApplyResponse, AuditEntry, AuditQuery, DeleteResult, ListOptions, ListResult, ResourceOf, Role, TokenInfo, TokenReview, TokenReviewRequest, WatchItem } from './wire.ts';
import type { Approval, ApprovalCall, ApprovalQuery, ApprovalRequest, CallRecord, CallRecordQuery, StageDecisionRequest, WhoAmI } from './wire.ts';

/** What a token request asks for. */
export interface TokenRequest {
  role: Role;
  team?: string;
  /** The agent an agent key stands for; required for role `agent`, refused for the others. */
  agent?: string;
  /** Groups of an agent key (role `agent` only). */
  groups?: string[];
  /** A duration like `30d`. */
  expires?: string;
  description?: string;
}

/** Registry operations; see the module comment for the rules both implementations keep. */
export interface RegistryClient {
  /** The object, or undefined when it does not exist. */
  get<K extends Kind>(kind: K, name: string): Promise<ResourceOf<K> | undefined>;
  /** One page of objects, consistent as of the page's resourceVersion. */
  list<K extends Kind>(kind: K, opts?: ListOptions): Promise<ListResult<ResourceOf<K>>>;
  /** Every object matching `opts`, following continue tokens; the version is the first page's. */
  listAll<K extends Kind>(kind: K, opts?: Omit<ListOptions, 'continue'>): Promise<ListResult<ResourceOf<K>>>;
  /**
   * Changes of `kind` newer than `fromVersion`, in order, and bookmarks, until
   * `signal` aborts or the server ends the stream (then resume from the last
   * version seen). Throws GoneError when `fromVersion` is older than history: relist.
   */
  watch<K extends Kind>(kind: K, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchItem<ResourceOf<K>>>;
  /** Creates; AlreadyExistsError when it exists. */
  create<T extends AnyResource>(obj: T): Promise<T>;
  /** Server-side apply: created / configured / unchanged; an unchanged apply writes nothing. */
  apply<T extends AnyResource>(obj: T, opts?: { dryRun?: boolean }): Promise<ApplyResponse<T>>;
  /** Replaces labels, annotations, finalizers and spec; ConflictError when `expectedResourceVersion` is stale. */
  update<T extends AnyResource>(obj: T, expectedResourceVersion?: string): Promise<T>;
  /** Status write (its own path, admin only); never bumps generation. */
  updateStatus<K extends Kind>(kind: K, name: string, status: unknown, expectedResourceVersion?: string): Promise<ResourceOf<K>>;
  /** Deletes, or marks deleting while finalizers remain. NotFoundError when absent. */
  delete<K extends Kind>(kind: K, name: string, opts?: { reason?: 'prune'; expectedResourceVersion?: string }): Promise<DeleteResult<ResourceOf<K>>>;
  /** Appends an audit record (e.g. drift the reconciler found). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Audit entries, newest first. */
  queryAudit(q?: AuditQuery): Promise<AuditEntry[]>;
  /** Leader-election lease; true when `holder` holds it afterwards. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  /** Mints a token; the returned `token` is shown once and never again. */
  createToken(req: TokenRequest): Promise<{ token: string; record: TokenInfo }>;
  /** Every token, without secrets or hashes. */
  listTokens(): Promise<TokenInfo[]>;
  /** Revokes a token; NotFoundError when there is no such token. */
  revokeToken(id: string, opts?: { force?: boolean }): Promise<void>;
  /**
   * Asks whether a presented agent key is good (gateway or admin only; ForbiddenError
   * otherwise). A refusal is an answer (`authenticated: false` with the reason), not an error.
   * @example
   * const parsed = parseToken(bearer);
   * const review = parsed && (await client.reviewToken({ tokenId: parsed.id, hash: hashSecret(parsed.secret) }));
   */
  reviewToken(req: TokenReviewRequest): Promise<TokenReview>;
  /**
   * Records an approver's decision on a lifecycle stage of MCPServer `name`, bound
   * to its stored spec (approver, admin; ForbiddenError otherwise). Returns the
   * object with its approvals and its effective stage now.
   */
  decideStage(name: string, req: StageDecisionRequest): Promise<{ object: MCPServer; effective: EffectiveStage }>;
  /** The calling token's id, role and team. */
  whoami(): Promise<WhoAmI>;
  /**
   * Files an approval request for one tool call (gateway, admin). When the same
   * call (agent, server, tool, argumentsHash) already has an open approval —
   * pending, or approved and unexpired — returns that one instead.
   */
  requestApproval(req: ApprovalRequest): Promise<Approval>;
  /** Approvals, newest first (admin, approver, reader). */
  listApprovals(q?: ApprovalQuery): Promise<Approval[]>;
  /** One approval, or undefined when there is no such approval. */
  getApproval(id: string): Promise<Approval | undefined>;
  /** Approves or denies a pending approval (approver, admin); ApprovalConflictError (409) when it is not pending. */
  decideApproval(id: string, verdict: 'approve' | 'deny', reason?: string): Promise<Approval>;
  /**
   * Uses a grant once, for exactly `call` (gateway, admin). ApprovalConflictError
   * (409: not approved yet, denied, another call) or ApprovalGoneError (410:
   * already used, expired) say why not, in `reason`.
   */
  consumeApproval(id: string, call: ApprovalCall): Promise<Approval>;
  /**
   * Appends a batch of 1–1000 call records, all or none (gateway, admin); resolves once
   * all are stored, so it fits the gateway's audit sink as `persist`.
   */
  appendCallRecords(records: CallRecord[]): Promise<void>;
  /** Call records, newest first (admin, approver, reader). */
  queryCallRecords(q?: CallRecordQuery): Promise<CallRecord[]>;
}
