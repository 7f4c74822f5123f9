/**
 * Prometheus metrics of one registry instance. Each call registers them in the
 * prom-client Registry it is given, or in a new one of its own (never the global
 * default), so several registries in one process (tests) don't collide, and
 * `berth up` serves the reconciler's metrics beside these from one Registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KINDS } from '../../manifest/resource.ts';
import type { Store } from '../store.ts';

/** The metrics the API updates. */
export interface RegistryMetrics {
  /** Everything `/metrics` serves: these metrics, and any others registered in it. */
  registry: Registry;
  /** berth_registry_http_requests_total{method,route,code} */
  requests: Counter<'method' | 'route' | 'code'>;
  /** berth_registry_http_request_duration_seconds{method,route} */
  duration: Histogram<'method' | 'route'>;
  /** berth_registry_watchers — open watch streams. */
  watchers: Gauge;
}

/** How long one count of the stored objects serves scrapes. */
export const OBJECT_COUNT_TTL_MS = 10_000;

/**
 * Creates the metrics; `berth_registry_objects{kind}` is counted from `store` at
 * scrape time. `/metrics` needs no token (Prometheus convention; it holds counts,
 * never names or specs), so anyone who can reach the port can scrape it: counting
 * lists every object, so one count is shared by concurrent scrapes and reused for
 * `countTtlMs` (default {@link OBJECT_COUNT_TTL_MS}) — a scrape flood costs the
 * store at most one listing per TTL. `registry`: where to register (default: a new one).
 */
export function createRegistryMetrics(store: Store, opts: { countTtlMs?: number; now?: () => number; registry?: Registry } = {}): RegistryMetrics {
  const ttl = opts.countTtlMs ?? OBJECT_COUNT_TTL_MS;
  const now = opts.now ?? Date.now;
  let counted: { at: number; counts: Promise<Map<string, number>> } | undefined;
  const countAll = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const kind of KINDS) {
      let count = 0;
      let cont: string | undefined;
      do {
        const page = await store.list(kind, { limit: 500, ...(cont ? { continue: cont } : {}) });
        count += page.items.length;
        cont = page.continue;
      } while (cont);
      counts.set(kind, count);
    }
    return counts;
  };
  const registry = opts.registry ?? new Registry();
  const requests = new Counter({
    name: 'berth_registry_http_requests_total',
    help: 'HTTP requests handled, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'berth_registry_http_request_duration_seconds',
    help: 'Time to handle an HTTP request (watch streams: time to first byte).',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const watchers = new Gauge({ name: 'berth_registry_watchers', help: 'Open watch streams.', registers: [registry] });
  new Gauge({
    name: 'berth_registry_objects',
    help: 'Objects stored, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      if (counted === undefined || now() - counted.at >= ttl) {
        const counts = countAll();
        counted = { at: now(), counts };
        // A failed count is not cached: the next scrape tries again.
        counts.catch(() => {
          if (counted?.counts === counts) counted = undefined;
        });
      }
      for (const [kind, count] of await counted.counts) this.set({ kind }, count);
    },
  });
  return { registry, requests, duration, watchers };
}
