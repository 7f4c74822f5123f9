/**
 * RegistryClient: how the reconciler, the gateway and the CLI reach the registry.
 * Two implementations: `InProcessRegistryClient` (over a Store, used inside
 * `berth up`) and `HttpRegistryClient` (over the HTTP API, used by separate
 * processes and the CLI). Both behave identically; neither caller needs database
 * credentials when it uses the HTTP one.
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { AuditEntry, AuditQuery, ListOptions, ListResult, WatchEvent } from './store.ts';

/** Registry operations the control plane's own components use. */
export interface RegistryClient {
  get(kind: Kind, name: string): Promise<Resource | undefined>;
  list(kind: Kind, opts?: ListOptions): Promise<ListResult>;
  /**
   * Events with resourceVersion > `fromVersion`, in order, until `signal` aborts.
   * Throws GoneError (from store.ts) when `fromVersion` is too old: relist.
   */
  watch(kind: Kind, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchEvent>;
  /** Spec/metadata write with optimistic concurrency (used for finalizers). */
  update(obj: Resource, expectedResourceVersion?: string): Promise<Resource>;
  /** Status write; never bumps generation. */
  updateStatus(kind: Kind, name: string, status: unknown, expectedResourceVersion?: string): Promise<Resource>;
  /** Appends an audit record (e.g. drift found by the reconciler). */
  appendAudit(entry: AuditEntry): Promise<void>;
  queryAudit(q?: AuditQuery): Promise<AuditEntry[]>;
  /** Leader election lease; true when this holder has it afterwards. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}
