/**
 * The local runtime: every MCP server as a child process on this machine, on a
 * free loopback port, stdio servers bridged to streamable HTTP, health-checked,
 * restarted with backoff, and recorded in `<stateDir>/local-runtime.json` so a
 * Berth that restarts after a crash finds (and adopts, restarts or stops) the
 * processes the previous one left — never a duplicate, never an orphan.
 *
 * @example
 * const local = createLocalProvider({ logger, stateDir: '.berth', nodePath: process.execPath, parentEnv: process.env });
 * const observed = await local.observe('weather');
 * const plan = local.plan(desired, observed);           // [{ op: 'start', reason: 'not running' }]
 * await local.apply(plan);
 * local.assess(desired, await local.observe('weather')); // { phase: 'Ready', endpoint: 'http://127.0.0.1:41234/mcp', tools: [...] }
 *
 * May import: providers, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
import type { MCPServerSpec } from '../../manifest/types.ts';
import type { ApplyOutcome, DesiredServer, Plan, RuntimeProvider, RuntimeState } from '../provider.ts';
import type { ServerLogs } from '../server-logs.ts';
import { localServerLogs } from './server-logs.ts';
import { LocalApplier } from './apply.ts';
import { assessLocal } from './assess.ts';
import { listManagedLocal, observeLocal } from './observe.ts';
import type { LocalProviderOptions } from './options.ts';
import { planLocal } from './plan.ts';
import { createProviderState } from './provider-state.ts';
import type { SandboxStatus } from './sandbox.ts';
import type { LocalAction, LocalObservation } from './types.ts';

export type { LocalAction, LocalObservation, ExitInfo } from './types.ts';
export type { LocalProviderOptions } from './options.ts';
export { readServerLogs, followServerLogs, serverLogFiles, localServerLogs, NoServerLogsError, type ServerLogLine } from './server-logs.ts';
export { SandboxUnavailableError, type SandboxMode, type SandboxStatus } from './sandbox.ts';

/** The local provider, with extras: hand the processes over without stopping them, and read the servers' output (server-logs.ts). */
export interface LocalProvider extends RuntimeProvider<LocalObservation, LocalAction>, ServerLogs {
  /** The sandbox chosen at creation: every server process runs in it. */
  readonly sandbox: SandboxStatus;
  /** Pure and synchronous here. */
  assess(desired: DesiredServer | undefined, observed: LocalObservation): RuntimeState;
  /**
   * Stops supervising (timers, log following) but leaves every process running
   * and recorded, so another Berth process on the same stateDir adopts them
   * (e.g. an upgrade of Berth without restarting servers).
   */
  release(): Promise<void>;
  /**
   * For a forced exit only: SIGKILLs every supervised server's process group at
   * once, synchronously, leaving records for the next Berth to clean up.
   */
  killNow(): void;
}

/**
 * Creates the local provider. Nothing is started or read until the reconciler
 * asks, except the scan for processes an earlier Berth left unrecorded.
 * The pieces: provider-state.ts (defaults, shared state), process-table.ts,
 * stray-processes.ts, observe.ts, plan.ts, apply.ts, ensure-stopped.ts, sandbox.ts.
 * @throws SandboxUnavailableError when `opts.sandbox` is 'bwrap' and bwrap cannot run here
 */
export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  const state = createProviderState(opts);
  const { settings, logger } = state.ctx;
  const applier = new LocalApplier(state);

  return {
    name: 'local',
    sandbox: settings.sandbox,
    readLogs: localServerLogs(opts.stateDir).readLogs,

    handles(spec: MCPServerSpec): boolean {
      return spec.runtime !== undefined;
    },

    observe(name: string): Promise<LocalObservation> {
      return observeLocal(name, state);
    },

    plan(desired: DesiredServer | undefined, observed: LocalObservation): Plan<LocalAction> {
      return planLocal(desired, observed, settings);
    },

    apply(plan: Plan<LocalAction>): Promise<ApplyOutcome<LocalAction>> {
      return applier.apply(plan);
    },

    assess(desired: DesiredServer | undefined, observed: LocalObservation): RuntimeState {
      return assessLocal(desired, observed, settings);
    },

    listManaged(): Promise<string[]> {
      return listManagedLocal(state);
    },

    async close(): Promise<void> {
      applier.close();
      await state.table.stopAll(logger);
    },

    killNow(): void {
      applier.close();
      state.table.killAll();
    },

    async release(): Promise<void> {
      applier.close();
      await state.table.releaseAll();
    },
  };
}
