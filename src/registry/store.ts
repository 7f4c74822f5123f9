/**
 * The Store port: the only way Berth reaches its database. Adapters: SQLite
 * (`sqlite-store.ts`, the embedded default) and MongoDB / DocumentDB
 * (`mongo-store.ts`). Every adapter passes the one contract suite in
 * `store-contract.ts`; behaviour not pinned there is not part of the contract.
 *
 * Rules every adapter keeps:
 * - Each successful write (create, update, status write, delete, finalizer
 *   removal) takes the next value of ONE global counter; the object's
 *   `metadata.resourceVersion` is that value as a decimal string, and one change
 *   event with the same version is recorded in the same atomic step.
 * - `update` bumps `metadata.generation` only when `spec` changed (deep equality);
 *   labels / annotations / finalizers changes don't. `updateStatus` never touches
 *   spec, metadata.generation or labels.
 * - Server-owned metadata (uid, generation, resourceVersion, creationTimestamp,
 *   deletionTimestamp) sent by a caller is ignored; the store owns it.
 * - A stale `expectedResourceVersion` throws {@link ConflictError}; a missing object
 *   {@link NotFoundError}; a duplicate create {@link AlreadyExistsError}.
 * - Nothing is ever partially written: a failed call leaves the store unchanged.
 * - A write given an `audit` builder ({@link AuditOf}) records that audit entry
 *   with the write, atomically: when the write is acknowledged its record exists.
 *   A write that changes nothing (or fails) records none. SQLite does this in one
 *   transaction; the MongoDB adapter writes the record first, pending, and
 *   settles it after (see `mongo/audited.ts` for why and what a reader sees).
 * - Database-level failures (disk full, read-only, I/O errors, no writable
 *   primary) throw {@link StoreUnavailableError} (`store-unavailable.ts`).
 *
 * @example
 * const created = await store.create(manifest);
 * const next = structuredClone(created); next.spec.replicas = 2;
 * await store.update(next, { expectedResourceVersion: created.metadata.resourceVersion });
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { AuditEntry, AuditQuery, ListOptions, ListResult, TokenInfo, WatchEvent } from '../client/wire.ts';
import type { Approval, ApprovalCall, ApprovalQuery, CallRecord, CallRecordQuery } from '../client/wire.ts';
import type { StageApproval } from '../manifest/types.ts';
export { MAX_STAGE_APPROVALS } from './store-semantics.ts';


/**
 * An API token record: what a listing shows (an agent key's `agent` and `groups`
 * included), plus the SHA-256 of the secret (the secret itself is never stored).
 */
export interface TokenRecord extends TokenInfo {
  /** SHA-256 hex of the secret. */
  hash: string;
}

/** A lease held for leader election. */
export interface Lease {
  name: string;
  holder: string;
  /** Epoch milliseconds after which another holder may take it. */
  expiresAt: number;
}

/** An approver's verdict on a pending approval. */
export interface ApprovalDecision {
  status: 'approved' | 'denied';
  /** Token id of the approver. */
  decidedBy: string;
  /** RFC 3339. */
  decidedAt: string;
  reason?: string;
  /** When the grant stops being usable (RFC 3339); approvals only. */
  expiresAt?: string;
}

/**
 * Builds the audit record of one write from what it did, inside the write (see
 * the module rules). `before` is the stored object (absent for a create), `after`
 * the object now stored (absent when the write removed it).
 * @example { audit: ({ after }) => ({ actor: 'tok_1', action: 'create', kind: after!.kind, name: after!.metadata.name }) }
 */
export type AuditOf = (change: { before: Resource | undefined; after: Resource | undefined }) => AuditEntry;

/** Options every object write takes: an audit record to commit with it. */
export interface AuditedWrite {
  /** Called only when the write changes something; its entry commits with the write. */
  audit?: AuditOf;
}

/** Options of the approval writes: an audit record built from the approval as written, committed with it (only when a write happens). */
export interface AuditedApprovalWrite {
  audit?: (approval: Approval) => AuditEntry;
}

/** Port to the registry database. See the module comment for the rules. */
export interface Store {
  /** Creates the object (generation 1, new uid). Throws AlreadyExistsError. */
  create(obj: Resource, opts?: { dryRun?: boolean } & AuditedWrite): Promise<Resource>;
  /** The object, or undefined when absent. */
  get(kind: Kind, name: string): Promise<Resource | undefined>;
  /** Filtered, paginated, ordered by name. */
  list(kind: Kind, opts?: ListOptions): Promise<ListResult>;
  /**
   * Replaces metadata.labels/annotations/finalizers and spec. When
   * `expectedResourceVersion` is given it must equal the stored one (else ConflictError).
   * A write that changes nothing returns the stored object and records no event.
   */
  update(obj: Resource, opts?: { expectedResourceVersion?: string; dryRun?: boolean } & AuditedWrite): Promise<Resource>;
  /** Replaces status only. Never bumps generation. */
  updateStatus(kind: Kind, name: string, status: unknown, opts?: { expectedResourceVersion?: string } & AuditedWrite): Promise<Resource>;
  /**
   * Appends one stage approval (or rejection) to `metadata.approvals`, keeping the
   * newest {@link MAX_STAGE_APPROVALS}. Like every write it takes the next version
   * and records a MODIFIED event, so watchers see it; it never touches spec,
   * generation, labels or status. `metadata.approvals` is server-owned: create and
   * update never take it from the caller, and update keeps it.
   * @throws NotFoundError; ConflictError on a stale `expectedResourceVersion`
   */
  recordStageApproval(kind: Kind, name: string, approval: StageApproval, opts?: { expectedResourceVersion?: string } & AuditedWrite): Promise<Resource>;
  /**
   * Deletes. While finalizers remain, sets deletionTimestamp (once) and returns
   * `{ removed: false }`; an update that removes the last finalizer of an object
   * marked for deletion removes it (recording DELETED).
   */
  delete(kind: Kind, name: string, opts?: { expectedResourceVersion?: string } & AuditedWrite): Promise<{ removed: boolean; object: Resource }>;
  /**
   * Change events with resourceVersion > `since`, oldest first, at most `limit`.
   * Throws GoneError when `since` is older than retained history.
   */
  changesSince(since: number, opts?: { kind?: Kind; limit?: number }): Promise<WatchEvent[]>;
  /** The current global resource version (0 for an empty store). */
  currentVersion(): Promise<number>;
  /**
   * Resolves when a change newer than `since` may exist, or after `timeoutMs`,
   * or when `signal` aborts. Adapters wake in-process waiters at once and poll otherwise.
   */
  waitForChange(since: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Appends one audit record; returns it with id and time. */
  appendAudit(entry: AuditEntry): Promise<AuditEntry>;
  /**
   * Newest first (by id), every given filter matching: `since` inclusive, `until`
   * exclusive; `continue` (see `encodeAuditCursor`) starts below that id. Limit:
   * default 100, max 1000. @throws InvalidRequestError for a `continue` it did not issue
   */
  queryAudit(q?: AuditQuery): Promise<AuditEntry[]>;
  /** Takes the lease when free, expired or already ours; true when we hold it afterwards. */
  acquireLease(name: string, holder: string, ttlMs: number, now?: number): Promise<boolean>;
  /** Gives the lease up if we hold it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The current lease, if any (expired ones included). */
  getLease(name: string): Promise<Lease | undefined>;
  /** Stores a token record; `opts.audit`, when given, commits with it. */
  putToken(t: TokenRecord, opts?: { audit?: AuditEntry }): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** The token with this public id (revoked and expired ones too), or undefined. */
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Sets revokedAt; false when no such token (then nothing, not even `opts.audit`, is written). */
  revokeToken(id: string, at: string, opts?: { audit?: AuditEntry }): Promise<boolean>;
  /**
   * Removes these token records (ids not stored are ignored) and returns how many were
   * removed; `opts.audit`, when given, commits with them. For records nothing can use
   * any more (ended dashboard sessions): a revoked API token stays, so its audit makes sense.
   */
  deleteTokens(ids: readonly string[], opts?: { audit?: AuditEntry }): Promise<number>;
  /**
   * Stores `approval` (a new pending one, see `approval-rules.ts`) unless one is
   * open for the same call (agent, server, tool, argumentsHash: pending, or
   * approved and unexpired at `now`): then returns that one with `created: false`.
   * Approvals are not objects: they take no resource version and record no change event.
   */
  requestApproval(approval: Approval, now?: number, opts?: AuditedApprovalWrite): Promise<{ approval: Approval; created: boolean }>;
  /** The approval as seen at `now` (a grant past its TTL reads `expired`), or undefined. */
  getApproval(id: string, now?: number): Promise<Approval | undefined>;
  /** Newest request first; `status` filters on the status as seen at `now`. Limit: default 100, max 1000. */
  listApprovals(q?: ApprovalQuery, now?: number): Promise<Approval[]>;
  /**
   * Approves or denies, only from `pending` (compare-and-set).
   * @throws NotFoundError; ApprovalConflictError (409) when it is no longer pending
   */
  decideApproval(id: string, decision: ApprovalDecision, now?: number, opts?: AuditedApprovalWrite): Promise<Approval>;
  /**
   * Uses a grant once: compare-and-set from `approved` to `consumed` only while
   * unexpired at `now` and for exactly `call`, so of two concurrent consumers one wins.
   * @throws NotFoundError; ApprovalConflictError (409: pending, denied, another call);
   *   ApprovalGoneError (410: already used, expired)
   */
  consumeApproval(id: string, call: ApprovalCall, now?: number, opts?: AuditedApprovalWrite): Promise<Approval>;
  /**
   * Appends a batch of call records atomically (all or none; malformed records
   * throw InvalidRequestError first), assigning ids (increasing) and missing times.
   */
  appendCallRecords(records: CallRecord[]): Promise<CallRecord[]>;
  /**
   * Newest first (by time, then id), every given filter matching: `since`
   * inclusive, `until` exclusive; `continue` (see `encodeCallRecordCursor`)
   * starts after that record in this order. Limit: default 100, max 1000.
   * @throws InvalidRequestError for a `continue` it did not issue
   */
  queryCallRecords(q?: CallRecordQuery): Promise<CallRecord[]>;
  /** Drops change events older than the newest `keep` (watch history retention). */
  compact(keep: number): Promise<void>;
  /**
   * Writes one tiny record outside the resource history (no version, no event) to
   * learn whether the database takes writes now; readiness uses it to notice a
   * full or read-only database has recovered.
   * @throws StoreUnavailableError when it still does not
   */
  probeWrite(): Promise<void>;
  /** Integrity check of the underlying database; resolves to problems found (empty = healthy). */
  checkIntegrity(): Promise<string[]>;
  close(): Promise<void>;
}
