/**
 * The reconcile return contract, written once and enforced in one place
 * ({@link processKey}):
 *
 * - resolve `{}`: done; the key's backoff is forgotten.
 * - resolve `{ requeueAfterMs }`: done for now, look again after that long
 *   (polling a rollout); backoff forgotten.
 * - throw a retryable error: retried with per-key exponential backoff.
 * - throw a terminal error (one whose cause chain says `retryable: false`, see
 *   `isTerminal` in src/kit/errors.ts: a TerminalError, a ProviderError with
 *   `retryable: false`, or either wrapped with context): recorded in status by
 *   `onFailure` and NOT retried; the next spec change (a new generation) tries again.
 *
 * There is no way to say "error and retry after N": a result is either a value or
 * a throw, never both.
 */
import { isTerminal } from '../kit/errors.ts';
import type { WorkQueue } from './work-queue.ts';

/** What a successful reconcile returns. */
export interface ReconcileResult {
  /** Reconcile again after this many milliseconds. Absent: only on the next change or resync. */
  requeueAfterMs?: number;
}

/** How a failed reconcile is reported before the queue decides what happens to the key. */
export interface FailureReport {
  key: string;
  error: unknown;
  terminal: boolean;
  /** Consecutive failures including this one. */
  attempt: number;
  /** For retryable errors: ms until the retry. */
  retryInMs?: number;
}

/**
 * Runs `reconcile(key)` and applies the contract to the queue. The controller's
 * worker function is exactly this; nothing else calls `forget`, `addAfter` or
 * `addRateLimited` for a reconcile outcome.
 * `onFailure` records the failure (status, logs); its own errors are swallowed
 * after being passed to `onReportError`, since the key is requeued either way.
 */
export async function processKey(
  key: string,
  reconcile: (key: string) => Promise<ReconcileResult>,
  queue: Pick<WorkQueue, 'forget' | 'addAfter' | 'addRateLimited' | 'failures'>,
  hooks: { onFailure?: (report: FailureReport) => Promise<void> | void; onReportError?: (err: unknown) => void } = {},
): Promise<void> {
  let result: ReconcileResult;
  try {
    result = await reconcile(key);
  } catch (error) {
    const terminal = isTerminal(error);
    let retryInMs: number | undefined;
    if (terminal) queue.forget(key);
    else retryInMs = queue.addRateLimited(key);
    const attempt = terminal ? 1 : queue.failures(key);
    try {
      await hooks.onFailure?.({ key, error, terminal, attempt, ...(retryInMs !== undefined ? { retryInMs } : {}) });
    } catch (reportErr) {
      hooks.onReportError?.(reportErr);
    }
    return;
  }
  queue.forget(key);
  if (result.requeueAfterMs !== undefined) queue.addAfter(key, Math.max(0, result.requeueAfterMs));
}
