/**
 * An informer: a local cache of one kind, kept current by list-then-watch, after
 * client-go. The one list-then-watch in Berth: the reconciler's work queue, the
 * gateway's route table and the registry's route claims are all fed by one.
 *
 * - Lists every page, then watches from the version the list reflects.
 * - A watch that the server ends (shutdown, restart) is resumed from the last
 *   version held; an error reconnects after a capped exponential backoff with
 *   jitter (src/kit/backoff.ts); GoneError ("too old") relists at once.
 * - A relist diffs against the cache and reports the differences as events, so
 *   nothing missed while disconnected is lost (deletes included).
 * - Bookmarks move the version without a change, so {@link Informer.caughtUp}
 *   can tell when the cache reflects a given registry version.
 * - Handlers are told about changes and must only turn them into keys or
 *   in-memory updates: they run synchronously inside the informer loop.
 *
 * @example
 * const inf = new Informer({ source: client, kind: 'MCPServer', logger, onEvent: (e) => queue.add(e.object.metadata.name) });
 * inf.start(); await inf.synced();
 * inf.get('weather'); // MCPServer | undefined
 */
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../kit/backoff.ts';
import { sleep, systemClock, type Clock } from '../kit/clock.ts';
import type { Kind } from '../manifest/resource.ts';
import { GoneError } from './errors.ts';
import type { RegistryClient } from './registry-client.ts';
import type { ResourceOf } from './wire.ts';

/** Where an informer lists and watches: a registry client, or the registry's own store. */
export type ListWatchSource = Pick<RegistryClient, 'list' | 'watch'>;

/** A change the informer saw, in order. */
export interface InformerEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object now (for DELETED: as last known). */
  object: T;
  /** The cached object before this change, when there was one. */
  old?: T;
}

/** The part of a pino logger the informer writes to. */
export type InformerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Options of {@link Informer}. */
export interface InformerOptions<K extends Kind> {
  source: ListWatchSource;
  kind: K;
  logger: InformerLogger;
  clock?: Clock;
  /** Reconnect backoff; default 200 ms doubling to 30 s, 20 % jitter. */
  backoff?: Partial<BackoffOptions>;
  /** Told about each change after the cache holds it. Must not do work beyond queueing a key. */
  onEvent?: (event: InformerEvent<ResourceOf<K>>) => void;
  /** Told after every (re)list, once the cache holds it. */
  onSynced?: (resourceVersion: number) => void;
}

/** Default reconnect backoff: 0.2 s doubling to 30 s. */
export const DEFAULT_WATCH_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 30_000, jitter: 0.2 };

/** A list-watch cache of one kind. See the module comment. */
export class Informer<K extends Kind> {
  readonly #opts: InformerOptions<K>;
  readonly #clock: Clock;
  readonly #backoff: BackoffOptions;
  readonly #cache = new Map<string, ResourceOf<K>>();
  readonly #handlers: Array<(event: InformerEvent<ResourceOf<K>>) => void> = [];
  #version = 0;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #synced = false;
  #lists = 0;
  /** Waiters for the version to reach a value (synced() waits for 0 after the first list). */
  #waiters: Array<{ version: number; resolve: () => void }> = [];

  constructor(opts: InformerOptions<K>) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#backoff = { ...DEFAULT_WATCH_BACKOFF, ...opts.backoff };
    if (opts.onEvent) this.#handlers.push(opts.onEvent);
  }

  /** Adds a change handler (same rules as `onEvent`). */
  onEvent(handler: (event: InformerEvent<ResourceOf<K>>) => void): void {
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
    return this.caughtUp(0);
  }

  /**
   * Resolves once the cache reflects every change of its kind up to registry
   * version `version` (after the first list, at the earliest).
   * @example await informer.caughtUp(await store.currentVersion());
   */
  caughtUp(version: number): Promise<void> {
    if (this.#synced && this.#version >= version) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ version, resolve }));
  }

  /** True once the first full list is in the cache. */
  get hasSynced(): boolean {
    return this.#synced;
  }

  /** The registry version the cache reflects. */
  get resourceVersion(): number {
    return this.#version;
  }

  /** How many times the informer has listed (1 after start; more after GoneError). */
  get listCount(): number {
    return this.#lists;
  }

  /** The cached object called `name`. */
  get(name: string): ResourceOf<K> | undefined {
    return this.#cache.get(name);
  }

  /** Every cached object, by name. */
  list(): ResourceOf<K>[] {
    return [...this.#cache.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** Names of every cached object. */
  keys(): string[] {
    return [...this.#cache.keys()].sort();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { source, kind, logger } = this.#opts;
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
        for await (const item of source.watch(kind, this.#version, signal)) {
          if (item.type === 'BOOKMARK') this.#advance(item.resourceVersion);
          else this.#apply(item.type, item.object, item.resourceVersion);
          received += 1;
          failures = 0;
        }
        // The server ended the stream: resume from where we are (gently if it sent nothing).
        if (received === 0 && !signal.aborted) await sleep(this.#clock, this.#backoff.baseMs, signal).catch(() => undefined);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError) {
          logger.info({ kind, fromVersion: this.#version }, 'watch version too old; relisting');
          needList = true;
          continue;
        }
        failures += 1;
        const retryInMs = backoffDelay(failures, this.#backoff);
        logger.warn({ kind, err, attempt: failures, retryInMs }, 'list/watch failed; reconnecting');
        await sleep(this.#clock, retryInMs, signal).catch(() => undefined);
      }
    }
  }

  async #relist(): Promise<void> {
    const fresh = new Map<string, ResourceOf<K>>();
    let version: number | undefined;
    let cont: string | undefined;
    do {
      const page = await this.#opts.source.list(this.#opts.kind, cont !== undefined ? { continue: cont } : {});
      // Watching from the oldest page's version replays at worst; replays are skipped by version.
      version = version === undefined ? page.resourceVersion : Math.min(version, page.resourceVersion);
      for (const item of page.items) fresh.set(item.metadata.name, item);
      cont = page.continue;
    } while (cont !== undefined);
    this.#lists += 1;
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
    this.#synced = true;
    this.#opts.onSynced?.(this.#version);
    this.#wake();
  }

  #apply(type: InformerEvent<ResourceOf<K>>['type'], object: ResourceOf<K>, version: number): void {
    const name = object.metadata.name;
    const old = this.#cache.get(name);
    if (old !== undefined && Number(old.metadata.resourceVersion ?? 0) >= version) return this.#advance(version); // replay
    if (type === 'DELETED') {
      if (old !== undefined) {
        this.#cache.delete(name);
        this.#emit({ type, object, old });
      }
    } else {
      this.#cache.set(name, object);
      this.#emit(old === undefined ? { type: 'ADDED', object } : { type: 'MODIFIED', object, old });
    }
    this.#advance(version);
  }

  #advance(version: number): void {
    if (version <= this.#version) return;
    this.#version = version;
    this.#wake();
  }

  #wake(): void {
    if (!this.#synced || this.#waiters.length === 0) return;
    const due = this.#waiters.filter((w) => w.version <= this.#version);
    if (due.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.version > this.#version);
    for (const w of due) w.resolve();
  }

  #emit(event: InformerEvent<ResourceOf<K>>): void {
    for (const h of this.#handlers) {
      try {
        h(event);
      } catch (err) {
        this.#opts.logger.error({ kind: this.#opts.kind, err }, 'informer handler threw');
      }
    }
  }
}
