/**
 * The reconcile return contract, written once and enforced in one place
 * ({@link processKey}):
 *
 * - resolve `{}`: done; the key's backoff is forgotten.
 * - resolve `{ requeueAfterMs }`: done for now, look again after that long
 *   (polling a rollout); backoff forgotten.
 * - throw a retryable error: retried with per-key exponential backoff.
 * - throw a terminal error ({@link TerminalError}, or a ProviderError with
 *   `retryable: false`): recorded in status by `onFailure` and NOT retried; the
 *   next spec change (a new generation) tries again.
 *
 * There is no way to say "error and retry after N": a result is either a value or
 * a throw, never both.
 */
import { ProviderError } from '../providers/provider.ts';
import type { WorkQueue } from './work-queue.ts';

/** What a successful reconcile returns. */
export interface ReconcileResult {
  /** Reconcile again after this many milliseconds. Absent: only on the next change or resync. */
  requeueAfterMs?: number;
}

/**
 * An error retrying can't fix until the spec changes (an invalid spec, a refused
 * image). Recorded as Degraded and not retried.
 * @example throw new TerminalError('runtime.local.command "nod" was not found; fix spec.runtime.local.command');
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code: string;
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = opts.code ?? 'terminal';
  }
}

/** True for errors that must not be retried: {@link TerminalError} and non-retryable ProviderErrors. */
export function isTerminal(err: unknown): boolean {
  if (err instanceof TerminalError) return true;
  if (err instanceof ProviderError) return !err.retryable;
  return false;
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
