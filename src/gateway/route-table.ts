/**
 * The gateway's route table: path key (+ optional host) → Route, kept in step with
 * the registry by an informer ({@link followRegistry}, follow-registry.ts).
 *
 * Matching is the manifest's route rule (src/manifest/route.ts): the request's
 * path and Host are normalised as routes are (dot segments, repeated and trailing
 * slashes, case; Host without port or trailing dot), then a route matches its
 * path EXACTLY — MCP endpoints are single URLs, so `/mcp/a` never captures `/mcp/ab`
 * or `/mcp/a/x`. The registry refuses colliding routes, but the table serves what
 * it is given: when several servers share a path, a route whose `host` matches
 * wins over one without; among equals, the lowest name wins (deterministic, and
 * the loser is visible via `conflicts()`).
 *
 * Updates are synchronous map writes on Node's single thread, so a request sees
 * either the old or the new route, never a mix; `replaceAll` builds fresh maps and
 * swaps them in one assignment.
 *
 * @example
 * const table = new RouteTable();
 * table.replaceAll(list.items);
 * table.apply({ type: 'MODIFIED', object: quote });
 * table.lookup('/mcp/Quote/', 'gateway.local:8080'); // the Route of `quote`, or undefined
 */
import { routeMatch, routeRequest } from '../manifest/route.ts';
import type { MCPServer } from '../manifest/types.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './limits.ts';
import { routeFromServer, type Route } from './route.ts';

/** The route table. See the module comment for matching rules. */
export class RouteTable {
  readonly #defaults: ServerLimits;
  #byName = new Map<string, Route>();
  #byKey = new Map<string, Route[]>();
  /** routing.host → how many servers of the table name it (the edge allows these hosts). */
  #hosts = new Map<string, number>();
  #synced = false;

  /**
   * `defaults`: the limits of a server whose manifest sets none (`spec.gateway`);
   * each one absent is the gateway's built-in default (4 MiB bodies, 60 s to answer).
   */
  constructor(defaults: Partial<ServerLimits> = {}) {
    this.#defaults = { ...DEFAULT_SERVER_LIMITS, ...defaults };
  }

  /** True once a full list has been loaded; before that a miss may just mean "not loaded yet". */
  get synced(): boolean {
    return this.#synced;
  }

  /** Number of servers known (routable or not). */
  get size(): number {
    return this.#byName.size;
  }

  /** Replaces the whole table with these servers (after a list or relist) and marks it synced. */
  replaceAll(servers: readonly MCPServer[]): void {
    const byName = new Map<string, Route>();
    for (const s of servers) if (s.kind === 'MCPServer') byName.set(s.metadata.name, routeFromServer(s, this.#defaults));
    const byKey = new Map<string, Route[]>();
    const hosts = new Map<string, number>();
    for (const r of byName.values()) {
      insertSorted(byKey, r);
      countHost(hosts, r, 1);
    }
    this.#byName = byName;
    this.#byKey = byKey;
    this.#hosts = hosts;
    this.#synced = true;
  }

  /** Marks the table as holding a full list (the informer's first list has been applied). */
  markSynced(): void {
    this.#synced = true;
  }

  /**
   * Applies one change of a server. A change older than the route already held
   * (by resourceVersion) is ignored, so replaying one is harmless.
   */
  apply(event: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: MCPServer }): void {
    const server = event.object;
    if (server.kind !== 'MCPServer') return;
    const name = server.metadata.name;
    const old = this.#byName.get(name);
    if (old && Number(old.resourceVersion) > Number(server.metadata.resourceVersion ?? 0)) return;
    if (old) {
      removeFrom(this.#byKey, old);
      countHost(this.#hosts, old, -1);
    }
    if (event.type === 'DELETED') {
      this.#byName.delete(name);
      return;
    }
    const route = routeFromServer(server, this.#defaults);
    this.#byName.set(name, route);
    insertSorted(this.#byKey, route);
    countHost(this.#hosts, route, 1);
  }

  /**
   * True when a server of the table (routable or not) is routed at host `name`
   * (its `routing.host`; normalised as the route rule does: lower case, no
   * trailing dot, no port).
   * @example table.hasHost('sales.example.com') // true when a server has routing.host: Sales.Example.com
   */
  hasHost(name: string): boolean {
    return this.#hosts.has(name);
  }

  /**
   * The route serving `pathname` for a request with this Host header, or undefined.
   * `pathname` must not contain the query string.
   */
  lookup(pathname: string, hostHeader: string | undefined): Route | undefined {
    const request = routeRequest(pathname, hostHeader);
    const candidates = this.#byKey.get(request.key);
    if (!candidates) return undefined;
    let fallback: Route | undefined;
    for (const r of candidates) {
      const match = routeMatch(r, request);
      if (match === 'host') return r;
      if (match === 'path') fallback ??= r;
    }
    return fallback;
  }

  /** The route of a server by name. */
  get(name: string): Route | undefined {
    return this.#byName.get(name);
  }

  /** All routes, by name order. */
  routes(): Route[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Routes that lose a path/host tie to another server: `[loser, winner]` pairs. */
  conflicts(): Array<[Route, Route]> {
    const out: Array<[Route, Route]> = [];
    for (const list of this.#byKey.values()) {
      const seen = new Map<string, Route>();
      for (const r of list) {
        const key = r.host ?? '';
        const winner = seen.get(key);
        if (winner) out.push([r, winner]);
        else seen.set(key, r);
      }
    }
    return out;
  }
}

function countHost(hosts: Map<string, number>, route: Route, delta: 1 | -1): void {
  if (route.host === undefined) return;
  const n = (hosts.get(route.host) ?? 0) + delta;
  if (n > 0) hosts.set(route.host, n);
  else hosts.delete(route.host);
}

function insertSorted(byKey: Map<string, Route[]>, route: Route): void {
  const list = byKey.get(route.key);
  if (!list) {
    byKey.set(route.key, [route]);
    return;
  }
  // New array: a lookup in progress elsewhere never sees a half-updated list.
  const next = [...list, route].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  byKey.set(route.key, next);
}

function removeFrom(byKey: Map<string, Route[]>, route: Route): void {
  const list = byKey.get(route.key);
  if (!list) return;
  const next = list.filter((r) => r.name !== route.name);
  if (next.length === 0) byKey.delete(route.key);
  else byKey.set(route.key, next);
}
