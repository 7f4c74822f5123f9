/**
 * A value loaded from AWS, kept for a short time and shared by every server
 * observed meanwhile, so a resync of N servers costs one listing instead of N.
 * Writes invalidate it (or patch it from the write's response); a load that started before an invalidation never
 * stores its (possibly stale) result, so a reconciler never mistakes an old
 * listing for the state after its own write.
 */
export class SharedLoad<T> {
  readonly #load: () => Promise<T>;
  readonly #now: () => number;
  readonly #ttlMs: number | ((data: T) => number);
  /** The value, when it was loaded, and how long it is fresh (judged once, when it is stored). */
  #value: { data: T; at: number; ttlMs: number } | undefined;
  #generation = 0;
  #inflight: { generation: number; promise: Promise<T> } | undefined;

  /** `ttlMs` may depend on what was loaded (e.g. a listing that holds nothing of ours may be kept longer). */
  constructor(load: () => Promise<T>, now: () => number, ttlMs: number | ((data: T) => number)) {
    this.#load = load;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** The cached value when fresh, else a (shared) new load. */
  async get(): Promise<T> {
    const value = this.#value;
    if (value !== undefined && this.#now() - value.at < value.ttlMs) return value.data;
    if (this.#inflight !== undefined && this.#inflight.generation === this.#generation) return this.#inflight.promise;
    const generation = this.#generation;
    const promise = this.#load().then(
      (data) => {
        if (generation === this.#generation) this.#value = this.#stored(data, this.#now());
        if (this.#inflight?.promise === promise) this.#inflight = undefined;
        return data;
      },
      (err: unknown) => {
        if (this.#inflight?.promise === promise) this.#inflight = undefined;
        throw err;
      },
    );
    this.#inflight = { generation, promise };
    return promise;
  }

  /**
   * Applies a write Berth just made (and whose response says the new state) to
   * the value kept, instead of forgetting it. The value keeps its load time, so
   * it expires exactly when it would have: changes made by others are seen no
   * later than before. A load in flight may predate the write, so it is
   * discarded as by {@link invalidate}.
   */
  update(apply: (data: T) => T): void {
    if (this.#inflight !== undefined) {
      this.invalidate();
      return;
    }
    if (this.#value !== undefined) this.#value = this.#stored(apply(this.#value.data), this.#value.at);
  }

  /** Forgets the value; loads already running won't store theirs. */
  invalidate(): void {
    this.#generation += 1;
    this.#value = undefined;
  }

  #stored(data: T, at: number): { data: T; at: number; ttlMs: number } {
    return { data, at, ttlMs: typeof this.#ttlMs === 'number' ? this.#ttlMs : this.#ttlMs(data) };
  }
}
