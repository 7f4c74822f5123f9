/** What one local provider instance holds, built from its options with their defaults. */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaunchSettings } from './launch.ts';
import { stateIdOf } from './marked-processes.ts';
import type { LocalProviderOptions } from './options.ts';
import { ProcessTable } from './process-table.ts';
import { detectSandbox, SANDBOX_SCOPE } from './sandbox.ts';
import { createStateStore } from './state-file.ts';
import { StrayProcesses } from './stray-processes.ts';
import type { SupervisorContext } from './supervisor.ts';

/** Shared by the local provider's pieces (observe, apply, stop); one per provider instance. */
export interface LocalProviderState {
  /** Logger, state file, launch settings and timings; every supervisor gets this too. */
  ctx: SupervisorContext;
  table: ProcessTable;
  strays: StrayProcesses;
  /** Timeout of the health probe on a process an earlier Berth left. */
  orphanProbeTimeoutMs: number;
}

/**
 * Applies the defaults of {@link LocalProviderOptions}, chooses the sandbox (a
 * trial run of bwrap) and starts the scan for stray processes; spawns no server.
 * @throws SandboxUnavailableError when `sandbox: 'bwrap'` was asked for and cannot work here
 */
export function createProviderState(opts: LocalProviderOptions): LocalProviderState {
  const logger = opts.logger.child({ provider: 'local' });
  const store = createStateStore(opts.stateDir);
  const sandbox = detectSandbox(opts.sandbox ?? 'auto', { nodePath: opts.nodePath, ...(opts.parentEnv?.PATH ? { searchPath: `${opts.parentEnv.PATH}:/usr/bin:/bin` } : {}) });
  if (sandbox.kind === 'bwrap') logger.info({ sandbox: 'bwrap' }, `local servers run sandboxed with bwrap: ${SANDBOX_SCOPE}`);
  else logger.warn({ sandbox: 'off' }, `local servers run UNSANDBOXED: ${sandbox.reason}; a server can read whatever Berth's user can, the state folder included`);
  const settings: LaunchSettings = {
    nodePath: opts.nodePath,
    host: opts.host ?? '127.0.0.1',
    parentEnv: opts.parentEnv ?? {},
    bridgeScript: fileURLToPath(new URL('./stdio-bridge-main.ts', import.meta.url)),
    defaultCwd: opts.defaultCwd ?? process.cwd(),
    stateId: stateIdOf(opts.stateDir),
    stateDir: resolve(opts.stateDir),
    hidden: (opts.hiddenPaths ?? []).map((p) => resolve(p)),
    ...(opts.allowCommands ? { allowCommands: [...opts.allowCommands] } : {}),
    packageRoot: fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, ''),
    sandbox,
  };
  const ctx: SupervisorContext = {
    logger,
    store,
    settings,
    logsDir: join(opts.stateDir, 'logs'),
    now: opts.clock ?? Date.now,
    backoff: opts.restartBackoff ?? { initialMs: 500, maxMs: 30_000 },
    stableAfterMs: opts.stableAfterMs ?? 30_000,
    crashLoopAfter: opts.crashLoopAfter ?? 3,
    stopGraceMs: opts.stopGraceMs ?? 5000,
    livenessPollMs: 250,
    ...(opts.resolveSecret ? { resolveSecret: opts.resolveSecret } : {}),
    onChange: (name) => opts.onChange?.(name),
  };
  const table = new ProcessTable();
  const strays = new StrayProcesses(settings.stateId, table, { logger, graceMs: ctx.stopGraceMs });
  return { ctx, table, strays, orphanProbeTimeoutMs: opts.orphanProbeTimeoutMs ?? 5000 };
}
