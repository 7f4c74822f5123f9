/**
 * RegistryClient over a Store in the same process (used inside `berth up`), so the
 * reconciler and gateway see exactly what they would see through the HTTP API.
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { RegistryClient } from './client.ts';
import type { AuditEntry, AuditQuery, ListOptions, ListResult, Store, WatchEvent } from './store.ts';

/** Options of {@link InProcessRegistryClient}. */
export interface InProcessRegistryClientOptions {
  /** Longest single wait for a change before re-checking; default 30 s. */
  waitTimeoutMs?: number;
  /** Events read per store call while catching up; default 500. */
  batchSize?: number;
}

/**
 * A {@link RegistryClient} that calls a {@link Store} directly.
 * @example
 * const client = new InProcessRegistryClient(store);
 * for await (const ev of client.watch('MCPServer', list.resourceVersion, signal)) queue.add(ev.object.metadata.name);
 */
export class InProcessRegistryClient implements RegistryClient {
  readonly #store: Store;
  readonly #waitTimeoutMs: number;
  readonly #batchSize: number;

  constructor(store: Store, opts: InProcessRegistryClientOptions = {}) {
    this.#store = store;
    this.#waitTimeoutMs = opts.waitTimeoutMs ?? 30_000;
    this.#batchSize = opts.batchSize ?? 500;
  }

  get(kind: Kind, name: string): Promise<Resource | undefined> {
    return this.#store.get(kind, name);
  }

  list(kind: Kind, opts?: ListOptions): Promise<ListResult> {
    return this.#store.list(kind, opts);
  }

  /**
   * Yields events of `kind` after `fromVersion` in order until `signal` aborts;
   * throws GoneError (from the store) when `fromVersion` is older than history.
   */
  async *watch(kind: Kind, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchEvent> {
    let since = fromVersion;
    while (!signal.aborted) {
      // Read all kinds and filter here: the cursor must move past other kinds' events,
      // or waitForChange would keep returning at once for them.
      const batch = await this.#store.changesSince(since, { limit: this.#batchSize });
      for (const event of batch) {
        if (signal.aborted) return;
        since = event.resourceVersion;
        if (event.object.kind === kind) yield event;
      }
      if (batch.length < this.#batchSize) await this.#store.waitForChange(since, this.#waitTimeoutMs, signal);
    }
  }

  update(obj: Resource, expectedResourceVersion?: string): Promise<Resource> {
    return this.#store.update(obj, expectedResourceVersion === undefined ? {} : { expectedResourceVersion });
  }

  updateStatus(kind: Kind, name: string, status: unknown, expectedResourceVersion?: string): Promise<Resource> {
    return this.#store.updateStatus(kind, name, status, expectedResourceVersion === undefined ? {} : { expectedResourceVersion });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#store.appendAudit(entry);
  }

  queryAudit(q?: AuditQuery): Promise<AuditEntry[]> {
    return this.#store.queryAudit(q);
  }

  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#store.acquireLease(name, holder, ttlMs);
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.#store.releaseLease(name, holder);
  }
}
