/**
 * An informer: a local cache of one kind, kept current by list-then-watch, after
 * client-go. Generic over kind so the gateway can share it.
 *
 * - Lists every page, then watches from the version the list reflects.
 * - A watch error reconnects from the last version held, after a capped
 *   exponential backoff; GoneError ("too old") relists at once.
 * - A relist diffs against the cache and reports the differences as events, so
 *   nothing missed while disconnected is lost (deletes included).
 * - Handlers are told about changes and must only turn them into keys: they run
 *   synchronously inside the informer loop.
 *
 * @example
 * const inf = new Informer<MCPServer>({ registry, kind: 'MCPServer', logger, onEvent: (e) => queue.add(e.object.metadata.name) });
 * inf.start(); await inf.synced();
 * inf.get('weather');
 */
import type { Kind, Resource } from '../manifest/resource.ts';
import type { RegistryClient } from '../registry/client.ts';
import { GoneError } from '../registry/store.ts';
import { backoffDelay, type BackoffOptions } from '../kit/backoff.ts';
import { sleep, systemClock, type Clock } from '../kit/clock.ts';
import type { ReconcilerLogger } from './logger.ts';

/** A change the informer saw, in order. */
export interface InformerEvent<T extends Resource> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object now (for DELETED: as last known). */
  object: T;
  /** The cached object before this change, when there was one. */
  old?: T;
}

/** Options of {@link Informer}. */
export interface InformerOptions<T extends Resource> {
  registry: Pick<RegistryClient, 'list' | 'watch'>;
  kind: Kind;
  logger: ReconcilerLogger;
  clock?: Clock;
  /** Reconnect backoff; default 200 ms doubling to 30 s. */
  backoff?: Partial<BackoffOptions>;
  /** Told about each change after the cache holds it. Must not do work beyond queueing a key. */
  onEvent?: (event: InformerEvent<T>) => void;
}

/** Default reconnect backoff: 0.2 s doubling to 30 s. */
export const DEFAULT_WATCH_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 30_000, jitter: 0.2 };

/** A list-watch cache of one kind. See the module comment. */
export class Informer<T extends Resource = Resource> {
  readonly #opts: InformerOptions<T>;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #cache = new Map<string, T>();
  readonly #handlers: Array<(event: InformerEvent<T>) => void> = [];
  #version = 0;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #synced = false;
  readonly #syncedWaiters: Array<() => void> = [];
  #relists = 0;

  constructor(opts: InformerOptions<T>) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#backoff = { ...DEFAULT_WATCH_BACKOFF, ...opts.backoff };
    if (opts.onEvent) this.#handlers.push(opts.onEvent);
  }

  /** Adds a change handler (same rules as `onEvent`). */
  onEvent(handler: (event: InformerEvent<T>) => void): void {
    this.#handlers.push(handler);
  }

  /** Starts listing and watching in the background (after a stop: watching from the version held). Idempotent. */
  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  /** Stops watching; resolves when the loop has ended. The cache stays readable. */
  async stop(): Promise<void> {
    this.#abort?.abort(new Error('informer stopped'));
    await this.#loop;
    this.#loop = undefined;
  }

  /** Resolves once the first full list is in the cache. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  /** True once the first full list is in the cache. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** The resource version the cache reflects. */
  get resourceVersion(): number {
    return this.#version;
  }

  /** How many times the informer has listed (1 after start; more after GoneError). */
  get listCount(): number {
    return this.#relists;
  }

  /** The cached object called `name`. */
  get(name: string): T | undefined {
    return this.#cache.get(name);
  }

  /** Every cached object, by name. */
  list(): T[] {
    return [...this.#cache.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** Names of every cached object. */
  keys(): string[] {
    return [...this.#cache.keys()].sort();
  }

  async #run(signal: AbortSignal): Promise<void> {
    // After a restart, resume from the version held; the registry says Gone when that is too old.
    let needList = !this.#synced;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist();
          needList = false;
        }
        let received = 0;
        for await (const event of this.#opts.registry.watch(this.#opts.kind, this.#version, signal)) {
          this.#apply(event.type, event.object as T, event.resourceVersion);
          received += 1;
          failures = 0;
        }
        // The server ended the stream: reconnect from where we are (gently if it sent nothing).
        if (received === 0 && !signal.aborted) await sleep(this.#clock, this.#backoff.baseMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError) {
          this.#opts.logger.info({ kind: this.#opts.kind, fromVersion: this.#version }, 'watch version too old; relisting');
          needList = true;
          continue;
        }
        failures += 1;
        const delay = backoffDelay(failures, this.#backoff);
        this.#opts.logger.warn({ kind: this.#opts.kind, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'list/watch failed; reconnecting');
        await sleep(this.#clock, delay, signal).catch(() => undefined);
      }
    }
  }

  async #relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let version: number | undefined;
    let cont: string | undefined;
    do {
      const page = await this.#opts.registry.list(this.#opts.kind, cont !== undefined ? { continue: cont } : {});
      // Watching from the oldest page's version replays at worst; replays are skipped by version.
      version = version === undefined ? page.resourceVersion : Math.min(version, page.resourceVersion);
      for (const item of page.items) fresh.set(item.metadata.name, item as T);
      cont = page.continue;
    } while (cont !== undefined);
    this.#relists += 1;
    for (const [name, old] of this.#cache) {
      if (!fresh.has(name)) {
        this.#cache.delete(name);
        this.#emit({ type: 'DELETED', object: old, old });
      }
    }
    for (const [name, obj] of fresh) {
      const old = this.#cache.get(name);
      this.#cache.set(name, obj);
      if (old === undefined) this.#emit({ type: 'ADDED', object: obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit({ type: 'MODIFIED', object: obj, old });
    }
    this.#version = version ?? 0;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncedWaiters.splice(0)) w();
    }
  }

  #apply(type: InformerEvent<T>['type'], object: T, version: number): void {
    this.#version = Math.max(this.#version, version);
    const name = object.metadata.name;
    const old = this.#cache.get(name);
    if (old !== undefined && Number(old.metadata.resourceVersion ?? 0) >= version) return; // replay of what we hold
    if (type === 'DELETED') {
      if (old === undefined) return;
      this.#cache.delete(name);
      this.#emit({ type, object, old });
      return;
    }
    this.#cache.set(name, object);
    this.#emit(old === undefined ? { type: 'ADDED', object } : { type: 'MODIFIED', object, old });
  }

  #emit(event: InformerEvent<T>): void {
    for (const h of this.#handlers) {
      try {
        h(event);
      } catch (err) {
        this.#opts.logger.error({ kind: this.#opts.kind, err: err instanceof Error ? err.message : String(err) }, 'informer handler threw');
      }
    }
  }
}
