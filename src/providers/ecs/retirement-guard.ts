/**
 * The mass-deletion guard (see ecs-reconciler-notes.md, Ownership): a bad merge
 * that empties the manifests folder, or a `--prune` against the wrong folder,
 * must not tear down a whole fleet in one resync.
 *
 * It lives in the ECS provider because that is the one place that sees every
 * retirement of an environment: the reconciler decides per server, but every
 * retirement plan of this environment goes through this provider's `apply`.
 * One reconciler leads per environment, so one guard counts for the fleet.
 *
 * Two rules, both on the provider's clock:
 * - Rate cap: at most `maxPerWindow` retirements START per sliding window
 *   (default 60 s). A retirement starts at its first admitted destructive pass
 *   and then runs to its end without being counted again. Refused ones wait
 *   until a slot frees and then follow.
 * - Shrink refusal (optional): when, within one window, more than
 *   `maxFraction` of the fleet (the servers this provider manages, as last
 *   listed) has asked to retire, every retirement not yet started is refused.
 *   A refused server keeps counting as asking until its manifest comes back (a
 *   deploy pass) or the operator raises the limit (a restarted reconciler), so
 *   the refusal holds instead of leaking through one window later. The first
 *   servers up to the fraction do go: the guard sees requests one at a time.
 *   Fleets smaller than `minFleet` are exempt: retiring 1 of 2 servers is ordinary.
 *
 * @example
 * const guard = new RetirementGuard({ maxPerWindow: 3, now: Date.now });
 * guard.admit('weather'); // { admitted: true }
 * guard.admit('crm');     // … 4th in a minute: { admitted: false, retryAfterMs: 41000, reason: '…' }
 */

/** Options of {@link RetirementGuard}. */
export interface RetirementGuardOptions {
  /** Retirements that may start per window. */
  maxPerWindow: number;
  /** Refuse when more than this fraction of the fleet asks to retire within one window; off when undefined. */
  maxFraction?: number;
  /** Fleets smaller than this are exempt from the fraction rule. Default 4. */
  minFleet?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Epoch ms. */
  now: () => number;
}

/** The guard's answer for one retirement pass. */
export type RetirementAdmission = { admitted: true } | { admitted: false; retryAfterMs: number; reason: string };

/** Counts retirement starts and requests; see the module comment. */
export class RetirementGuard {
  readonly #o: RetirementGuardOptions;
  readonly #windowMs: number;
  /** When each admitted retirement started (pruned to the window). */
  #starts: number[] = [];
  /** Servers whose retirement was admitted and has not been replaced by a deploy since. */
  readonly #inProgress = new Set<string>();
  /** Last time each server asked to retire. */
  readonly #requests = new Map<string, number>();
  /** Servers refused by the fraction rule: they count as asking until forgotten. */
  readonly #held = new Set<string>();
  #fleetSize: number | undefined;

  constructor(opts: RetirementGuardOptions) {
    this.#o = opts;
    this.#windowMs = opts.windowMs ?? 60_000;
  }

  /** Records the servers the provider manages (from listManaged); those no longer there are fully retired. */
  noteFleet(names: readonly string[]): void {
    this.#fleetSize = names.length;
    const present = new Set(names);
    for (const set of [this.#inProgress, this.#held]) for (const name of set) if (!present.has(name)) set.delete(name);
    for (const name of this.#requests.keys()) if (!present.has(name)) this.#requests.delete(name);
  }

  /** A deploy pass for `server`: it no longer wants to retire. */
  forget(server: string): void {
    this.#inProgress.delete(server);
    this.#requests.delete(server);
    this.#held.delete(server);
  }

  /** May a destructive retirement pass for `server` run now? */
  admit(server: string): RetirementAdmission {
    const now = this.#o.now();
    const since = now - this.#windowMs;
    this.#starts = this.#starts.filter((t) => t > since);
    this.#requests.set(server, now);
    for (const [name, at] of this.#requests) if (at <= since && !this.#held.has(name)) this.#requests.delete(name);
    if (this.#inProgress.has(server)) return { admitted: true };

    const fleet = this.#fleetSize;
    const maxFraction = this.#o.maxFraction;
    if (maxFraction !== undefined && fleet !== undefined && fleet >= (this.#o.minFleet ?? 4)) {
      const asking = this.#requests.size;
      if (asking > Math.floor(fleet * maxFraction)) {
        this.#held.add(server);
        return {
          admitted: false,
          retryAfterMs: this.#windowMs,
          reason: `mass-deletion guard: ${asking} of ${fleet} servers asked to retire within ${this.#windowMs / 1000}s, more than maxRetirementFraction ${maxFraction}; nothing more is retired while that lasts. If intended, raise maxRetirementFraction in the environment config, or retire in smaller batches`,
        };
      }
    }
    if (this.#starts.length >= this.#o.maxPerWindow) {
      const retryAfterMs = Math.max(1, this.#starts[0]! + this.#windowMs - now);
      return {
        admitted: false,
        retryAfterMs,
        reason: `mass-deletion guard: ${this.#starts.length} retirements started in the last ${this.#windowMs / 1000}s (maxRetirementsPerMinute ${this.#o.maxPerWindow}); this one starts in ${Math.ceil(retryAfterMs / 1000)}s`,
      };
    }
    this.#starts.push(now);
    this.#inProgress.add(server);
    return { admitted: true };
  }
}
