/**
 * Runs async work one at a time per key, in call order, within one process (one
 * server's plan and apply, one gateway route's check and write). A failed run
 * releases the key like a successful one.
 * @example
 * const lock = new KeyedLock();
 * await lock.run('weather', () => applyPlan()); // a second run('weather', …) starts after this one settles
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier run of `key` has settled; resolves or rejects with its result. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#tails.get(key) ?? Promise.resolve()).then(fn);
    const settled = next.catch(() => undefined);
    this.#tails.set(key, settled);
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return next;
  }
}
