/**
 * CSRF tokens for dashboard sessions: the HMAC-SHA256 of the session's token id
 * under a key this registry process draws at start. A page from another origin
 * can make the browser send the session cookie, but it cannot read
 * `GET /ui/session` (same-origin policy), so it cannot learn this value, and a
 * cookie-authenticated write without it is refused. The key never leaves the
 * process and is never logged; a restart draws a new one, and the page reads the
 * current value from `GET /ui/session` when it loads.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header a cookie-authenticated write carries. */
export const CSRF_HEADER = 'x-berth-csrf';

/** A per-process CSRF key (opaque: it has no accessor for the key). */
export class CsrfKey {
  readonly #key: Buffer;

  /** @param key 32 random bytes by default; a test may pass its own */
  constructor(key: Buffer = randomBytes(32)) {
    this.#key = key;
  }

  /** The CSRF token of the session `sessionId`: base64url of HMAC-SHA256(key, id). */
  tokenFor(sessionId: string): string {
    return createHmac('sha256', this.#key).update(sessionId).digest('base64url');
  }

  /** Whether `presented` is the CSRF token of `sessionId`, compared in constant time. */
  verify(sessionId: string, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(this.tokenFor(sessionId));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Keeps the key out of logs and `console.log` output. */
  toJSON(): string {
    return '<csrf key>';
  }
}
