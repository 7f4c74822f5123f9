/**
 * The proxy's sessions, with no session table: a request's `Mcp-Session-Id` is a
 * sealed id (session-seal.ts) saying which upstream session it stands for, which
 * endpoint holds it and who opened it, so any gateway replica holding the keys
 * routes it to the right endpoint with the upstream's own id. Requests without a
 * session (an `initialize`, or a server that keeps none) are spread round-robin
 * over the server's endpoints; the session id an upstream creates is sealed on its
 * way back.
 *
 * Opened ids are cached (bounded, oldest first out), so a busy session costs a map
 * lookup rather than an AES-GCM open per request. Insertion order, not recency: a
 * hit then costs one lookup, and a session pushed out is opened again once.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Route, UpstreamTarget } from './route.ts';
import type { SessionKeys } from './session-keys.ts';
import { endpointHash, openSessionId, sealSessionId, subjectHash } from './session-seal.ts';

/**
 * A sealed id that opened for a server. Immutable but for a memo of the one
 * subject seen to match, so checking the caller of a busy session hashes nothing.
 */
export class OpenedSession {
  /** The server (route name) it was issued for. */
  readonly server: string;
  /** The upstream's own session id, sent upstream in place of the sealed one. */
  readonly upstreamId: string;
  /** Hash of the endpoint URL holding the session. */
  readonly endpoint: Buffer;
  /** When it was issued (Unix seconds). */
  readonly issuedAt: number;
  readonly #subject: Buffer | undefined;
  #matched: string | undefined;
  /** The route and target last resolved for it: routes are immutable, so this holds until the route changes. */
  #resolved: { route: Route; target: UpstreamTarget | undefined } | undefined;

  constructor(server: string, upstreamId: string, endpoint: Buffer, subject: Buffer | undefined, issuedAt: number) {
    this.server = server;
    this.upstreamId = upstreamId;
    this.endpoint = endpoint;
    this.#subject = subject;
    this.issuedAt = issuedAt;
  }

  /** True when the caller with this identity subject opened the session (never for one opened on an ungoverned gateway). */
  openedBy(subject: string): boolean {
    if (this.#subject === undefined) return false;
    if (subject === this.#matched) return true;
    if (!timingSafeEqual(subjectHash(subject), this.#subject)) return false;
    this.#matched = subject;
    return true;
  }

  /** The target of `route` holding the session, or undefined when the route no longer has that endpoint. */
  targetIn(route: Route): UpstreamTarget | undefined {
    const known = this.#resolved;
    if (known !== undefined && known.route === route) return known.target;
    const target = route.targets.find((t) => endpointHash(t.url).equals(this.endpoint));
    this.#resolved = { route, target };
    return target;
  }
}

/** What a request's `Mcp-Session-Id` turned out to be. */
export type SessionLookup =
  /** A session of this server whose endpoint is still routed: send it there. */
  | { kind: 'open'; id: string; session: OpenedSession; target: UpstreamTarget }
  /** A session of this server held by an endpoint the server no longer routes to: the client must start over. */
  | { kind: 'endpoint-gone'; id: string; session: OpenedSession }
  /** Not a session id this gateway issued for this server (made up, tampered with, another server's, a retired key's). */
  | { kind: 'unknown'; id: string };

/** A {@link SessionLookup} that may be forwarded. */
export type OpenSession = Extract<SessionLookup, { kind: 'open' }>;

/**
 * Why a session id that did not lead to an open session is answered 404, in
 * words for the client (MCP: a 404 tells it to start a new session).
 * @example sessionMissMessage('crm', { kind: 'unknown', id }) // `session … is not known to this gateway; start a new session (initialize)`
 */
export function sessionMissMessage(server: string, miss: Exclude<SessionLookup, OpenSession>): string {
  if (miss.kind === 'endpoint-gone') {
    return `session ${miss.id} is held by an endpoint server "${server}" no longer routes to (redeployed or moved); start a new session (initialize)`;
  }
  return `session ${miss.id} is not known to this gateway; start a new session (initialize)`;
}

/** Options of {@link SessionIds}. */
export interface SessionIdsOptions {
  /** The keys shared by the gateway's replicas. */
  keys: SessionKeys;
  /** Opened ids kept; default 10,000. */
  maxCached?: number;
  /** Unix seconds now; injectable for tests. */
  nowSeconds?: () => number;
}

/**
 * The sessions of one proxy.
 * @example
 * const sessions = new SessionIds({ keys });
 * const found = sessions.lookup(route, req.headers['mcp-session-id']);      // per request with a session id
 * const target = found?.kind === 'open' ? found.target : sessions.spread(route);
 * const id = sessions.issue(route, upstreamSessionId, target, who?.subject); // on the response that created it
 */
export class SessionIds {
  readonly #keys: SessionKeys;
  readonly #max: number;
  readonly #now: () => number;
  readonly #opened = new Map<string, OpenedSession>();
  #next = 0;

  constructor(opts: SessionIdsOptions) {
    this.#keys = opts.keys;
    this.#max = opts.maxCached ?? 10_000;
    this.#now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** What the session id `id`, presented on a request for `route`, stands for. */
  lookup(route: Route, id: string): SessionLookup {
    let session = this.#opened.get(id);
    if (session === undefined || session.server !== route.name) {
      const seal = openSessionId(this.#keys, route.name, id);
      if (seal === undefined) return { kind: 'unknown', id };
      session = new OpenedSession(route.name, seal.upstreamSessionId, seal.endpoint, seal.subject, seal.issuedAt);
      this.#remember(id, session);
    }
    const target = session.targetIn(route);
    return target === undefined ? { kind: 'endpoint-gone', id, session } : { kind: 'open', id, session, target };
  }

  /**
   * The id to give the client for the upstream session `upstreamId` that `target`
   * of `route` created: sealed with the opener's identity `subject` (undefined on
   * an ungoverned gateway).
   */
  issue(route: Route, upstreamId: string, target: UpstreamTarget, subject: string | undefined): string {
    const endpoint = endpointHash(target.url);
    const subjectSeal = subject === undefined ? undefined : subjectHash(subject);
    const issuedAt = this.#now();
    const id = sealSessionId(this.#keys, route.name, { upstreamSessionId: upstreamId, endpoint, subject: subjectSeal, issuedAt });
    // The opener's next request opens nothing.
    this.#remember(id, new OpenedSession(route.name, upstreamId, endpoint, subjectSeal, issuedAt));
    return id;
  }

  /** Drops `id` from the cache (the session ended): only memory is freed; the id itself stays authentic. */
  forget(id: string): void {
    this.#opened.delete(id);
  }

  /** The endpoint of `route` for a request that belongs to no session: round-robin; undefined when it has none. */
  spread(route: Route): UpstreamTarget | undefined {
    const targets = route.targets;
    if (targets.length <= 1) return targets[0];
    this.#next = (this.#next + 1) % targets.length;
    return targets[this.#next];
  }

  #remember(id: string, session: OpenedSession): void {
    this.#opened.set(id, session);
    if (this.#opened.size > this.#max) this.#opened.delete(this.#opened.keys().next().value!);
  }
}
