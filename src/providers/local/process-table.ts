/** The supervisors one local provider runs, by server name: at most one per server. */
import type { Logger } from 'pino';
import type { Supervisor } from './supervisor.ts';

/**
 * Server name → its supervisor, plus the supervisors a graceful close is still
 * stopping (a forced exit must reach those too). One table per provider.
 */
export class ProcessTable {
  readonly #supervisors = new Map<string, Supervisor>();
  readonly #stopping = new Set<Supervisor>();

  /** The supervisor of `name`, if this provider runs one. */
  get(name: string): Supervisor | undefined {
    return this.#supervisors.get(name);
  }

  /** Whether this provider runs a supervisor for `name`. */
  has(name: string): boolean {
    return this.#supervisors.has(name);
  }

  /** Records `sup` as the supervisor of `name`; the caller has stopped any earlier one. */
  set(name: string, sup: Supervisor): void {
    this.#supervisors.set(name, sup);
  }

  /** Removes and returns the supervisor of `name`, for the caller to stop. */
  take(name: string): Supervisor | undefined {
    const sup = this.#supervisors.get(name);
    if (sup) this.#supervisors.delete(name);
    return sup;
  }

  /** Names of the servers with a supervisor. */
  names(): string[] {
    return [...this.#supervisors.keys()];
  }

  /** Pids the supervisors currently hold (undefined for one between processes). */
  pids(): Set<number | undefined> {
    return new Set([...this.#supervisors.values()].map((s) => s.snapshot().pid));
  }

  /** Empties the table and stops every supervisor's process; a failure is logged, never thrown. */
  async stopAll(logger: Logger): Promise<void> {
    const all = this.#takeAll();
    for (const s of all) this.#stopping.add(s);
    await Promise.all(all.map((s) => s.stop().catch((err: Error) => logger.error({ server: s.name, err }, `could not stop ${s.name}`))));
  }

  /** SIGKILLs every supervised process group at once, including those `stopAll` is still stopping; synchronous. */
  killAll(): void {
    // The stopping ones too: a second Ctrl-C usually lands while a graceful stop is still running.
    for (const s of [...this.#supervisors.values(), ...this.#stopping]) s.killNow();
  }

  /** Empties the table and lets go of every process, leaving it running and recorded. */
  async releaseAll(): Promise<void> {
    await Promise.all(this.#takeAll().map((s) => s.release()));
  }

  #takeAll(): Supervisor[] {
    const all = [...this.#supervisors.values()];
    this.#supervisors.clear();
    return all;
  }
}
