/**
 * Which gateway route (path, optional host) each MCPServer claims, so a write that
 * would take another server's route is refused before it is stored.
 *
 * Why the registry checks this and not only `berth validate`: the validator sees
 * one apply's files, and the gateway serves every server of every environment
 * from one route table. Without this check a publisher of one team could create a
 * server routed at another team's path (or at that path for the gateway's own
 * host name) and receive that team's agent traffic.
 *
 * Whether two routes collide, and the message saying so, is the manifest's route
 * rule (src/manifest/route.ts), the one `berth validate` applies too.
 *
 * The index is kept in memory by an informer over the store (list, then watch;
 * a relist when the log was compacted past it), and each check first waits until
 * the informer has caught up with the store's current version (at once for
 * writes of this process, which wake the watch; within the store's poll interval
 * for another registry process's), so a check costs O(servers on that path), not a list.
 * {@link RouteClaims.exclusive} serialises check-and-write per path: within one
 * registry process with an in-memory lock, and across registry processes on one
 * store with a store lease named after the path, taken only when a write would
 * claim a route its server does not hold yet (so ordinary updates cost no extra
 * writes). The stores have no unique index on routes; the lease stands in for one.
 *
 * @example
 * const claims = new RouteClaims(store);
 * const taken = await claims.collision(obj);   // { name: 'quote', path: '/mcp/quote', route: … } | undefined
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from '../../kit/keyed-lock.ts';
import type { Resource } from '../../manifest/resource.ts';
import { Informer, type InformerLogger } from '../../client/informer.ts';
import { routeCollision, serverRoute, type ServerRoute } from '../../manifest/route.ts';
import type { Store } from '../store.ts';
import { storeListWatch } from '../store-watch.ts';
import { RegistryError } from '../../client/errors.ts';

/** A route claimed by one server, indexed by its path key. */
export interface RouteClaim {
  name: string;
  /** The route's comparison key (lower-case normalised path): what the index, locks and leases are keyed by. */
  path: string;
  /** Normalised host, when the route is host-specific. */
  host?: string;
  /** The route as the manifest rule computed it (for messages). */
  route: ServerRoute;
}

/** How long the route lease of a registry process that died mid-write keeps others waiting. */
const ROUTE_LEASE_TTL_MS = 5_000;
/** Pause between attempts to take a route lease another registry process holds. */
const ROUTE_LEASE_RETRY_MS = 10;

/** Options of {@link RouteClaims}. */
export interface RouteClaimsOptions {
  /** Lifetime of a route lease; default 5 s. A writer waits at most this long plus a second, then gets 503. */
  leaseTtlMs?: number;
  /** Where the informer reports watch trouble. */
  logger: InformerLogger;
  /** Stops the informer that keeps the index current. */
  shutdownSignal: AbortSignal;
}

/** The route `obj` claims (the manifest's rule: src/manifest/route.ts), or undefined when it is not an MCPServer. */
export function routeClaimOf(obj: Resource): RouteClaim | undefined {
  if (obj.kind !== 'MCPServer') return undefined;
  const route = serverRoute(obj);
  return { name: route.name, path: route.key, ...(route.host !== undefined ? { host: route.host } : {}), route };
}

/** In-memory index of route claims over a {@link Store}, fed by an informer. One per API instance. */
export class RouteClaims {
  readonly #store: Store;
  readonly #informer: Informer<'MCPServer'>;
  #byName = new Map<string, RouteClaim>();
  #byPath = new Map<string, Set<string>>();
  /** Serialises check-and-write per path within this process. */
  readonly #locks = new KeyedLock();
  /** This registry process's name as a holder of route leases. */
  readonly #holder = `registry-${randomUUID()}`;
  readonly #leaseTtlMs: number;

  constructor(store: Store, opts: RouteClaimsOptions) {
    this.#store = store;
    this.#leaseTtlMs = opts.leaseTtlMs ?? ROUTE_LEASE_TTL_MS;
    this.#informer = new Informer({
      source: storeListWatch(store),
      kind: 'MCPServer',
      logger: opts.logger,
      onEvent: (e) => (e.type === 'DELETED' ? this.#forget(e.object.metadata.name) : this.#remember(e.object)),
    });
    if (!opts.shutdownSignal.aborted) {
      this.#informer.start();
      opts.shutdownSignal.addEventListener('abort', () => void this.#informer.stop(), { once: true });
    }
  }

  /**
   * The claim of another server that `obj`'s route collides with, or undefined
   * when the route is free (or `obj` is not an MCPServer).
   */
  async collision(obj: Resource): Promise<RouteClaim | undefined> {
    const mine = routeClaimOf(obj);
    if (!mine) return undefined;
    await this.#sync();
    for (const name of this.#byPath.get(mine.path) ?? []) {
      if (name === mine.name) continue;
      const other = this.#byName.get(name);
      if (other && routeCollision(mine.route, other.route) !== undefined) return other;
    }
    return undefined;
  }

  /**
   * Runs `fn` holding the lock of the path `obj` claims (no lock when it claims
   * none), so a collision check and the write that follows it are not interleaved
   * with another check-and-write for the same path, in this process or in another
   * registry process on the same store. Callers in this process wait in arrival
   * order. Throws a 503 problem when another process holds the path longer than
   * the lease lifetime allows.
   */
  async exclusive<T>(obj: Resource, fn: () => Promise<T>): Promise<T> {
    const claim = routeClaimOf(obj);
    if (!claim) return fn();
    return this.#locks.run(claim.path, () => this.#withRouteLease(claim, fn));
  }

  /**
   * Runs `fn` holding the store lease of `claim`'s path, unless the server already
   * holds exactly this route: then no other server can take it past the collision
   * check, and the write needs no lease.
   */
  async #withRouteLease<T>(claim: RouteClaim, fn: () => Promise<T>): Promise<T> {
    await this.#sync();
    const held = this.#byName.get(claim.name);
    if (held && held.path === claim.path && held.host === claim.host) return fn();
    const lease = `route:${claim.path}`;
    const deadline = Date.now() + this.#leaseTtlMs + 1000;
    while (!(await this.#store.acquireLease(lease, this.#holder, this.#leaseTtlMs))) {
      if (Date.now() > deadline) {
        throw new RegistryError(503, {
          type: 'route-busy',
          title: 'Route is being claimed',
          detail: `another registry process has been claiming route ${claim.path} for more than ${this.#leaseTtlMs} ms; retry the write`,
        });
      }
      await sleep(ROUTE_LEASE_RETRY_MS);
    }
    try {
      return await fn();
    } finally {
      await this.#store.releaseLease(lease, this.#holder).catch(() => undefined);
    }
  }

  /** Waits until the index reflects every write the store had committed when it was called. */
  async #sync(): Promise<void> {
    await this.#informer.caughtUp(await this.#store.currentVersion());
  }

  #remember(obj: Resource): void {
    const claim = routeClaimOf(obj);
    if (!claim) return;
    this.#forget(claim.name);
    this.#byName.set(claim.name, claim);
    let names = this.#byPath.get(claim.path);
    if (!names) this.#byPath.set(claim.path, (names = new Set()));
    names.add(claim.name);
  }

  #forget(name: string): void {
    const old = this.#byName.get(name);
    if (!old) return;
    this.#byName.delete(name);
    const names = this.#byPath.get(old.path);
    names?.delete(name);
    if (names?.size === 0) this.#byPath.delete(old.path);
  }
}
