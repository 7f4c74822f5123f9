/**
 * Tokens already verified, so an agent's second request with the same token costs
 * a Map lookup and a time comparison instead of a signature check. Bounded (least
 * recently used entries go first) and time-limited: an entry is dropped at the
 * deadline it was stored with, which the verifier sets no later than the token's
 * `exp`. Only successes are stored; a refusal is decided afresh each time, so a
 * fixed clock or a rotated key takes effect at once.
 */

/**
 * A bounded map from token to verified result with a deadline per entry.
 * @example
 * const cache = new VerifiedTokenCache<Identity>(10_000);
 * cache.set(token, identity, identity.expiresAt, clock.now());
 * cache.get(token, clock.now()); // identity, until expiresAt
 */
export class VerifiedTokenCache<V> {
  readonly #max: number;
  // A Map iterates in insertion order, so re-inserting on use keeps the least recently used first.
  readonly #entries = new Map<string, { value: V; until: number }>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, not ${maxEntries}`);
    this.#max = maxEntries;
  }

  /** The value stored for `token` when `now` (epoch ms) is before its deadline; an expired entry is removed. */
  get(token: string, now: number): V | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (now >= entry.until) return undefined;
    this.#entries.set(token, entry);
    return entry.value;
  }

  /** Stores `value` for `token` until epoch ms `until`; nothing when that has passed. Evicts the least recently used entry beyond the bound. */
  set(token: string, value: V, until: number, now: number): void {
    if (now >= until) return;
    this.#entries.delete(token);
    this.#entries.set(token, { value, until });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Number of entries held, expired ones not yet noticed included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
