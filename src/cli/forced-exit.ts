/**
 * What must still happen when the user insists (a second Ctrl-C or SIGTERM):
 * the process then exits at once, without the graceful shutdown, so anything
 * that would outlive it — server process groups of the local runtime — is
 * killed here, synchronously, first.
 */

const hooks = new Set<() => void>();

/**
 * Registers a synchronous hook run just before a forced exit. Returns a function
 * that unregisters it (call it once the graceful shutdown made it unnecessary).
 * @example const off = onForcedExit(() => local.killNow()); … off();
 */
export function onForcedExit(hook: () => void): () => void {
  hooks.add(hook);
  return () => void hooks.delete(hook);
}

/** Runs every registered hook; one that throws does not stop the others. */
export function runForcedExitHooks(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // The process is exiting; the next hook still deserves its chance.
    }
  }
}
