/**
 * Watching the store: the one loop that turns the store's change log into a
 * stream of changes of one kind. The HTTP watch endpoint streams it to clients;
 * inside the registry, an {@link Informer} over {@link storeListWatch} (route
 * claims) consumes it directly.
 */
import type { ListWatchSource } from '../client/informer.ts';
import type { ListOptions, ListResult, ResourceOf, WatchItem } from '../client/wire.ts';
import type { Kind } from '../manifest/resource.ts';
import type { Store } from './store.ts';

/** Options of {@link watchStore}. */
export interface StoreWatchOptions {
  /** Ends the stream when aborted. */
  signal: AbortSignal;
  /** After this long without a change, a bookmark at the current version is yielded (a heartbeat). */
  idleMs: number;
  /** Events read per store call; default 200. */
  batch?: number;
}

/**
 * Changes of `kind` with resourceVersion greater than `since`, oldest first,
 * until `signal` aborts. Between changes it yields bookmarks: when it has caught
 * up to a store version newer than the last change of this kind (so a watcher
 * knows every change up to there was sent), and when idle for `idleMs`.
 * Throws GoneError when `since` is older than retained history.
 * @example for await (const item of watchStore(store, 'MCPServer', rv, { signal, idleMs: 15_000 })) send(item);
 */
export async function* watchStore(store: Store, kind: Kind, since: number, opts: StoreWatchOptions): AsyncGenerator<WatchItem> {
  const batch = opts.batch ?? 200;
  let at = since;
  while (!opts.signal.aborted) {
    // Read the global version first: when nothing of this kind is newer than `at`
    // below, every change of this kind up to `current` has been sent.
    const current = await store.currentVersion();
    const events = await store.changesSince(at, { kind, limit: batch });
    for (const event of events) {
      if (opts.signal.aborted) return;
      at = event.resourceVersion;
      yield event;
    }
    if (events.length > 0) continue;
    if (current > at) {
      at = current;
      yield { type: 'BOOKMARK', resourceVersion: at };
    }
    const before = at;
    await store.waitForChange(at, opts.idleMs, opts.signal);
    if (opts.signal.aborted) return;
    if ((await store.currentVersion()) === before) yield { type: 'BOOKMARK', resourceVersion: at };
  }
}

/**
 * The store as an informer's source: list from the store, watch with
 * {@link watchStore}. For parts of the registry itself (route claims), which
 * read the store they serve rather than their own API.
 */
export function storeListWatch(store: Store, idleMs = 30_000): ListWatchSource {
  return {
    list<K extends Kind>(kind: K, opts?: ListOptions): Promise<ListResult<ResourceOf<K>>> {
      return store.list(kind, opts) as Promise<ListResult<ResourceOf<K>>>;
    },
    watch<K extends Kind>(kind: K, fromVersion: number, signal: AbortSignal): AsyncIterable<WatchItem<ResourceOf<K>>> {
      return watchStore(store, kind, fromVersion, { signal, idleMs }) as AsyncIterable<WatchItem<ResourceOf<K>>>;
    },
  };
}
