/**
 * `GET /apis/berth.dev/v1alpha1/<plural>?watch=1&resourceVersion=N`: a stream of
 * newline-delimited JSON lines, one per change newer than N, in order.
 *
 * Line types:
 * - `{"type":"ADDED"|"MODIFIED"|"DELETED","object":{…}}` — a change; resume from
 *   `object.metadata.resourceVersion`.
 * - `{"type":"BOOKMARK","object":{"kind":…,"metadata":{"resourceVersion":"M"}}}` —
 *   every change of this kind up to M has been sent, so it is safe to resume
 *   from M; also sent when idle (keeps proxies from cutting the stream).
 * - `{"type":"ERROR","object":{problem details, status 410}}` — history was compacted
 *   past the watcher; relist, then watch from the list's version.
 * - `{"type":"RECONNECT","object":{"metadata":{"resourceVersion":"M"}}}` — the
 *   server is shutting down; reconnect (to another replica) from M.
 * A version older than retained history is answered 410 before the stream starts.
 */
import type { Kind, Resource } from '../../manifest/resource.ts';
import { API_VERSION } from '../../manifest/resource.ts';
import { GoneError } from '../../client/errors.ts';
import type { Store } from '../store.ts';
import { watchStore } from '../store-watch.ts';

/** What a watch stream needs. */
export interface WatchStreamOptions {
  store: Store;
  kind: Kind;
  /** Send changes with resourceVersion greater than this. */
  since: number;
  /** Aborted when the client goes away. */
  clientSignal: AbortSignal;
  /** Aborted when the server shuts down: the stream ends with a RECONNECT line. */
  shutdownSignal: AbortSignal;
  /** Idle time after which a BOOKMARK line is sent. */
  heartbeatMs: number;
  /** Called once when the stream starts and once when it ends (for the watchers gauge). */
  onOpen?: () => void;
  onClose?: () => void;
  /** What the watcher may see of each object (read-redaction.ts); default the object as stored. */
  view?: (obj: Resource) => Resource;
}

const encoder = new TextEncoder();

function line(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value)}\n`);
}

function marker(type: 'BOOKMARK' | 'RECONNECT', kind: Kind, rv: number): Uint8Array {
  return line({ type, object: { apiVersion: API_VERSION, kind, metadata: { resourceVersion: String(rv) } } });
}

/**
 * Starts a watch: resolves to the streaming Response, or throws GoneError (→ 410)
 * when `since` is older than retained history.
 */
export async function watchResponse(opts: WatchStreamOptions): Promise<Response> {
  const { store, kind, clientSignal, shutdownSignal } = opts;
  // Fail with a plain 410 before any byte is streamed.
  await store.changesSince(opts.since, { kind, limit: 1 });
  // Cancelling the body (a reader that stops) ends the loop too, not only a client that goes away.
  const cancelled = new AbortController();
  const stop = AbortSignal.any([clientSignal, shutdownSignal, cancelled.signal]);
  const items = watchStore(store, kind, opts.since, { signal: stop, idleMs: opts.heartbeatMs });
  let sent = opts.since;
  let closed = false;
  const close = (): void => {
    if (!closed) {
      closed = true;
      opts.onClose?.();
    }
  };
  opts.onOpen?.();

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await items.next();
        if (!next.done) {
          const item = next.value;
          sent = item.resourceVersion;
          controller.enqueue(item.type === 'BOOKMARK' ? marker('BOOKMARK', kind, sent) : line({ type: item.type, object: item.object && opts.view ? opts.view(item.object) : item.object }));
          return;
        }
        if (shutdownSignal.aborted && !clientSignal.aborted && !cancelled.signal.aborted) controller.enqueue(marker('RECONNECT', kind, sent));
      } catch (err) {
        if (err instanceof GoneError) controller.enqueue(line({ type: 'ERROR', object: err.toProblem() }));
      }
      controller.close();
      close();
    },
    cancel() {
      cancelled.abort();
      close();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    },
  });
}
