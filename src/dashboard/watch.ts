/**
 * A live list of one kind from the registry's NDJSON watch (the protocol of
 * `src/registry/api/watch.ts`, consumed as `src/client/informer.ts` does): list
 * every page, then watch from the list's resourceVersion; BOOKMARK lines move the
 * resume point; a stream the server ends (RECONNECT, or closed) resumes from the
 * last version held; "too old" (410, before or inside the stream) relists; any
 * other failure reconnects after a capped, jittered backoff. A 401 stops: the
 * session ended.
 */
import type { Resource } from '../manifest/resource.ts';
import { API, ApiError, request } from './api.ts';

/** What a watch reports. */
export interface WatchHandlers<T extends Resource> {
  /** The full list (first load and every relist). */
  onList(items: T[]): void;
  /** One change after the list. */
  onChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
  /** Connection state, for the page's live indicator. */
  onState?(state: 'live' | 'reconnecting' | 'signed-out', error?: ApiError): void;
}

interface ListPage<T> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string };
}

interface WatchLine {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | 'RECONNECT';
  object: { metadata?: { resourceVersion?: string }; status?: number };
}

const MAX_BACKOFF_MS = 10_000;

/** Every page of `plural` and the version the list reflects. */
async function listAll<T>(plural: string, signal: AbortSignal): Promise<{ items: T[]; version: string }> {
  const items: T[] = [];
  let next: string | undefined;
  let version = '0';
  do {
    const q = new URLSearchParams({ limit: '500', ...(next !== undefined ? { continue: next } : {}) });
    const page = (await (await request(`${API}/${plural}?${q}`, { signal })).json()) as ListPage<T>;
    items.push(...page.items);
    // The first page's version is the one to watch from: later pages are read at it.
    if (next === undefined) version = page.metadata.resourceVersion;
    next = page.metadata.continue;
  } while (next !== undefined);
  return { items, version };
}

class Gone extends Error {}

/** Follows one stream until it ends; returns the version to resume from. @throws Gone, ApiError */
async function follow<T extends Resource>(plural: string, from: string, handlers: WatchHandlers<T>, signal: AbortSignal): Promise<string> {
  let version = from;
  let res: Response;
  try {
    res = await request(`${API}/${plural}?watch=1&resourceVersion=${encodeURIComponent(from)}`, { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 410) throw new Gone();
    throw err;
  }
  handlers.onState?.('live');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return version;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (text === '') continue;
        const line = JSON.parse(text) as WatchLine;
        const rv = line.object.metadata?.resourceVersion;
        if (line.type === 'ERROR') {
          if (line.object.status === 410) throw new Gone();
          throw new ApiError(line.object.status ?? 500, 'watch', 'the watch stream reported an error');
        }
        if (rv !== undefined) version = rv;
        if (line.type === 'RECONNECT') return version;
        if (line.type !== 'BOOKMARK') handlers.onChange(line.type, line.object as unknown as T);
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/**
 * Lists and watches `plural` (e.g. `mcpservers`) until `signal` aborts.
 * @example watchKind<MCPServer>('mcpservers', { onList, onChange }, controller.signal);
 */
export function watchKind<T extends Resource>(plural: string, handlers: WatchHandlers<T>, signal: AbortSignal): void {
  void (async () => {
    let version: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (version === undefined) {
          const listed = await listAll<T>(plural, signal);
          handlers.onList(listed.items);
          version = listed.version;
        }
        version = await follow(plural, version, handlers, signal);
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof Gone) {
          version = undefined;
          continue;
        }
        if (err instanceof ApiError && err.status === 401) {
          handlers.onState?.('signed-out', err);
          return;
        }
        handlers.onState?.('reconnecting', err instanceof ApiError ? err : undefined);
        failures++;
        const cap = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 6));
        await new Promise((resolve) => setTimeout(resolve, cap / 2 + Math.random() * (cap / 2)));
      }
    }
  })();
}

