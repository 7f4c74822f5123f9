/**
 * Whether the registry's database takes writes, as the API last saw it, so
 * `/readyz` can say "not ready" while the disk is full or the database is
 * read-only (a load balancer then sends writes elsewhere, an operator is paged)
 * and "ready" again once it recovers — by itself, without a restart.
 *
 * {@link watchStoreHealth} wraps a Store: a StoreUnavailableError from any call
 * marks it failing; a write that succeeds marks it healthy. While failing, a
 * tiny write probe (`Store.probeWrite`) runs every `probeIntervalMs`, so
 * readiness comes back even when no client writes.
 */
import type { Logger } from 'pino';
import type { Store } from './store.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

/** What readiness asks. */
export interface StoreHealth {
  /** The failure that made the store unwritable, or undefined while writes succeed. */
  failure(): StoreUnavailableError | undefined;
}

/** Default interval of the write probe while the store is failing. */
export const DEFAULT_STORE_PROBE_INTERVAL_MS = 3_000;

/**
 * Store methods whose success proves the database takes writes again: only those
 * that always write. An update that changes nothing, or a lease already held by
 * someone else, succeeds on a full disk too, and would flap readiness.
 */
const WRITES = new Set<string>(['create', 'appendAudit', 'putToken', 'appendCallRecords', 'probeWrite']);

/**
 * `store` with its health followed (see the module comment). The probe timer
 * stops when `signal` aborts; it never keeps the process alive.
 * @example const { store, health } = watchStoreHealth(rawStore, { logger, signal });
 */
export function watchStoreHealth(inner: Store, opts: { logger?: Logger; signal: AbortSignal; probeIntervalMs?: number }): { store: Store; health: StoreHealth } {
  let failure: StoreUnavailableError | undefined;
  let probe: ReturnType<typeof setInterval> | undefined;
  const interval = opts.probeIntervalMs ?? DEFAULT_STORE_PROBE_INTERVAL_MS;

  const recovered = (): void => {
    if (!failure) return;
    opts.logger?.warn({ reason: failure.reason }, 'the registry database takes writes again: ready');
    failure = undefined;
    if (probe) clearInterval(probe);
    probe = undefined;
  };
  const failed = (err: StoreUnavailableError): void => {
    if (!failure) opts.logger?.error({ reason: err.reason, detail: err.message }, 'the registry database refuses writes: not ready until a write succeeds');
    failure = err;
    if (probe || opts.signal.aborted) return;
    probe = setInterval(() => {
      inner.probeWrite().then(recovered, (e: unknown) => {
        if (e instanceof StoreUnavailableError) failure = e;
      });
    }, interval);
    probe.unref();
  };
  opts.signal.addEventListener('abort', () => {
    if (probe) clearInterval(probe);
    probe = undefined;
  }, { once: true });

  const wrapped = {} as Record<string, unknown>;
  for (const [key, value] of Object.entries(inner)) {
    if (typeof value !== 'function') continue;
    const fn = value as (...args: unknown[]) => Promise<unknown>;
    // A dry run proves nothing about writes.
    const provesWrite = (args: unknown[]): boolean => WRITES.has(key) && !(args.some((a) => typeof a === 'object' && a !== null && (a as { dryRun?: unknown }).dryRun === true));
    wrapped[key] = async (...args: unknown[]): Promise<unknown> => {
      try {
        const out = await fn.apply(inner, args);
        if (provesWrite(args)) recovered();
        return out;
      } catch (err) {
        if (err instanceof StoreUnavailableError) failed(err);
        throw err;
      }
    };
  }
  return { store: wrapped as unknown as Store, health: { failure: () => failure } };
}
