/**
 * Injectable misbehaviour: random throttling and server errors (seeded, so a
 * failing run replays exactly), one-shot faults aimed at one operation (for
 * crash-safety tests: "the write happened but the response was lost"),
 * simulated call latency, and a read-after-write visibility delay.
 */

/** What a fault does to one call. */
export type FaultKind = 'throttle' | 'server-error';

/** Random faults applied to every call (or to the operations listed). */
export interface FaultSettings {
  /** Probability in [0, 1] that a call is rejected as throttled before it runs. */
  throttleRate?: number;
  /** Probability in [0, 1] that a call fails with a 5xx before it runs. */
  serverErrorRate?: number;
  /** PRNG seed; the same seed and call sequence give the same faults. Default 1. */
  seed?: number;
  /** Limit random faults to these operations (e.g. `['CreateService']`); default all. */
  operations?: readonly string[];
  /** Simulated time each call takes; the fake's clock moves by this much per call when it owns the clock. */
  latencyMs?: number;
  /**
   * Read-after-write delay: a resource created less than this long ago is not yet
   * returned by Describe/List calls (writes already see it). Default 0.
   */
  readAfterWriteDelayMs?: number;
}

/** A fault aimed at the next matching call(s). */
export interface TargetedFault {
  operation: string;
  kind: FaultKind;
  /**
   * 'before': the call fails and changes nothing. 'after': the call's effect is
   * applied, then the caller sees the error (a lost response; tests idempotency).
   * Default 'before'.
   */
  when?: 'before' | 'after';
  /** How many matching calls to hit. Default 1. */
  times?: number;
}

/** The decision for one call. */
export interface FaultDecision {
  kind: FaultKind;
  when: 'before' | 'after';
}

/**
 * Small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1).
 * @example const next = seededRandom(42); next(); // 0.6011037519201636
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Holds the fault configuration and decides, per call, whether to inject one.
 * @example
 * fake.faults.set({ throttleRate: 0.2, serverErrorRate: 0.05, seed: 7 });
 * fake.faults.failNext({ operation: 'CreateService', kind: 'server-error', when: 'after' });
 */
export class Faults {
  #settings: Required<Omit<FaultSettings, 'operations'>> & { operations?: readonly string[] } = {
    throttleRate: 0,
    serverErrorRate: 0,
    seed: 1,
    latencyMs: 0,
    readAfterWriteDelayMs: 0,
  };
  #random = seededRandom(1);
  readonly #targeted: Array<Required<TargetedFault>> = [];

  /** Replaces the random-fault settings (unset fields return to their defaults) and reseeds. */
  set(settings: FaultSettings): void {
    for (const [name, rate] of [['throttleRate', settings.throttleRate], ['serverErrorRate', settings.serverErrorRate]] as const) {
      if (rate !== undefined && !(rate >= 0 && rate <= 1)) throw new RangeError(`faults.${name} must be within [0, 1], got ${rate}`);
    }
    this.#settings = {
      throttleRate: settings.throttleRate ?? 0,
      serverErrorRate: settings.serverErrorRate ?? 0,
      seed: settings.seed ?? 1,
      latencyMs: settings.latencyMs ?? 0,
      readAfterWriteDelayMs: settings.readAfterWriteDelayMs ?? 0,
      ...(settings.operations ? { operations: [...settings.operations] } : {}),
    };
    this.#random = seededRandom(this.#settings.seed);
  }

  /** Turns every fault off (random and targeted). */
  clear(): void {
    this.set({});
    this.#targeted.length = 0;
  }

  /** Queues a fault for the next `times` calls of `operation`. */
  failNext(fault: TargetedFault): void {
    this.#targeted.push({ when: 'before', times: 1, ...fault });
  }

  /** Simulated latency per call, in ms. */
  get latencyMs(): number {
    return this.#settings.latencyMs;
  }

  /** Read-after-write visibility delay, in ms. */
  get readAfterWriteDelayMs(): number {
    return this.#settings.readAfterWriteDelayMs;
  }

  /** Decides the fault for one call of `operation`, consuming PRNG draws deterministically. */
  decide(operation: string): FaultDecision | undefined {
    const index = this.#targeted.findIndex((f) => f.operation === operation);
    if (index >= 0) {
      const fault = this.#targeted[index]!;
      fault.times -= 1;
      if (fault.times <= 0) this.#targeted.splice(index, 1);
      return { kind: fault.kind, when: fault.when };
    }
    const { throttleRate, serverErrorRate, operations } = this.#settings;
    if (throttleRate === 0 && serverErrorRate === 0) return undefined;
    if (operations && !operations.includes(operation)) return undefined;
    const draw = this.#random();
    if (draw < throttleRate) return { kind: 'throttle', when: 'before' };
    if (draw < throttleRate + serverErrorRate) return { kind: 'server-error', when: 'before' };
    return undefined;
  }
}
