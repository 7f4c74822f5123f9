/**
 * Watch stream slots: at most `max` streams open on this registry instance, and
 * at most `perToken` for any one token. Each stream holds a socket, a store
 * waiter and buffers; without the per-token bound one reader token could take
 * nearly every slot and lock the reconciler and the gateway out of watching.
 *
 * @example
 * const release = slots.take(principal.tokenId); // throws 429 or 503 when full
 * try { … stream … } finally { release(); }
 */
import { RegistryError } from '../../client/errors.ts';

/** Default cap on concurrent watch streams per token on one registry instance. */
export const DEFAULT_MAX_WATCHERS_PER_TOKEN = 16;

/** Counts open watch streams, in total and per token. */
export class WatchSlots {
  readonly #max: number;
  readonly #perToken: number;
  #open = 0;
  readonly #byToken = new Map<string, number>();

  constructor(opts: { max: number; perToken: number }) {
    this.#max = opts.max;
    this.#perToken = opts.perToken;
  }

  /**
   * Takes a slot for `tokenId` synchronously (so a burst can't all pass the check)
   * and returns its release function, which is idempotent.
   * @throws RegistryError 503 (`too-many-watchers`) when the instance is full (checked
   *   first: no token is at fault then); 429 (`too-many-watchers-for-token`) when this
   *   token already holds `perToken` streams
   */
  take(tokenId: string): () => void {
    const mine = this.#byToken.get(tokenId) ?? 0;
    if (this.#open >= this.#max) {
      throw new RegistryError(503, {
        type: 'too-many-watchers',
        title: 'Too many watch streams',
        detail: `this registry already serves ${this.#max} watch streams; retry later or watch through another replica`,
        headers: { 'retry-after': '5' },
      });
    }
    if (mine >= this.#perToken) {
      throw new RegistryError(429, {
        type: 'too-many-watchers-for-token',
        title: 'Too many watch streams for this token',
        detail: `token ${tokenId} already holds ${mine} watch streams on this registry, the most one token may (--max-watchers-per-token ${this.#perToken}); close streams you no longer need, or use one watch per kind`,
        headers: { 'retry-after': '5' },
      });
    }
    this.#open++;
    this.#byToken.set(tokenId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const left = (this.#byToken.get(tokenId) ?? 1) - 1;
      if (left <= 0) this.#byToken.delete(tokenId);
      else this.#byToken.set(tokenId, left);
    };
  }
}
