/**
 * The mass-deletion guard (see ecs-reconciler-notes.md, Ownership): a bad merge
 * that empties the manifests folder, or a `--prune` against the wrong folder,
 * must not tear down a whole fleet in one resync — nor a few servers a minute
 * until nothing is left.
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
 * - Shrink refusal (optional, `maxFraction`): a prune is an *episode* that
 *   begins with the first retirement request while none is under way; its
 *   baseline is the fleet size then (the servers this provider manages, as last
 *   listed), i.e. before anything of the prune was retired. At most
 *   ⌊baseline × maxFraction⌋ retirements start in the episode; every one asked
 *   beyond that is HELD, and once anything is held every further request is
 *   held too. A hold never lapses by itself — not when the fleet shrinks below
 *   `minFleet`, not as time passes — only when an operator acts: a raised (or
 *   removed) `maxRetirementFraction` in the environment config (a restarted
 *   reconciler), or the server's manifest coming back (a deploy pass).
 *   The exemption for small fleets (`minFleet`, default 4) is judged on the
 *   baseline, never on the fleet left.
 *
 * Holds survive a restarted reconciler: the provider records each one on the
 * server's ECS service as a {@link HoldRecord} tag and hands it back through
 * {@link RetirementGuard.restoreHold} / {@link RetirementGuard.noteFleet}.
 * A hold recorded under a lower fraction than the one now configured is the
 * operator's release and is dropped; the servers are judged again as a new
 * episode whose baseline is the fleet as it is now (never more lenient than
 * the new fraction).
 *
 * @example
 * const guard = new RetirementGuard({ maxPerWindow: 2, maxFraction: 0.5, now: Date.now });
 * guard.noteFleet(['a', 'b', 'c', 'd', 'e']);
 * guard.admit('a'); guard.admit('b'); // { admitted: true } twice
 * guard.admit('c');                   // { admitted: false, hold: { baseline: 5, fraction: 0.5, … }, reason: '…' }
 */

/** Options of {@link RetirementGuard}. */
export interface RetirementGuardOptions {
  /** Retirements that may start per window. */
  maxPerWindow: number;
  /** At most this fraction of the fleet (before the prune began) retires per episode; off when undefined. */
  maxFraction?: number;
  /** Baselines smaller than this are exempt from the fraction rule. Default 4. */
  minFleet?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Epoch ms. */
  now: () => number;
  /** Words naming the config to change in refusal messages, e.g. `environment "dev"`. */
  where?: string;
}

/** What a hold remembers; persisted on the held server's service (see {@link formatHold}). */
export interface HoldRecord {
  /** Fleet size before the prune began. */
  baseline: number;
  /** maxRetirementFraction in force when the server was held. */
  fraction: number;
  /** RFC 3339 time the server was first held. */
  since: string;
}

/** The guard's answer for one retirement pass. `hold` is set when the refusal lasts until an operator acts. */
export type RetirementAdmission = { admitted: true } | { admitted: false; retryAfterMs: number; reason: string; hold?: HoldRecord };

/** Counts retirement starts and requests; see the module comment. */
export class RetirementGuard {
  readonly #o: RetirementGuardOptions;
  readonly #windowMs: number;
  /** When each admitted retirement started (pruned to the window). */
  #starts: number[] = [];
  /** Servers whose retirement was admitted and has not been replaced by a deploy since. */
  readonly #inProgress = new Set<string>();
  /** Servers held by the fraction rule, until an operator acts. */
  readonly #held = new Map<string, HoldRecord>();
  /** The prune under way: its baseline, how many retirements it started, when it last saw a request. */
  #episode: { baseline: number; admitted: number; lastRequest: number } | undefined;
  #fleetSize: number | undefined;

  constructor(opts: RetirementGuardOptions) {
    this.#o = opts;
    this.#windowMs = opts.windowMs ?? 60_000;
  }

  /**
   * Records the servers the provider manages (from listManaged) and the holds
   * found on them; servers no longer there are fully retired.
   */
  noteFleet(names: readonly string[], holds: ReadonlyMap<string, HoldRecord> = new Map()): void {
    this.#fleetSize = names.length;
    const present = new Set(names);
    for (const name of this.#inProgress) if (!present.has(name)) this.#inProgress.delete(name);
    for (const name of this.#held.keys()) if (!present.has(name)) this.#held.delete(name);
    for (const [name, hold] of holds) if (present.has(name)) this.restoreHold(name, hold);
  }

  /**
   * A hold found recorded for `server` (a restarted reconciler). `held`: it
   * holds again; `released`: the operator has since raised or removed the
   * fraction; `started`: this guard already let the server's retirement start.
   */
  restoreHold(server: string, hold: HoldRecord): 'held' | 'released' | 'started' {
    const max = this.#o.maxFraction;
    if (this.#inProgress.has(server)) return 'started';
    if (max === undefined || hold.fraction < max) return 'released';
    if (!this.#held.has(server)) this.#held.set(server, hold);
    const ep = this.#episode;
    // Restored without its history: count the whole allowance as used, so a restart never frees more.
    const used = Math.floor(hold.baseline * max);
    if (ep === undefined) this.#episode = { baseline: hold.baseline, admitted: used, lastRequest: this.#o.now() };
    else {
      ep.baseline = Math.max(ep.baseline, hold.baseline);
      ep.admitted = Math.max(ep.admitted, used);
    }
    return 'held';
  }

  /** A deploy pass for `server`: it no longer wants to retire (the operator brought its manifest back). */
  forget(server: string): void {
    this.#inProgress.delete(server);
    this.#held.delete(server);
  }

  /** The hold on `server`, if it is held. */
  holdOf(server: string): HoldRecord | undefined {
    return this.#held.get(server);
  }

  /** May a destructive retirement pass for `server` run now? */
  admit(server: string): RetirementAdmission {
    const now = this.#o.now();
    this.#starts = this.#starts.filter((t) => t > now - this.#windowMs);
    if (this.#inProgress.has(server)) return { admitted: true };

    const maxFraction = this.#o.maxFraction;
    if (maxFraction !== undefined) {
      const refusal = this.#fractionRule(server, maxFraction, now);
      if (refusal !== undefined) return refusal;
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
    if (this.#episode !== undefined) this.#episode.admitted++;
    return { admitted: true };
  }

  /** The shrink refusal; undefined lets the rate cap decide. */
  #fractionRule(server: string, maxFraction: number, now: number): RetirementAdmission | undefined {
    let ep = this.#episode;
    // An episode ends once nothing is held, nothing is under way and nothing asked for a window.
    if (ep !== undefined && this.#held.size === 0 && this.#inProgress.size === 0 && now - ep.lastRequest > this.#windowMs) ep = this.#episode = undefined;
    if (ep === undefined) {
      // Without a listing the fleet is unknown: the rate cap alone applies until the first one.
      if (this.#fleetSize === undefined) return undefined;
      ep = this.#episode = { baseline: this.#fleetSize, admitted: 0, lastRequest: now };
    }
    ep.lastRequest = now;
    const allowed = Math.floor(ep.baseline * maxFraction);
    const existing = this.#held.get(server);
    const others = [...this.#held.keys()].filter((n) => n !== server);
    let why: string | undefined;
    if (existing !== undefined) why = `held since ${existing.since}`;
    else if (others.length > 0) why = `${others.length} other retirement(s) of this prune are already held (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})`;
    else if (ep.baseline >= (this.#o.minFleet ?? 4) && ep.admitted + 1 > allowed) {
      why = `${ep.admitted} of the ${ep.baseline} servers managed before this prune began have already started retiring, the most maxRetirementFraction ${maxFraction} allows`;
    }
    if (why === undefined) return undefined;
    const hold: HoldRecord = existing ?? { baseline: ep.baseline, fraction: maxFraction, since: new Date(now).toISOString() };
    this.#held.set(server, hold);
    return {
      admitted: false,
      retryAfterMs: this.#windowMs,
      hold,
      reason:
        `mass-deletion guard: retirement of ${server} held until an operator acts: ${why}. ` +
        `To let the held servers go, raise maxRetirementFraction (now ${maxFraction}) in the ${this.#o.where ?? 'environment'} config and restart the reconciler; ` +
        `to keep ${server}, apply its manifest again`,
    };
  }
}

/** Tag on a held server's ECS service recording its {@link HoldRecord}, so a restarted reconciler keeps holding. */
export const HOLD_TAG = 'berth:retirement-held';

/** Tag value of a hold, within AWS's tag character set: `baseline=5 fraction=0.5 since=2026-12-06T05:00:00.000Z`. */
export function formatHold(h: HoldRecord): string {
  return `baseline=${h.baseline} fraction=${h.fraction} since=${h.since}`;
}

/** Parses {@link formatHold}'s output; undefined for anything else (a tag edited by hand is ignored). */
export function parseHold(value: string | undefined): HoldRecord | undefined {
  const m = /^baseline=(\d+) fraction=([0-9.]+) since=(\S+)$/.exec(value ?? '');
  if (m === null) return undefined;
  const baseline = Number(m[1]);
  const fraction = Number(m[2]);
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) return undefined;
  return { baseline, fraction, since: m[3]! };
}
