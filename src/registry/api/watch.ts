/**
 * `GET /apis/berth.dev/v1alpha1/<plural>?watch=1&resourceVersion=N`: a stream of
 * newline-delimited JSON lines, one per change newer than N, in order.
 *
 * Line types:
 * - `{"type":"ADDED"|"MODIFIED"|"DELETED","object":{…}}` — a change; resume from
 *   `object.metadata.resourceVersion`.
 * - `{"type":"BOOKMARK","object":{"kind":…,"metadata":{"resourceVersion":"M"}}}` —
 *   sent when idle (keeps proxies from cutting the stream) and safe to resume from:
 *   every change of this kind up to M has been sent.
 * - `{"type":"ERROR","object":{problem details, status 410}}` — history was compacted
 *   past the watcher; relist, then watch from the list's version.
 * - `{"type":"RECONNECT","object":{"metadata":{"resourceVersion":"M"}}}` — the
 *   server is shutting down; reconnect (to another replica) from M.
 * A version older than retained history is answered 410 before the stream starts.
 */
import type { Kind } from '../../manifest/resource.ts';
import { API_VERSION } from '../../manifest/resource.ts';
import { GoneError, type Store } from '../store.ts';
import { toHttpProblem } from './problem.ts';

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
}

const BATCH = 200;
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
  const { store, kind, clientSignal, shutdownSignal, heartbeatMs } = opts;
  // Fail with a plain 410 before any byte is streamed.
  let pending = await store.changesSince(opts.since, { kind, limit: BATCH });
  let since = opts.since;
  const stop = AbortSignal.any([clientSignal, shutdownSignal]);
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
        for (;;) {
          if (shutdownSignal.aborted) {
            controller.enqueue(marker('RECONNECT', kind, since));
            controller.close();
            close();
            return;
          }
          if (clientSignal.aborted) {
            controller.close();
            close();
            return;
          }
          if (pending.length > 0) {
            for (const ev of pending) {
              controller.enqueue(line({ type: ev.type, object: ev.object }));
              since = ev.resourceVersion;
            }
            pending = [];
            return;
          }
          // Read the global version first: when nothing of this kind is newer than
          // `since` below, every change of this kind up to `current` has been sent.
          const current = await store.currentVersion();
          pending = await store.changesSince(since, { kind, limit: BATCH });
          if (pending.length > 0) continue;
          if (current > since) since = current;
          await store.waitForChange(since, heartbeatMs, stop);
          if (stop.aborted) continue;
          pending = await store.changesSince(since, { kind, limit: BATCH });
          if (pending.length === 0) {
            controller.enqueue(marker('BOOKMARK', kind, since));
            return;
          }
        }
      } catch (err) {
        if (err instanceof GoneError) {
          controller.enqueue(line({ type: 'ERROR', object: toHttpProblem(err).toDetails() }));
        }
        controller.close();
        close();
      }
    },
    cancel() {
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
