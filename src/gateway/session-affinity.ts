/**
 * Mcp-Session-Id affinity: a session lives in one upstream process, so every
 * request of a session must reach the endpoint that created it. With one
 * endpoint per server (today) there is nothing to choose and nothing is
 * remembered; with several (replicas, later) new sessions are spread round-robin
 * and remembered until DELETE or until the bounded memory evicts the oldest.
 */
import type { Route, UpstreamTarget } from './route.ts';

/** Chooses the upstream endpoint of a request and learns sessions from responses. */
export interface SessionAffinity {
  /** The target for a request of `route` carrying `sessionId` (or none). */
  pick(route: Route, sessionId: string | undefined): UpstreamTarget | undefined;
  /** Records that `target` created `sessionId` (seen on a response). */
  remember(route: Route, sessionId: string, target: UpstreamTarget): void;
  /** Forgets a session (DELETE answered). */
  forget(route: Route, sessionId: string): void;
}

/**
 * Default affinity: bounded insertion-ordered map, round-robin for new sessions.
 * @example const affinity = new MemorySessionAffinity({ maxSessions: 100_000 });
 */
export class MemorySessionAffinity implements SessionAffinity {
  #sessions = new Map<string, string>(); // `${route}\0${session}` → target url
  #next = 0;
  readonly #max: number;

  constructor(opts: { maxSessions?: number } = {}) {
    this.#max = opts.maxSessions ?? 100_000;
  }

  pick(route: Route, sessionId: string | undefined): UpstreamTarget | undefined {
    const targets = route.targets;
    if (targets.length <= 1) return targets[0];
    if (sessionId !== undefined) {
      const url = this.#sessions.get(`${route.name}\0${sessionId}`);
      const known = url === undefined ? undefined : targets.find((t) => t.url === url);
      if (known) return known;
    }
    this.#next = (this.#next + 1) % targets.length;
    return targets[this.#next];
  }

  remember(route: Route, sessionId: string, target: UpstreamTarget): void {
    if (route.targets.length <= 1) return;
    const key = `${route.name}\0${sessionId}`;
    this.#sessions.delete(key);
    this.#sessions.set(key, target.url);
    if (this.#sessions.size > this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  forget(route: Route, sessionId: string): void {
    this.#sessions.delete(`${route.name}\0${sessionId}`);
  }
}
