/**
 * Reads ECS services for one cluster, dataloader-style: every name asked for in
 * the same turn of the event loop goes into one DescribeServices call of up to
 * 10 names, and the free slots are filled with "companions" (other services
 * known to exist, next in name order, not read this pass) so that a resync of N
 * servers costs about ⌈N/10⌉ calls without listing and describing the whole
 * cluster every time the cache expires — which, during a long converge, cost
 * ~N/10 calls every few seconds for a handful of names.
 *
 * What is served from memory follows the rules of a per-pass cache:
 * - an answer is kept for `ttlMs` only (a resync after that reads again, so
 *   changes made outside Berth are always seen on the next pass);
 * - a service in motion ({@link inMotion}) is never served from memory;
 * - a write bumps the name's generation: answers read before it are dropped
 *   and a read that started before it is not stored;
 * - "not found" (MISSING: just created, or gone) is never kept.
 *
 * @example
 * const reader = new ServiceReader({ describe: (names) => describeServices(names), now, ttlMs: 5_000 });
 * const [a, b] = await Promise.all([reader.get('berth-a'), reader.get('berth-b')]); // one DescribeServices
 */
import type { ObservedService } from './types.ts';

/** DescribeServices names per call (the API's limit). */
export const DESCRIBE_SERVICES_BATCH = 10;

/** Options of {@link ServiceReader}. */
export interface ServiceReaderOptions {
  /** One DescribeServices call (≤ 10 names) → the services found, by name. Names not in the map are MISSING. */
  describe: (names: string[]) => Promise<Map<string, ObservedService>>;
  now: () => number;
  ttlMs: number;
}

interface Entry {
  service: ObservedService;
  at: number;
  generation: number;
}

interface Waiter {
  resolve: (svc: ObservedService | undefined) => void;
  reject: (err: unknown) => void;
}

/** A service whose state changes by itself soon: never served from memory. */
export function inMotion(svc: ObservedService): boolean {
  if (svc.status !== 'ACTIVE') return true;
  if (svc.deployments.length !== 1) return true;
  const d = svc.deployments[0]!;
  return d.rolloutState !== 'COMPLETED' || svc.runningCount !== svc.desiredCount || svc.pendingCount > 0;
}

/** Batched, per-pass cached DescribeServices of one cluster. */
export class ServiceReader {
  readonly #opts: ServiceReaderOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  /** Names of services known to exist (ACTIVE or DRAINING), for companions. */
  readonly #known = new Set<string>();
  #sortedKnown: string[] | undefined;
  #pending = new Map<string, Waiter[]>();
  #flushScheduled = false;

  constructor(opts: ServiceReaderOptions) {
    this.#opts = opts;
  }

  /** The service (any status), undefined when DescribeServices says MISSING. */
  async get(name: string, signal?: AbortSignal): Promise<ObservedService | undefined> {
    signal?.throwIfAborted();
    const hit = this.#entries.get(name);
    if (hit !== undefined && this.#servable(name, hit)) return hit.service;
    const answer = new Promise<ObservedService | undefined>((resolve, reject) => {
      const waiters = this.#pending.get(name) ?? [];
      waiters.push({ resolve, reject });
      this.#pending.set(name, waiters);
    });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    if (signal === undefined) return answer;
    // The call is shared with other callers: an abort only stops waiting for it.
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Call after writing to service `name`: what was read before is no longer served. */
  changed(name: string): void {
    this.#generations.set(name, (this.#generations.get(name) ?? 0) + 1);
    this.#entries.delete(name);
  }

  /** Names listed by ListServices: they exist, so they may ride along as companions. */
  noteExisting(names: Iterable<string>): void {
    for (const n of names) this.#remember(n, true);
  }

  #servable(name: string, e: Entry): boolean {
    return e.generation === (this.#generations.get(name) ?? 0) && this.#opts.now() - e.at < this.#opts.ttlMs && !inMotion(e.service);
  }

  #remember(name: string, exists: boolean): void {
    if (exists === this.#known.has(name)) return;
    if (exists) this.#known.add(name);
    else this.#known.delete(name);
    this.#sortedKnown = undefined;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    const names = [...pending.keys()];
    for (let i = 0; i < names.length; i += DESCRIBE_SERVICES_BATCH) {
      const asked = names.slice(i, i + DESCRIBE_SERVICES_BATCH);
      void this.#read(asked, [...asked, ...this.#companions(asked, DESCRIBE_SERVICES_BATCH - asked.length)], pending);
    }
  }

  /** Up to `room` known services after the first asked name (in name order) with nothing servable in memory. */
  #companions(asked: string[], room: number): string[] {
    if (room <= 0 || this.#known.size === 0) return [];
    this.#sortedKnown ??= [...this.#known].sort();
    const sorted = this.#sortedKnown;
    const skip = new Set(asked);
    let start = sorted.findIndex((n) => n >= asked[0]!);
    if (start < 0) start = 0;
    const out: string[] = [];
    for (let k = 0; k < sorted.length && out.length < room; k++) {
      const n = sorted[(start + k) % sorted.length]!;
      if (skip.has(n)) continue;
      const e = this.#entries.get(n);
      // Skip what memory already serves, and what was moving when last read (it is read on its own pass anyway).
      if (e !== undefined && (this.#servable(n, e) || inMotion(e.service))) continue;
      out.push(n);
    }
    return out;
  }

  async #read(asked: string[], names: string[], pending: Map<string, Waiter[]>): Promise<void> {
    const generations = new Map(names.map((n) => [n, this.#generations.get(n) ?? 0]));
    let found: Map<string, ObservedService>;
    try {
      found = await this.#opts.describe(names);
    } catch (err) {
      for (const n of asked) for (const w of pending.get(n) ?? []) w.reject(err);
      return;
    }
    const at = this.#opts.now();
    for (const n of names) {
      const svc = found.get(n);
      this.#remember(n, svc !== undefined && svc.status !== 'INACTIVE');
      // A read that started before a write to this service says nothing about the state after it.
      if (generations.get(n) !== (this.#generations.get(n) ?? 0)) continue;
      if (svc === undefined) this.#entries.delete(n);
      else this.#entries.set(n, { service: svc, at, generation: generations.get(n)! });
    }
    for (const n of asked) for (const w of pending.get(n) ?? []) w.resolve(found.get(n));
  }
}
