/**
 * The gateway's route table: path (+ optional host) → Route, kept in step with
 * the registry by an informer ({@link followRegistry}, follow-registry.ts).
 *
 * Matching: MCP endpoints are single URLs, so a route matches its path EXACTLY
 * (query string ignored, trailing slashes ignored) — no prefix matching, so
 * `/mcp/a` never captures `/mcp/ab` or `/mcp/a/x`. When several servers claim the
 * same path, a route with a matching `host` wins over one without; among equals,
 * the lowest name wins (deterministic, and the loser is visible via `conflicts()`).
 *
 * Updates are synchronous map writes on Node's single thread, so a request sees
 * either the old or the new route, never a mix; `replaceAll` builds fresh maps and
 * swaps them in one assignment.
 *
 * @example
 * const table = new RouteTable();
 * table.replaceAll(list.items as MCPServer[]);
 * table.apply({ type: 'MODIFIED', object: quote });
 * table.lookup('/mcp/quote', 'gateway.local:8080'); // Route | undefined
 */
import type { MCPServer } from '../manifest/types.ts';
import { normalisePath, routeFromServer, type Route } from './route.ts';

/** The route table. See the module comment for matching rules. */
export class RouteTable {
  #byName = new Map<string, Route>();
  #byPath = new Map<string, Route[]>();
  #synced = false;

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
    for (const s of servers) if (s.kind === 'MCPServer') byName.set(s.metadata.name, routeFromServer(s));
    const byPath = new Map<string, Route[]>();
    for (const r of byName.values()) insertSorted(byPath, r);
    this.#byName = byName;
    this.#byPath = byPath;
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
    if (old) removeFrom(this.#byPath, old);
    if (event.type === 'DELETED') {
      this.#byName.delete(name);
      return;
    }
    const route = routeFromServer(server);
    this.#byName.set(name, route);
    insertSorted(this.#byPath, route);
  }

  /**
   * The route serving `pathname` for a request with this Host header, or undefined.
   * `pathname` must not contain the query string.
   */
  lookup(pathname: string, hostHeader: string | undefined): Route | undefined {
    const candidates = this.#byPath.get(pathname) ?? this.#byPath.get(normalisePath(pathname));
    if (!candidates) return undefined;
    // Fast path: one server, no host rule.
    const first = candidates[0]!;
    if (candidates.length === 1 && first.host === undefined) return first;
    const host = hostHeader ? stripPort(hostHeader).toLowerCase() : '';
    let fallback: Route | undefined;
    for (const r of candidates) {
      if (r.host === undefined) fallback ??= r;
      else if (r.host === host) return r;
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
    for (const list of this.#byPath.values()) {
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

function stripPort(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function insertSorted(byPath: Map<string, Route[]>, route: Route): void {
  const list = byPath.get(route.path);
  if (!list) {
    byPath.set(route.path, [route]);
    return;
  }
  // New array: a lookup in progress elsewhere never sees a half-updated list.
  const next = [...list, route].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  byPath.set(route.path, next);
}

function removeFrom(byPath: Map<string, Route[]>, route: Route): void {
  const list = byPath.get(route.path);
  if (!list) return;
  const next = list.filter((r) => r.name !== route.name);
  if (next.length === 0) byPath.delete(route.path);
  else byPath.set(route.path, next);
}
