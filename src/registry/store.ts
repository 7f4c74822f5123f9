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
 *
 * @example
 * const created = await store.create(manifest);
 * const next = structuredClone(created); next.spec.replicas = 2;
 * await store.update(next, { expectedResourceVersion: created.metadata.resourceVersion });
 */
import type { Kind, Resource } from '../manifest/resource.ts';

/** A change event, in global resource-version order. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED: as it was when removed). */
  object: Resource;
  /** Equals object.metadata.resourceVersion, as a number for ordering. */
  resourceVersion: number;
}

/** Filters for {@link Store.list}. All given filters must match. */
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
export interface ListResult {
  items: Resource[];
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

/** Filters for {@link Store.queryAudit}. */
export interface AuditQuery {
  since?: string;
  actor?: string;
  kind?: string;
  name?: string;
  action?: string;
  /** Newest first; default 100, max 1000. */
  limit?: number;
}

/** An API token record; the secret itself is never stored, only its hash. */
export interface TokenRecord {
  /** Public id, shown in listings and audit (`tok_…`). */
  id: string;
  /** SHA-256 hex of the secret. */
  hash: string;
  role: 'admin' | 'publisher' | 'reader' | 'approver' | 'agent';
  team?: string;
  description?: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** A lease held for leader election. */
export interface Lease {
  name: string;
  holder: string;
  /** Epoch milliseconds after which another holder may take it. */
  expiresAt: number;
}

/** Thrown when an expected resourceVersion no longer matches. HTTP 409. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code = 'conflict';
}
/** Thrown when the object does not exist. HTTP 404. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
}
/** Thrown when creating an object whose kind and name already exist. HTTP 409. */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
  readonly code = 'already_exists';
}
/** Thrown by watch / changesSince when the version is older than retained history. HTTP 410. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
  readonly code = 'gone';
}

/**
 * Thrown when a request's arguments are malformed (bad label selector, bad continue
 * token, out-of-range limit). HTTP 400. Added for list arguments the store parses.
 */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  readonly code = 'invalid';
}

/** Port to the registry database. See the module comment for the rules. */
export interface Store {
  /** Creates the object (generation 1, new uid). Throws AlreadyExistsError. */
  create(obj: Resource, opts?: { dryRun?: boolean }): Promise<Resource>;
  /** The object, or undefined when absent. */
  get(kind: Kind, name: string): Promise<Resource | undefined>;
  /** Filtered, paginated, ordered by name. */
  list(kind: Kind, opts?: ListOptions): Promise<ListResult>;
  /**
   * Replaces metadata.labels/annotations/finalizers and spec. When
   * `expectedResourceVersion` is given it must equal the stored one (else ConflictError).
   * A write that changes nothing returns the stored object and records no event.
   */
  update(obj: Resource, opts?: { expectedResourceVersion?: string; dryRun?: boolean }): Promise<Resource>;
  /** Replaces status only. Never bumps generation. */
  updateStatus(kind: Kind, name: string, status: unknown, opts?: { expectedResourceVersion?: string }): Promise<Resource>;
  /**
   * Deletes. While finalizers remain, sets deletionTimestamp (once) and returns
   * `{ removed: false }`; an update that removes the last finalizer of an object
   * marked for deletion removes it (recording DELETED).
   */
  delete(kind: Kind, name: string, opts?: { expectedResourceVersion?: string }): Promise<{ removed: boolean; object: Resource }>;
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
  /** Newest first. */
  queryAudit(q?: AuditQuery): Promise<AuditEntry[]>;
  /** Takes the lease when free, expired or already ours; true when we hold it afterwards. */
  acquireLease(name: string, holder: string, ttlMs: number, now?: number): Promise<boolean>;
  /** Gives the lease up if we hold it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The current lease, if any (expired ones included). */
  getLease(name: string): Promise<Lease | undefined>;
  putToken(t: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Sets revokedAt; false when no such token. */
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Drops change events older than the newest `keep` (watch history retention). */
  compact(keep: number): Promise<void>;
  /** Integrity check of the underlying database; resolves to problems found (empty = healthy). */
  checkIntegrity(): Promise<string[]>;
  close(): Promise<void>;
}
