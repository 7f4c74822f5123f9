/**
 * Leader election over the registry's lease, so several reconcilers can run for
 * availability and only one acts.
 *
 * - Tries to take the lease every `retryMs`; once held, renews it every `ttl/3`.
 * - Stops leading at once when a renewal is refused, and also when no renewal has
 *   succeeded for `renewDeadlineMs` (default ⅔ ttl): a leader that cannot reach the
 *   registry steps down before its lease can expire and a standby take over.
 * - `stop()` steps down (awaiting `onStoppedLeading`, which ends in-flight work)
 *   and only then releases the lease, so a standby never overlaps with us.
 *
 * @example
 * const el = new LeaderElector({ registry, leaseName: 'berth-reconciler', holderId: 'host-1', ttlMs: 15_000,
 *   logger, onStartedLeading: () => startWork(), onStoppedLeading: () => stopWork() });
 * el.start();
 */
import type { RegistryClient } from '../client/registry-client.ts';
import { sleep, systemClock, type Clock, type TimerHandle } from '../kit/clock.ts';
import type { ReconcilerLogger } from './logger.ts';

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  registry: Pick<RegistryClient, 'acquireLease' | 'releaseLease'>;
  leaseName: string;
  /** Unique per process (host + pid + random). */
  holderId: string;
  ttlMs: number;
  /** Renew interval while leading; default ttl/3. */
  renewEveryMs?: number;
  /** Acquire attempt interval while standing by; default ttl/3. */
  retryEveryMs?: number;
  /** Step down when no renewal succeeded for this long; default ⅔ ttl. */
  renewDeadlineMs?: number;
  clock?: Clock;
  logger: ReconcilerLogger;
  onStartedLeading: () => void;
  /** Must stop all acting; resolves when in-flight work has ended. */
  onStoppedLeading: () => Promise<void> | void;
}

/** Campaigns for a lease and reports leadership changes. See the module comment. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  readonly #clock: Clock;
  #leader = false;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #deadline: TimerHandle | undefined;
  #stepping: Promise<void> = Promise.resolve();

  constructor(opts: LeaderElectorOptions) {
    if (!(opts.ttlMs > 0)) throw new RangeError(`lease TTL must be > 0 ms (got ${opts.ttlMs})`);
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
  }

  /** True while this process holds the lease and may act. */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Starts campaigning in the background. Idempotent. */
  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  /** Steps down (waiting for work to stop), releases the lease if held, and stops campaigning. */
  async stop(): Promise<void> {
    this.#abort?.abort(new Error('leader election stopped'));
    await this.#loop;
    this.#loop = undefined;
    const wasLeader = this.#leader;
    await this.#stepDown('stopping');
    await this.#stepping;
    if (wasLeader) {
      await this.#o.registry.releaseLease(this.#o.leaseName, this.#o.holderId).catch((err: unknown) => {
        this.#o.logger.warn({ lease: this.#o.leaseName, err }, 'could not release the lease; it expires by itself');
      });
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const ttl = this.#o.ttlMs;
    const renewEvery = this.#o.renewEveryMs ?? Math.max(1, Math.floor(ttl / 3));
    const retryEvery = this.#o.retryEveryMs ?? Math.max(1, Math.floor(ttl / 3));
    while (!signal.aborted) {
      let held: boolean | undefined;
      try {
        held = await this.#o.registry.acquireLease(this.#o.leaseName, this.#o.holderId, ttl);
      } catch (err) {
        this.#o.logger.warn({ lease: this.#o.leaseName, err }, 'lease request failed');
      }
      if (signal.aborted) break;
      if (held === true) {
        this.#armDeadline();
        if (!this.#leader) {
          this.#leader = true;
          this.#o.logger.info({ lease: this.#o.leaseName, holder: this.#o.holderId }, 'became leader');
          this.#o.onStartedLeading();
        }
      } else if (held === false && this.#leader) {
        await this.#stepDown('lease taken by another holder');
      }
      await sleep(this.#clock, this.#leader ? renewEvery : retryEvery, signal).catch(() => undefined);
    }
  }

  #armDeadline(): void {
    if (this.#deadline !== undefined) this.#clock.clearTimeout(this.#deadline);
    const ms = this.#o.renewDeadlineMs ?? Math.floor((this.#o.ttlMs * 2) / 3);
    this.#deadline = this.#clock.setTimeout(() => {
      this.#deadline = undefined;
      void this.#stepDown(`no successful renewal for ${ms} ms`);
    }, ms);
  }

  #stepDown(why: string): Promise<void> {
    if (this.#deadline !== undefined) {
      this.#clock.clearTimeout(this.#deadline);
      this.#deadline = undefined;
    }
    if (!this.#leader) return this.#stepping;
    this.#leader = false;
    this.#o.logger.warn({ lease: this.#o.leaseName, holder: this.#o.holderId, why }, 'stopped leading');
    this.#stepping = Promise.resolve()
      .then(() => this.#o.onStoppedLeading())
      .catch((err: unknown) => {
        this.#o.logger.error({ err }, 'stopping work after losing leadership failed');
      });
    return this.#stepping;
  }
}
