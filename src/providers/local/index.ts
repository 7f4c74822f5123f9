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
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { MCPServerSpec, SecretRef } from '../../manifest/types.ts';
import { ProviderError, type ApplyOutcome, type DesiredServer, type Plan, type RuntimeProvider, type RuntimeState } from '../provider.ts';
import { assessLocal } from './assess.ts';
import { checkOnce } from './health.ts';
import { launchConfigOf, launchHashOf, type LaunchConfig, type LaunchSettings } from './launch.ts';
import { planLocal } from './plan.ts';
import { terminateGroup } from './process-group.ts';
import { isRunning, verifyIdentity } from './process-identity.ts';
import { createStateStore, type LocalRuntimeRecord } from './state-file.ts';
import { findMarkedProcesses, stateIdOf, type MarkedProcess } from './marked-processes.ts';
import { Supervisor, type SupervisorContext } from './supervisor.ts';
import type { LocalAction, LocalObservation } from './types.ts';

export type { LocalAction, LocalObservation, ExitInfo } from './types.ts';

/** Options of {@link createLocalProvider}. */
export interface LocalProviderOptions {
  logger: Logger;
  /** Folder for local-runtime.json and the servers' log files (`logs/`). */
  stateDir: string;
  /** Node binary used when a manifest's command is `node`, and to run the stdio bridge. */
  nodePath: string;
  /** Interface servers listen on. Default 127.0.0.1. */
  host?: string;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /** Restart delay after a crash: initialMs, doubling per quick crash, capped at maxMs. Default 500 ms → 30 s. */
  restartBackoff?: { initialMs: number; maxMs: number };
  /**
   * Berth's environment. Only allow-listed names (PATH, HOME, LANG, …; see
   * INHERITED_ENV) reach servers; default none. The CLI passes process.env.
   */
  parentEnv?: Readonly<Record<string, string | undefined>>;
  /** Resolves `runtime.secrets` into env values; without it secrets are left out and status says so. */
  resolveSecret?: (ref: SecretRef) => Promise<string>;
  /** Told the name of a server whose observation changed by itself (crash, restart, health), so the reconciler can requeue it. */
  onChange?: (name: string) => void;
  /** SIGTERM → SIGKILL grace when stopping a server. Default 5000 ms. */
  stopGraceMs?: number;
  /** A process that ran this long before crashing resets the backoff. Default 30 s. */
  stableAfterMs?: number;
  /** Quick crashes in a row reported as a crash loop. Default 3. */
  crashLoopAfter?: number;
  /** Timeout of the health probe observe() runs on a process an earlier Berth left. Default 5000 ms. */
  orphanProbeTimeoutMs?: number;
  /** Working directory of servers whose manifest folder is unknown and that name no cwd. Default the current directory. */
  defaultCwd?: string;
}

/** The local provider, with one extra: hand the processes over without stopping them. */
export interface LocalProvider extends RuntimeProvider<LocalObservation, LocalAction> {
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

/** Creates the local provider. Nothing is started or read until the reconciler asks. */
export function createLocalProvider(opts: LocalProviderOptions): LocalProvider {
  const logger = opts.logger.child({ provider: 'local' });
  const store = createStateStore(opts.stateDir);
  const settings: LaunchSettings = {
    nodePath: opts.nodePath,
    host: opts.host ?? '127.0.0.1',
    parentEnv: opts.parentEnv ?? {},
    bridgeScript: fileURLToPath(new URL('./stdio-bridge-main.ts', import.meta.url)),
    defaultCwd: opts.defaultCwd ?? process.cwd(),
    stateId: stateIdOf(opts.stateDir),
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
  const supervisors = new Map<string, Supervisor>();
  /** Supervisors a close() is stopping; a forced exit must still reach them. */
  const stopping = new Set<Supervisor>();
  const locks = new Map<string, Promise<unknown>>();
  let closed = false;
  // Scanned once, before this instance spawns anything: only an earlier Berth can have left unrecorded processes.
  const markedAtStart: Promise<MarkedProcess[]> = findMarkedProcesses(settings.stateId).catch(() => []);

  /** Live marked processes of `name` that neither its record nor a supervisor names. */
  async function straysOf(name: string, recordPid?: number): Promise<MarkedProcess[]> {
    const supervised = new Set([...supervisors.values()].map((s) => s.snapshot().pid));
    const out: MarkedProcess[] = [];
    for (const m of await markedAtStart) {
      if (m.name !== name || m.pid === recordPid || supervised.has(m.pid)) continue;
      if ((await verifyIdentity(m.pid, m.identity)).same) out.push(m);
    }
    return out;
  }

  async function endStrays(name: string, recordPid?: number): Promise<boolean> {
    const strays = await straysOf(name, recordPid);
    for (const m of strays) {
      logger.warn({ server: name, pid: m.pid }, `ending process ${m.pid} of ${name}: an earlier Berth started it but died before recording it`);
      await terminateGroup(m.pid, { graceMs: ctx.stopGraceMs });
    }
    return strays.length > 0;
  }

  /** One apply at a time per server, whatever the caller does. */
  function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const next = (locks.get(name) ?? Promise.resolve()).then(fn);
    locks.set(name, next.catch(() => undefined));
    return next;
  }

  function configOf(desired: DesiredServer): LaunchConfig {
    const config = launchConfigOf(desired, settings);
    if ('problem' in config) throw new ProviderError(config.problem, { code: 'invalid_spec', retryable: false });
    return config;
  }

  async function observeRecorded(name: string, record: LocalRuntimeRecord): Promise<LocalObservation> {
    const base = {
      name,
      supervision: 'orphaned' as const,
      port: record.port,
      endpoint: record.endpoint,
      specHash: record.specHash,
      launchHash: record.launchHash,
      generation: record.generation,
      startedAt: record.startedAt,
      summary: record.summary,
      restarts: 0,
      crashLoop: false,
    };
    const same = await verifyIdentity(record.pid, record.identity);
    if (!same.same) {
      return { ...base, process: 'exited', health: { status: 'Unknown' }, notes: [same.reason] };
    }
    const check = await checkOnce(
      { endpoint: record.endpoint, transport: record.summary.transport === 'sse' ? 'sse' : 'streamable-http', ...(record.healthUrl ? { healthUrl: record.healthUrl } : {}) },
      opts.orphanProbeTimeoutMs ?? 5000,
      true,
    );
    return {
      ...base,
      process: 'running',
      pid: record.pid,
      pgid: record.pgid,
      health: { status: check.ok ? 'Healthy' : 'Unhealthy', lastChecked: new Date(ctx.now()).toISOString(), message: check.message },
      ...(check.tools ? { tools: check.tools } : {}),
    };
  }

  /**
   * Makes sure no process runs for `name`: stops its supervisor, or ends the
   * process tree an earlier Berth recorded (only after verifying it is that
   * process), and forgets the record. This is what rules out duplicates.
   */
  async function ensureStopped(name: string): Promise<string> {
    const sup = supervisors.get(name);
    if (sup) {
      supervisors.delete(name);
      return sup.stop();
    }
    const record = await store.get(name);
    let result = (await endStrays(name, record?.pid)) ? 'deleted' : 'unchanged';
    if (!record) return result;
    const same = await verifyIdentity(record.pid, record.identity);
    if (same.same || !(await isRunning(record.pid))) {
      // Verified ours, or the leader is gone and only its group (which no one else can hold meanwhile) may remain.
      const t = await terminateGroup(record.pgid, { graceMs: ctx.stopGraceMs });
      if (t.outcome !== 'already gone') result = 'deleted';
    } else {
      logger.warn({ server: name, pid: record.pid }, `not signalling pid ${record.pid}: ${same.reason}`);
    }
    await store.put(name, undefined);
    return result;
  }

  async function start(desired: DesiredServer, port?: number): Promise<void> {
    const sup = await Supervisor.launch(desired, configOf(desired), ctx, port);
    supervisors.set(desired.name, sup);
  }

  async function applyAction(a: LocalAction): Promise<string> {
    const name = a.desired?.name ?? a.resource.replace(/^process /, '');
    switch (a.op) {
      case 'start':
      case 'restart': {
        const desired = need(a);
        const current = supervisors.get(name);
        if (a.op === 'start' && current && current.launchHash === launchHashOrUndefined(desired)) return 'unchanged';
        const previousPort = (await store.get(name))?.port;
        const stopped = await ensureStopped(name);
        await start(desired, previousPort);
        return a.op === 'restart' || stopped === 'deleted' ? 'updated' : 'created';
      }
      case 'stop':
        return ensureStopped(name);
      case 'adopt': {
        const desired = need(a);
        if (supervisors.has(name)) return 'unchanged';
        const record = await store.get(name);
        if (record && record.pid === a.pid && (await verifyIdentity(record.pid, record.identity)).same) {
          await endStrays(name, record.pid);
          supervisors.set(name, await Supervisor.adopt(desired, configOf(desired), record, ctx, a.seen));
          return 'adopted';
        }
        // It went away between observe and apply: start afresh (after making sure nothing remains).
        await ensureStopped(name);
        await start(desired, record?.port);
        return 'created';
      }
      case 'retag': {
        const desired = need(a);
        const sup = supervisors.get(name);
        if (!sup) return 'unchanged';
        await sup.retag(desired, configOf(desired));
        return 'updated';
      }
    }
  }

  function launchHashOrUndefined(desired: DesiredServer): string | undefined {
    const config = launchConfigOf(desired, settings);
    return 'problem' in config ? undefined : launchHashOf(config);
  }

  return {
    name: 'local',

    handles(spec: MCPServerSpec): boolean {
      return spec.runtime !== undefined;
    },

    async observe(name: string): Promise<LocalObservation> {
      const sup = supervisors.get(name);
      if (sup) return sup.snapshot();
      const record = await store.get(name);
      const strays = (await straysOf(name, record?.pid)).map((m) => m.pid);
      if (record) {
        const o = await observeRecorded(name, record);
        return strays.length ? { ...o, strays } : o;
      }
      if (strays.length) {
        return {
          name,
          process: 'running',
          supervision: 'orphaned',
          pid: strays[0]!,
          pgid: strays[0]!,
          health: { status: 'Unknown' },
          restarts: 0,
          crashLoop: false,
          strays,
          notes: [`process ${strays.join(', ')} was started by an earlier Berth process that died before recording it`],
        };
      }
      return { name, process: 'absent', supervision: 'none', health: { status: 'Unknown' }, restarts: 0, crashLoop: false };
    },

    plan(desired: DesiredServer | undefined, observed: LocalObservation): Plan<LocalAction> {
      return planLocal(desired, observed, settings);
    },

    async apply(plan: Plan<LocalAction>): Promise<ApplyOutcome<LocalAction>> {
      if (closed) throw new ProviderError('the local provider is closed; Berth is shutting down', { code: 'provider_closed' });
      await markedAtStart; // never spawn before the scan for unrecorded processes is done
      return withLock(plan.server, async () => {
        const done: ApplyOutcome<LocalAction>['done'] = [];
        for (const action of plan.actions) {
          logger.info({ server: plan.server, op: action.op }, `${action.op} ${action.resource}: ${action.reason}`);
          try {
            done.push({ action, result: await applyAction(action) });
          } catch (err) {
            if (err instanceof ProviderError) throw err;
            throw new ProviderError(`${action.op} ${action.resource} failed: ${(err as Error).message}`, { code: `${action.op}_failed`, cause: err });
          }
        }
        return { done };
      });
    },

    assess(desired: DesiredServer | undefined, observed: LocalObservation): RuntimeState {
      return assessLocal(desired, observed, settings);
    },

    async listManaged(): Promise<string[]> {
      const names = new Set(supervisors.keys());
      const records = (await store.read()).servers;
      for (const name of Object.keys(records)) names.add(name);
      for (const m of await markedAtStart) if (!names.has(m.name) && (await straysOf(m.name, records[m.name]?.pid)).length) names.add(m.name);
      return [...names].sort();
    },

    async close(): Promise<void> {
      closed = true;
      const all = [...supervisors.values()];
      supervisors.clear();
      for (const s of all) stopping.add(s);
      await Promise.all(all.map((s) => s.stop().catch((err: Error) => logger.error({ server: s.name, err: err.message }, `could not stop ${s.name}`))));
    },

    killNow(): void {
      closed = true;
      // Including those a graceful close() is still stopping: a second Ctrl-C usually lands then.
      for (const s of [...supervisors.values(), ...stopping]) s.killNow();
    },

    async release(): Promise<void> {
      closed = true;
      const all = [...supervisors.values()];
      supervisors.clear();
      await Promise.all(all.map((s) => s.release()));
    },
  };
}

function need(a: LocalAction): DesiredServer {
  if (!a.desired) throw new ProviderError(`${a.op} ${a.resource} needs the desired server in the action`, { code: 'invalid_plan', retryable: false });
  return a.desired;
}
