/**
 * What every route of the registry API shares: the hono environment (who is
 * calling), the dependencies of the handlers, and the small readers of query
 * parameters, so each route file holds only its routes.
 */
import type { RemoteAddressRule } from '../../manifest/remote-address.ts';
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { RegistryError } from '../../client/errors.ts';
import type { Principal } from '../auth/authenticate.ts';
import type { ServerLogSource } from '../server-log-source.ts';
import type { Store } from '../store.ts';
import type { RegistryMetrics } from './metrics.ts';
import type { RouteClaims } from './route-claims.ts';
import type { WriteContext } from './writes.ts';

/** Path prefix of every resource route. */
export const PREFIX = '/apis/berth.dev/v1alpha1';

/**
 * Key of the principal a request made inside this process carries in its hono
 * environment (see `in-process.ts`). A symbol, so nothing that arrives over a
 * socket can set it: the Node adapter's environment holds only its own objects.
 */
export const IN_PROCESS_PRINCIPAL: unique symbol = Symbol('berth.in-process-principal');

/** The hono environment of the API: bindings (in-process principal) and per-request variables. */
export type ApiEnv = {
  Bindings: { [IN_PROCESS_PRINCIPAL]?: Principal };
  Variables: { principal: Principal };
};

/** The API app type. */
export type ApiApp = Hono<ApiEnv>;

/** What the route handlers need. */
export interface ApiDeps {
  store: Store;
  logger: Logger;
  metrics: RegistryMetrics;
  /** Aborted on shutdown: watch streams end with a RECONNECT line. */
  shutdownSignal: AbortSignal;
  clock: () => Date;
  heartbeatMs: number;
  maxWatchers: number;
  /** Most watch streams one token may hold open on this instance (429 past it). */
  maxWatchersPerToken: number;
  routeClaims: RouteClaims;
  /** The remote-address rule `spec.remote.url` is admitted under (the operator's `--allow-remote`). */
  remoteAddresses: RemoteAddressRule;
  /** Where `…/mcpservers/<name>/logs` reads; absent: that route answers 404 saying so. */
  logSource?: ServerLogSource;
}

/** The write context of a request: its principal, the store, route claims. */
export function writerOf(deps: ApiDeps, c: Context<ApiEnv>): WriteContext {
  return { store: deps.store, principal: c.get('principal'), logger: deps.logger, routeClaims: deps.routeClaims };
}

/** A 400 for a bad query parameter. */
export function badQuery(detail: string): RegistryError {
  return new RegistryError(400, { type: 'invalid-query', title: 'Invalid query parameter', detail });
}

/** A whole-number query parameter in [min, max], or undefined when absent. @throws 400 otherwise */
export function intQuery(c: Context, name: string, min: number, max: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badQuery(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}

/** A boolean query flag: present and not `0`/`false`. */
export function flag(c: Context, name: string): boolean {
  const v = c.req.query(name);
  return v !== undefined && v !== '0' && v !== 'false';
}

/** An RFC 3339 time query parameter, or undefined when absent. @throws 400 naming the parameter otherwise */
export function timeQuery(c: Context, name: string): string | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  if (Number.isNaN(Date.parse(raw))) throw badQuery(`${name} must be an RFC 3339 time, e.g. 2026-01-31T09:00:00Z (got ${JSON.stringify(raw)})`);
  return raw;
}

/** The paging and window parameters every record query shares: `since`, `until` (RFC 3339), `limit` (1–1000, default 100), `continue`. */
export function recordWindowQuery(c: Context): { since?: string; until?: string; limit: number; continue?: string } {
  const since = timeQuery(c, 'since');
  const until = timeQuery(c, 'until');
  const cont = c.req.query('continue');
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), limit: intQuery(c, 'limit', 1, 1000) ?? 100, ...(cont ? { continue: cont } : {}) };
}

/** A page of records: `continue` (from `cursorOf` the last) when it is full, so the next page may be asked for. */
export function recordPage<T>(items: T[], limit: number, cursorOf: (last: T) => string): { items: T[]; continue?: string } {
  return items.length === limit && items.length > 0 ? { items, continue: cursorOf(items.at(-1)!) } : { items };
}
