/**
 * The kit: small pieces every room of Berth shares, written once — time
 * ({@link Clock}), backoff, a keyed lock, durations, and what an error means
 * (its cause chain, one line for it, whether retrying helps), and how every
 * process logs (one redaction list, one error serializer).
 *
 * May import: nothing else in src.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
export { backoffDelay, KeyedBackoff, type BackoffOptions } from './backoff.ts';
export { ManualClock, sleep, systemClock, TimerQueue, type Clock, type TimerHandle } from './clock.ts';
export { DURATION_EXAMPLES, parseDuration } from './duration.ts';
export { describeError, errorChain, isTerminal, TerminalError, type Retryability } from './errors.ts';
export { KeyedLock } from './keyed-lock.ts';
export { logOptions, REDACT_PATHS } from './log-options.ts';
