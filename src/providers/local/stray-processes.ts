/**
 * Stray processes: marked as this state folder's servers but named by no
 * record and no supervisor, because an earlier Berth died between spawning
 * and recording them. Found once by a scan when the provider is created.
 */
import type { Logger } from 'pino';
import { findMarkedProcesses, type MarkedProcess } from './marked-processes.ts';
import { terminateGroup } from './process-group.ts';
import { verifyIdentity } from './process-identity.ts';
import type { ProcessTable } from './process-table.ts';

/** The scan at start and what it found; one per provider. */
export class StrayProcesses {
  readonly #table: ProcessTable;
  readonly #logger: Logger;
  readonly #graceMs: number;
  readonly #markedAtStart: Promise<MarkedProcess[]>;

  /**
   * Starts the scan for processes marked with `stateId`. Create it before the
   * provider spawns anything: only an earlier Berth can have left unrecorded processes.
   */
  constructor(stateId: string, table: ProcessTable, opts: { logger: Logger; graceMs: number }) {
    this.#table = table;
    this.#logger = opts.logger;
    this.#graceMs = opts.graceMs;
    this.#markedAtStart = findMarkedProcesses(stateId).catch(() => []);
  }

  /** Every marked process the scan found (stray or not); resolves when the scan is done, never rejects. */
  marked(): Promise<MarkedProcess[]> {
    return this.#markedAtStart;
  }

  /** Live marked processes of `name` that neither its record (`recordPid`) nor a supervisor names. */
  async of(name: string, recordPid?: number): Promise<MarkedProcess[]> {
    const supervised = this.#table.pids();
    const out: MarkedProcess[] = [];
    for (const m of await this.#markedAtStart) {
      if (m.name !== name || m.pid === recordPid || supervised.has(m.pid)) continue;
      if ((await verifyIdentity(m.pid, m.identity)).same) out.push(m);
    }
    return out;
  }

  /** Ends the process trees of `name`'s strays; true when there were any. */
  async end(name: string, recordPid?: number): Promise<boolean> {
    const strays = await this.of(name, recordPid);
    for (const m of strays) {
      this.#logger.warn({ server: name, pid: m.pid }, `ending process ${m.pid} of ${name}: an earlier Berth started it but died before recording it`);
      await terminateGroup(m.pid, { graceMs: this.#graceMs });
    }
    return strays.length > 0;
  }
}
