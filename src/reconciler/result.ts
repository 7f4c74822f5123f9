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
 *
 * Every pass ends in exactly one {@link ReconcileOutcome}, told to the optional
 * {@link OutcomeRecorder} here and nowhere else, so metrics count each pass once.
 */
import { isTerminal } from '../kit/errors.ts';
import type { WorkQueue } from './work-queue.ts';

/** What a successful reconcile returns. */
export interface ReconcileResult {
  /** Reconcile again after this many milliseconds. Absent: only on the next change or resync. */
  requeueAfterMs?: number;
}

/**
 * How one pass ended, as metrics count it: `success` (resolved `{}`), `requeue`
 * (resolved with `requeueAfterMs`), `error` (retryable: retried with backoff),
 * `terminal` (recorded, not retried).
 */
export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal';

/** Every {@link ReconcileOutcome}, for initialising counters. */
export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = ['success', 'requeue', 'error', 'terminal'];

/**
 * What a pass says about itself while it runs, filled in by the reconcile
 * function as it learns it, so the outcome is attributed even when the pass throws.
 */
export interface PassNotes {
  /**
   * Name of the runtime provider that handled the server in this pass (`local`,
   * `remote`, `ecs`; several joined by `+`). Left unset when none did (skips,
   * other environments, servers no provider handles). Never a server name.
   */
  provider?: string;
}

/** Counts outcomes (metrics). Must not throw. */
export interface OutcomeRecorder {
  /** A pass starts now; the returned function is called exactly once, when it has ended. */
  start(): (outcome: ReconcileOutcome, notes: Readonly<PassNotes>) => void;
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

/** Optional hooks of {@link processKey}. */
export interface ProcessHooks {
  /** Records a failure (status, logs). */
  onFailure?: (report: FailureReport) => Promise<void> | void;
  /** Told when `onFailure` throws. */
  onReportError?: (err: unknown) => void;
  /** Counts the pass's outcome (once per call), before `onFailure` runs. */
  recorder?: OutcomeRecorder;
}

/**
 * Runs `reconcile(key, notes)` and applies the contract to the queue. The controller's
 * worker function is exactly this; nothing else calls `forget`, `addAfter` or
 * `addRateLimited` for a reconcile outcome, and nothing else counts one.
 * `onFailure` records the failure (status, logs); its own errors are swallowed
 * after being passed to `onReportError`, since the key is requeued either way.
 */
export async function processKey(
  key: string,
  reconcile: (key: string, notes: PassNotes) => Promise<ReconcileResult>,
  queue: Pick<WorkQueue, 'forget' | 'addAfter' | 'addRateLimited' | 'failures'>,
  hooks: ProcessHooks = {},
): Promise<void> {
  const notes: PassNotes = {};
  const done = hooks.recorder?.start();
  let result: ReconcileResult;
  try {
    result = await reconcile(key, notes);
  } catch (error) {
    const terminal = isTerminal(error);
    done?.(terminal ? 'terminal' : 'error', notes);
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
  done?.(result.requeueAfterMs !== undefined ? 'requeue' : 'success', notes);
  queue.forget(key);
  if (result.requeueAfterMs !== undefined) queue.addAfter(key, Math.max(0, result.requeueAfterMs));
}
