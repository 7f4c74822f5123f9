/**
 * Which caller opened each MCP session (`Mcp-Session-Id`), so a session id
 * presented by another caller is refused: session ids travel in headers and logs,
 * and must not work as bearer tokens for whoever sees one. Bounded: the oldest
 * sessions are forgotten first, and a forgotten session answers 404, which tells
 * an MCP client to start a new session (MCP 2025-11-25, "Session Management").
 */

/** What {@link SessionBindings.check} found. */
export type SessionCheck = 'ok' | 'unknown' | 'other-caller';

/**
 * Session id → the subject of the caller that opened it, per server.
 * @example
 * bindings.bind('quote', sessionId, identity.subject);   // on the response that created it
 * bindings.check('quote', sessionId, identity.subject);  // 'ok' | 'unknown' | 'other-caller'
 */
export class SessionBindings {
  readonly #max: number;
  readonly #owners = new Map<string, string>();

  constructor(opts: { maxSessions?: number } = {}) {
    this.#max = opts.maxSessions ?? 100_000;
  }

  /** Records that `subject` opened `sessionId` on `server`. */
  bind(server: string, sessionId: string, subject: string): void {
    const key = `${server}\u0000${sessionId}`;
    this.#owners.delete(key);
    this.#owners.set(key, subject);
    if (this.#owners.size > this.#max) this.#owners.delete(this.#owners.keys().next().value!);
  }

  /** Whether `subject` may use `sessionId` on `server`. */
  check(server: string, sessionId: string, subject: string): SessionCheck {
    const owner = this.#owners.get(`${server}\u0000${sessionId}`);
    if (owner === undefined) return 'unknown';
    return owner === subject ? 'ok' : 'other-caller';
  }

  /** Forgets a session (ended with DELETE). */
  unbind(server: string, sessionId: string): void {
    this.#owners.delete(`${server}\u0000${sessionId}`);
  }
}
