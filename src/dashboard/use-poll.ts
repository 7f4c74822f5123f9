/**
 * A preact hook that reads something every few seconds while the component is
 * mounted: for registry lists that have no watch (approvals of tool calls, call
 * records). One read at a time; a failed read keeps the last good answer and
 * says why; `refresh()` reads now (after the page changed something).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/** What {@link usePoll} returns. */
export interface Polled<T> {
  /** The last good answer (undefined before the first). */
  data: T | undefined;
  /** Why the last read failed, when it did. */
  error: ApiError | undefined;
  /** Reads now. */
  refresh: () => Promise<void>;
}

/**
 * Calls `read` now and every `intervalMs` (and again whenever `key` changes).
 * @example const { data } = usePoll((signal) => requestJson<X>(url, { signal }), 3000, url);
 */
export function usePoll<T>(read: (signal: AbortSignal) => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const readRef = useRef(read);
  readRef.current = read;
  const ctl = useRef<{ busy?: Promise<void>; signal?: AbortSignal }>({});

  const refresh = useCallback(async () => {
    const signal = ctl.current.signal;
    if (signal === undefined || signal.aborted) return;
    if (ctl.current.busy) return ctl.current.busy;
    const run = (async () => {
      try {
        const next = await readRef.current(signal);
        if (signal.aborted) return;
        setData(next);
        setError(undefined);
      } catch (err) {
        if (signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), { cause: err }));
      }
    })();
    ctl.current.busy = run;
    try {
      await run;
    } finally {
      ctl.current.busy = undefined;
    }
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    ctl.current = { signal: ac.signal };
    setData(undefined);
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => {
      ac.abort();
      clearInterval(timer);
    };
  }, [key, intervalMs, refresh]);

  return { data, error, refresh };
}
