/**
 * The slice of a pino logger the reconciler uses. Callers pass their own
 * (usually a child of the process logger); nothing here creates one.
 */
import type { Logger } from 'pino';

/** Structured logger: `log.info({ server: 'weather', action }, 'applied')`. Never pass secrets. */
export type ReconcilerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
