/**
 * What the stdio bridge's children cost, and whether one more may start: the
 * bridge's sessions as admission sees them, the memory sampler, and the
 * admission loop around the pure decision (session-admission.ts) — wait while
 * the first server is measured, end an idle session to make room, or refuse.
 */
import { SessionRefusedError, type LimitName } from './bridge-errors.ts';
import { treeResidentBytes } from './process-memory.ts';
import { decideAdmission, type AdmissionPolicy, type Refusal, type SessionLoad } from './session-admission.ts';
import type { StdioLimits } from './stdio-limits.ts';

/** A session as capacity sees it: its load and the pid of its child, once spawned. */
export interface MeteredSession extends SessionLoad {
  pid: number | undefined;
}

/** Minimal logger (pino's methods fit). */
export interface CapacityLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of {@link BridgeCapacity}. */
export interface CapacityOptions<S extends MeteredSession> {
  limits: StdioLimits;
  warmupMs: number;
  reclaimIdleAfterMs: number;
  memorySampleMs: number;
  now: () => number;
  logger: CapacityLogger;
  /** Ends a session (to make room); resolves once its child has exited and {@link BridgeCapacity.release} was called. */
  end: (session: S, why: string) => Promise<void>;
}

/** Figures for tests and diagnostics. */
export interface CapacityStats {
  /** Sessions being ended whose child has not exited yet. */
  draining: number;
  /** Children's RSS at the latest sample, bytes. */
  memoryBytes: number;
  /** Largest RSS one session has reached, once measured past warm-up. */
  perSessionBytes: number | undefined;
  /** New sessions refused, by limit. */
  refused: Record<LimitName, number>;
  /** Idle sessions ended to make room. */
  reclaimed: number;
}

/**
 * The bridge's sessions as far as their cost goes.
 * @example
 * const capacity = new BridgeCapacity({ limits, warmupMs: 2000, reclaimIdleAfterMs: 60_000, memorySampleMs: 1000, now: Date.now, logger, end });
 * const session = await capacity.admit(() => newSession()); // or throws SessionRefusedError (503)
 * // … when its child has exited: capacity.release(session)
 */
export class BridgeCapacity<S extends MeteredSession> {
  /** Every session whose child may hold memory: admitted, open, or ending. */
  readonly #sessions = new Set<S>();
  readonly #opts: CapacityOptions<S>;
  readonly #policy: AdmissionPolicy;
  readonly #refused: Record<LimitName, number> = { maxSessions: 0, maxMemoryMiB: 0 };
  readonly #refusalLog = { lastAt: 0, suppressed: 0 };
  #reclaimed = 0;
  #reclaiming = false;
  #measurable = true;
  #lastSampleAt = 0;
  /** A sample older than this is stale whatever its age: something it would see has happened since. */
  #staleBefore = 0;
  #peakSessionBytes = 0;
  #perSessionKnown = false;
  #overLimitLogged = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: CapacityOptions<S>) {
    this.#opts = opts;
    this.#policy = {
      maxSessions: opts.limits.maxSessions,
      maxMemoryBytes: opts.limits.maxMemoryMiB * 1024 * 1024,
      warmupMs: opts.warmupMs,
      reclaimIdleAfterMs: opts.reclaimIdleAfterMs,
    };
    this.#timer = setInterval(() => {
      if (this.#sessions.size > 0) this.sample();
    }, opts.memorySampleMs);
    this.#timer.unref();
  }

  /** Every session counted now. */
  sessions(): S[] {
    return [...this.#sessions];
  }

  /**
   * Admits a new session, made by `create` in the same tick as the decision
   * (so concurrent admissions count it), or throws why not. While the size of
   * one session is still being measured it waits for that; it ends the session
   * idle longest when that makes room, one at a time; after either it decides again.
   * @throws {SessionRefusedError}
   */
  async admit(create: () => S): Promise<S> {
    const { now, limits } = this.#opts;
    for (let round = 0; ; round++) {
      if (now() - this.#lastSampleAt >= this.#opts.memorySampleMs / 4 || this.#lastSampleAt < this.#staleBefore) this.sample();
      const d = decideAdmission(
        { sessions: [...this.#sessions], perSessionBytes: this.#perSessionKnown ? this.#peakSessionBytes : undefined, reclaiming: this.#reclaiming, now: now() },
        this.#policy,
      );
      if (d.verdict === 'admit') {
        const s = create();
        this.#sessions.add(s);
        return s;
      }
      const last = round >= 3;
      if (d.verdict === 'refuse') throw this.#refuse(d);
      if (d.verdict === 'wait') {
        if (last) throw this.#refuse(d.refusal);
        await sleep(Math.max(0, d.untilMs - now()) + 10);
        this.#staleBefore = Math.max(this.#staleBefore, d.untilMs);
        continue;
      }
      if (last) {
        const value = d.limit === 'maxSessions' ? limits.maxSessions : limits.maxMemoryMiB;
        throw this.#refuse({ limit: d.limit, value, message: `the stdio bridge is at its ${d.limit} limit; retry after 1 s`, retryAfterSeconds: 1, facts: {} });
      }
      this.#reclaiming = true;
      this.#reclaimed++;
      try {
        await this.#opts.end(d.session, `idle for ${d.idleSeconds} s, ended to make room for a new session: the bridge is at its ${d.limit} limit`);
      } finally {
        this.#reclaiming = false;
      }
      this.#staleBefore = now();
    }
  }

  /** Stops counting a session: its child has exited (or never started). */
  release(s: S): void {
    this.#sessions.delete(s);
  }

  /** Measures every child's process tree now. */
  sample(): void {
    this.#lastSampleAt = this.#opts.now();
    if (!this.#measurable) return;
    const measured = [...this.#sessions].filter((s) => s.pid !== undefined);
    const rss = treeResidentBytes(measured.map((s) => s.pid!));
    if (!rss) {
      this.#measurable = false;
      this.#policy.maxMemoryBytes = Infinity;
      this.#opts.logger.warn({ maxMemoryMiB: this.#opts.limits.maxMemoryMiB }, 'no /proc to measure memory on this system: the stdio bridge does not enforce maxMemoryMiB');
      return;
    }
    for (const s of measured) {
      const bytes = rss.get(s.pid!);
      if (bytes === undefined) continue; // exited: its last figure counts until it is reaped
      s.rssBytes = bytes;
      this.#peakSessionBytes = Math.max(this.#peakSessionBytes, bytes);
      if (this.#lastSampleAt - s.startedAt >= this.#opts.warmupMs) this.#perSessionKnown = true;
    }
    const total = this.#memoryBytes();
    if (total > this.#policy.maxMemoryBytes && !this.#overLimitLogged) {
      this.#overLimitLogged = true;
      this.#opts.logger.warn(
        { memoryMiB: Math.round(total / 2 ** 20), maxMemoryMiB: this.#opts.limits.maxMemoryMiB, sessions: this.#sessions.size },
        'the stdio servers use more memory than maxMemoryMiB; open sessions keep working, new ones are refused until it drops',
      );
    } else if (total <= this.#policy.maxMemoryBytes) this.#overLimitLogged = false;
  }

  stats(): CapacityStats {
    return {
      draining: [...this.#sessions].filter((s) => s.draining).length,
      memoryBytes: this.#memoryBytes(),
      perSessionBytes: this.#perSessionKnown ? this.#peakSessionBytes : undefined,
      refused: { ...this.#refused },
      reclaimed: this.#reclaimed,
    };
  }

  /** Stops the sampler. */
  close(): void {
    clearInterval(this.#timer);
  }

  #memoryBytes(): number {
    let sum = 0;
    for (const s of this.#sessions) sum += s.rssBytes ?? 0;
    return sum;
  }

  /** Counts and logs a refusal, and returns it as the error the bridge answers with. */
  #refuse(r: Refusal): SessionRefusedError {
    this.#refused[r.limit]++;
    const err = new SessionRefusedError(r.limit, r.value, r.message, r.retryAfterSeconds, r.facts);
    // A flood would write a line per request; one a second, with a count, says the same.
    const t = this.#opts.now();
    if (t - this.#refusalLog.lastAt < 1000) {
      this.#refusalLog.suppressed++;
    } else {
      this.#opts.logger.warn({ limit: r.limit, retryAfterSeconds: r.retryAfterSeconds, alsoRefusedSinceLastLine: this.#refusalLog.suppressed }, `new session refused: ${r.message}`);
      this.#refusalLog.lastAt = t;
      this.#refusalLog.suppressed = 0;
    }
    return err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
