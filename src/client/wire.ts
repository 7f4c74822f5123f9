/**
 * The registry's wire types: what its HTTP API sends and receives, and so what
 * every {@link RegistryClient} returns. The store speaks them too (the registry
 * imports them from here), so a list page or a change event has one shape from
 * the database to the last consumer.
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { AnyResource } from '../manifest/types.ts';

/** The object type of a kind: `ResourceOf<'MCPServer'>` is `MCPServer`. */
export type ResourceOf<K extends Kind> = Extract<AnyResource, { kind: K }>;

/** A change event, in global resource-version order. */
export interface WatchEvent<T extends Resource = Resource> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED: as it was when removed). */
  object: T;
  /** Equals object.metadata.resourceVersion, as a number for ordering. */
  resourceVersion: number;
}

/**
 * Progress without a change: every change of the watched kind up to
 * `resourceVersion` has been delivered, so a watcher may resume from there.
 */
export interface WatchBookmark {
  type: 'BOOKMARK';
  resourceVersion: number;
}

/** What a watch yields: changes, and now and then a bookmark. */
export type WatchItem<T extends Resource = Resource> = WatchEvent<T> | WatchBookmark;

/** Filters for a list. All given filters must match. */
export interface ListOptions {
  /** `key=value,key2!=v,key3` (equality, inequality, existence), Kubernetes style. */
  labelSelector?: string;
  /** `spec.owner.team` equals this. */
  ownerTeam?: string;
  /** `spec.lifecycle` equals this. */
  lifecycle?: string;
  /** Page size; default and maximum 500. */
  limit?: number;
  /** Token from the previous page's `continue`. */
  continue?: string;
}

/** One page of a list, consistent as of `resourceVersion`. */
export interface ListResult<T extends Resource = Resource> {
  items: T[];
  /** The global resource version the list reflects; watch from here. */
  resourceVersion: number;
  /** Present when more items follow; pass to the next call. */
  continue?: string;
}

/** One append-only audit record: who changed what. */
export interface AuditEntry {
  /** Assigned by the store, increasing. */
  id?: number;
  /** RFC 3339. Assigned by the store when absent. */
  time?: string;
  /** Token name / agent id / "system:reconciler". Never a secret. */
  actor: string;
  /** e.g. create, update, delete, status, prune, token.create, drift. */
  action: string;
  kind?: Kind | string;
  name?: string;
  generationBefore?: number;
  generationAfter?: number;
  specHash?: string;
  /** Free-form, JSON-serialisable detail (no secrets). */
  details?: Record<string, unknown>;
}

/** Filters for an audit query. */
export interface AuditQuery {
  since?: string;
  actor?: string;
  kind?: string;
  name?: string;
  action?: string;
  /** RFC 3339: records before (exclusive); with `since`, the window [since, until). */
  until?: string;
  /** Newest first; default 100, max 1000. */
  limit?: number;
  /** The `continue` of the previous page: the entries after it (older). Opaque. */
  continue?: string;
}

/** An approver's decision on a lifecycle stage (`POST …/mcpservers/<name>/approvals`). */
export interface StageDecisionRequest {
  stage: 'approved-dev' | 'approved-production';
  /** default "approved" */
  decision: 'approved' | 'rejected';
  /** Why; required for a rejection. At most 1000 characters. */
  note?: string;
  /** The review hash (or its first 8+ hex digits) the approver looked at; a spec that moved on since is refused (409). */
  specHash?: string;
}

/** Who a token is, as the registry sees it (`GET …/whoami`). */
export interface WhoAmI {
  tokenId: string;
  role: Role;
  team?: string;
}

/** Roles a token can carry; see `src/registry/auth/authorize.ts` for what each may do. */
export const ROLES = ['admin', 'controller', 'publisher', 'reader', 'approver', 'agent', 'gateway'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** An API token as listed: never its secret, never its hash. */
export interface TokenInfo {
  /** Public id, shown in listings and audit (`tok_…`). */
  id: string;
  role: Role;
  team?: string;
  /** The agent an agent key stands for (a DNS label, the `subjects[].agent` of AccessPolicies); only role `agent` has one. */
  agent?: string;
  /** Groups the agent belongs to, for AccessPolicies that name `subjects[].group`; only role `agent` has them. */
  groups?: string[];
  description?: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  /**
   * A dashboard session (`true`): a short-lived token a browser holds as its
   * `berth_session` cookie, minted by `POST /ui/session` or the OIDC sign-in.
   */
  session?: boolean;
  /** The token a session was exchanged for: the session stops working when that one is revoked or expires. */
  parentTokenId?: string;
}

/**
 * A gateway's question about an agent key an agent presented (the Kubernetes
 * TokenReview pattern). Only the SHA-256 of the secret travels: the gateway
 * hashes it locally (`hashSecret` in tokens.ts), so the secret never leaves it.
 */
export interface TokenReviewRequest {
  /** The presented token's public id (`tok_…`). */
  tokenId: string;
  /** SHA-256 hex of the presented token's secret. */
  hash: string;
}

/**
 * The registry's answer to a {@link TokenReviewRequest}: a known, unexpired,
 * unrevoked agent key names its agent and groups; anything else is refused with
 * the reason (unknown, revoked, expired, not an agent key).
 */
export type TokenReview =
  | { authenticated: true; tokenId: string; agent: string; groups: string[]; expiresAt?: string }
  | { authenticated: false; code: TokenReviewRefusal; reason: string };

/** Why a token review refused: unknown (or a wrong secret), revoked, expired, or not an agent's key. */
export type TokenReviewRefusal = 'unknown' | 'revoked' | 'expired' | 'not-an-agent-key';

/** What one server-side apply did. */
export interface ApplyResponse<T extends Resource = Resource> {
  result: 'created' | 'configured' | 'unchanged';
  object: T;
}

/** What a delete did: removed at once, or marked deleting while finalizers remain. */
export interface DeleteResult<T extends Resource = Resource> {
  removed: boolean;
  object: T;
}

/** The states of an {@link Approval}; `expired` is a grant whose TTL has run out (computed when read). */
export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'consumed', 'expired'] as const;
/** One of {@link APPROVAL_STATUSES}. */
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** Which call an approval is for: all four must match for the grant to be used. */
export interface ApprovalCall {
  /** Agent identity that made the call. */
  agent: string;
  /** MCPServer name. */
  server: string;
  tool: string;
  /** SHA-256 hex of the canonical JSON of the call's arguments (`argumentsHash` in src/manifest/policy-payload.ts). */
  argumentsHash: string;
}

/** What a gateway sends to file an approval request. */
export interface ApprovalRequest extends ApprovalCall {
  /** The human behind the agent, when the credential names one. */
  user?: string;
  /** The MCP session the call came in on. */
  sessionId?: string;
}

/**
 * A human decision about exactly one tool call: filed `pending` by a gateway,
 * `approved` or `denied` by an approver, `consumed` once by the gateway that lets
 * the call through, or `expired` when a grant was not used within its TTL.
 */
export interface Approval extends ApprovalRequest {
  /** `apr_` followed by 24 hex characters. */
  id: string;
  /** RFC 3339. */
  requestedAt: string;
  status: ApprovalStatus;
  /** Token id of the approver. */
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  /** When a grant stops being usable (RFC 3339). */
  expiresAt?: string;
  consumedAt?: string;
}

/** Filters for listing approvals; newest first. */
export interface ApprovalQuery {
  status?: ApprovalStatus;
  agent?: string;
  server?: string;
  /** Default 100, max 1000. */
  limit?: number;
}

/** How the gateway decided one MCP request. */
export const CALL_DECISIONS = ['allow', 'deny', 'approval-required', 'rate-limited', 'error'] as const;
/** One of {@link CALL_DECISIONS}. */
export type CallDecision = (typeof CALL_DECISIONS)[number];

/**
 * The most characters each text field of a {@link CallRecord} may hold (and none
 * may be empty): the registry refuses a batch with a longer one, so the gateway
 * cuts what callers send to fit.
 */
export const CALL_RECORD_TEXT_LIMITS = {
  agent: 253,
  user: 253,
  server: 253,
  tool: 128,
  method: 128,
  reason: 2048,
  sessionId: 256,
  requestId: 256,
  approvalId: 64,
  dataClassification: 64,
} as const;

/** The durable audit record of one MCP request the gateway decided. */
export interface CallRecord {
  /** Assigned by the store, increasing. */
  id?: number;
  /** RFC 3339; assigned by the store when absent. */
  time?: string;
  agent: string;
  user?: string;
  /** MCPServer name. */
  server: string;
  /** For `tools/call`. */
  tool?: string;
  /** JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** Scopes the agent held for the call. */
  scopes: string[];
  decision: CallDecision;
  /** Why, in a sentence (the refusal reason, or what allowed it). */
  reason: string;
  latencyMs: number;
  /** HTTP status sent to the client. */
  status: number;
  upstreamStatus?: number;
  sessionId?: string;
  /** JSON-RPC id of the request, as text. */
  requestId?: string;
  /** The approval the call consumed. */
  approvalId?: string;
  dataClassification?: string;
  /** Recorded only where policy asks for it. */
  arguments?: unknown;
  result?: unknown;
}

/** Filters for querying call records; newest first. */
export interface CallRecordQuery {
  agent?: string;
  server?: string;
  tool?: string;
  decision?: CallDecision;
  /** The human behind the agent, as recorded (`user`). */
  user?: string;
  /** RFC 3339: records at or after. */
  since?: string;
  /** RFC 3339: records before (exclusive); with `since`, the window [since, until). */
  until?: string;
  /** Default 100, max 1000. */
  limit?: number;
  /** The `continue` of the previous page: the records after it (older, by time then id). Opaque. */
  continue?: string;
}

/**
 * One page of `GET …/callrecords` or `GET …/audit`, newest first. `continue` is
 * present when the page was full: pass it back for the next (older) page, which
 * may be empty.
 */
export interface RecordPage<T> {
  items: T[];
  continue?: string;
}

export type * from './wire-dashboard.ts';
