/**
 * A preact hook that reads one JSON resource and reads it again every
 * `intervalMs` (charts, logs, the access matrix: things the registry's watch does
 * not carry), skipping rounds while the tab is hidden. A failed read keeps the
 * last good answer and reports the registry's reason beside it.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, requestJson } from './api.ts';

/** What {@link usePolled} returns. */
export interface Polled<T> {
  /** The newest good answer (kept through later failures). */
  data?: T;
  /** Why the newest read failed, when it did. */
  error?: ApiError;
  /** The first read has finished (well or not). */
  settled: boolean;
}

/** Options of {@link usePolled}. */
export interface PolledOptions {
  /** Read again at once when this changes (e.g. the object's resourceVersion), keeping the old answer meanwhile. */
  refreshKey?: unknown;
  /** The URL to read each round, from `path` (e.g. adding `since=<now - 1 h>`); default `path` itself. */
  urlOf?: (path: string) => string;
}

/**
 * Reads `path` now, whenever `path` or `refreshKey` changes, and every `intervalMs`.
 * `path` undefined reads nothing (a role that may not read it).
 * @example const logs = usePolled<ServerLogs>(`${API}/mcpservers/quote/logs?tail=100`, 10_000);
 */
export function usePolled<T>(path: string | undefined, intervalMs: number, opts: PolledOptions = {}): Polled<T> {
  const { refreshKey, urlOf } = opts;
  // The answer remembers which path it is for: a new path shows nothing stale, a new refreshKey keeps the old answer until the new one comes.
  const [state, setState] = useState<Polled<T> & { path?: string }>({ settled: false });
  useEffect(() => {
    if (path === undefined) return;
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      if (document.hidden) {
        timer = setTimeout(read, intervalMs);
        return;
      }
      try {
        const data = await requestJson<T>(urlOf ? urlOf(path) : path, { signal: ac.signal });
        setState({ path, data, settled: true });
      } catch (err) {
        if (ac.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), { cause: err });
        setState((s) => ({ path, ...(s.path === path && s.data !== undefined ? { data: s.data } : {}), error, settled: true }));
      }
      if (!ac.signal.aborted) timer = setTimeout(read, intervalMs);
    };
    void read();
    return () => {
      ac.abort();
      clearTimeout(timer);
    };
  }, [path, intervalMs, refreshKey]);
  if (state.path !== path) return { settled: false };
  return { ...(state.data !== undefined ? { data: state.data } : {}), ...(state.error !== undefined ? { error: state.error } : {}), settled: state.settled };
}
