/**
 * Tokens already verified, so an agent's second request with the same token costs
 * a Map lookup and a time comparison instead of a signature check. Bounded (the
 * least recently used go first, approximately: see {@link VerifiedTokenCache.set})
 * and time-limited: an entry is dropped at the deadline it was stored with, which
 * the verifier sets no later than the token's `exp`. Only successes are stored; a
 * refusal is decided afresh each time, so a fixed clock or a rotated key takes
 * effect at once.
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
  // Insertion order is eviction order. A hit only marks its entry used: moving it to the back
  // (delete + set) on every hit costs V8's Map a rehash every few operations once it holds
  // thousands of entries (8 µs a hit at 2,800), while eviction is rare and pays for the move.
  readonly #entries = new Map<string, Entry<V>>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, not ${maxEntries}`);
    this.#max = maxEntries;
  }

  /** The value stored for `token` when `now` (epoch ms) is before its deadline; an expired entry is removed. */
  get(token: string, now: number): V | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.#entries.delete(token);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  /**
   * Stores `value` for `token` until epoch ms `until`; nothing when that has
   * passed. Beyond the bound, evicts the oldest entry not used since it was
   * stored or last spared (second chance: a used one is moved to the back, unmarked).
   */
  set(token: string, value: V, until: number, now: number): void {
    if (now >= until) return;
    this.#entries.delete(token);
    this.#entries.set(token, { value, until, used: false });
    while (this.#entries.size > this.#max) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      if (entry.used && now < entry.until) {
        entry.used = false;
        this.#entries.set(oldest, entry);
      }
    }
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

interface Entry<V> {
  readonly value: V;
  readonly until: number;
  /** Read since stored or since last spared from eviction. */
  used: boolean;
}
