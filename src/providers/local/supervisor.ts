/**
 * Supervises one server process: spawns it in its own process group on a free
 * port, records it in the state file, follows its output, checks its health,
 * restarts it with exponential backoff when it exits or fails its health checks,
 * and ends its whole process tree on stop.
 *
 * A supervisor either started its process (it holds the ChildProcess and hears
 * its exit at once) or adopted one an earlier Berth started (it polls the pid).
 */
import { backoffDelay } from '../../kit/backoff.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DiscoveredTool, SecretRef } from '../../manifest/types.ts';
import { ProviderError, type DesiredServer } from '../provider.ts';
import { findFreePort } from './free-port.ts';
import { checkOnce, foldCheck, UNKNOWN_HEALTH, type HealthState } from './health.ts';
import { McpSessionProbe } from '../mcp-probe.ts';
import {
  launchHashOf,
  processCommandOf,
  summarize,
  type LaunchConfig,
  type LaunchSettings,
  type ProcessCommand,
} from './launch.ts';
import { sandboxedCommand } from './sandbox-command.ts';
import { createOutputCapture, type OutputCapture } from './output-capture.ts';
import { signalGroup, terminateGroup } from './process-group.ts';
import { isRunning, isSameProcessSync, readProcessIdentity, verifyIdentity, type ProcessIdentity } from './process-identity.ts';
import type { LocalRuntimeRecord, StateStore } from './state-file.ts';
import type { ExitInfo, LocalObservation } from './types.ts';
import { crashExcerpt } from './crash-excerpt.ts';

/** Shared by every supervisor of one provider. */
export interface SupervisorContext {
  logger: Logger;
  store: StateStore;
  settings: LaunchSettings;
  logsDir: string;
  /** Epoch ms. */
  now: () => number;
  backoff: { initialMs: number; maxMs: number };
  /** A process that ran this long resets the crash count. */
  stableAfterMs: number;
  /** Quick crashes in a row that make a crash loop. */
  crashLoopAfter: number;
  /** SIGTERM → SIGKILL grace when stopping. */
  stopGraceMs: number;
  /** How often an adopted process (not our child) is checked for exit. */
  livenessPollMs: number;
  resolveSecret?: (ref: SecretRef) => Promise<string>;
  /** Called when what observe() would report changed by itself (exit, restart, health). */
  onChange: (name: string) => void;
}

type SupervisorState = 'starting' | 'running' | 'exited' | 'stopping' | 'stopped' | 'released';

/** One server's process and its watchers. Create with {@link Supervisor.launch} or {@link Supervisor.adopt}. */
export class Supervisor {
  readonly name: string;
  #ctx: SupervisorContext;
  #log: Logger;
  #desired: DesiredServer;
  #config: LaunchConfig;
  #output: OutputCapture;
  #state: SupervisorState = 'starting';
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #port: number | undefined;
  #cmd: ProcessCommand | undefined;
  #identity: ProcessIdentity | undefined;
  #startedAtMs = 0;
  /** Bumped on every spawn/adopt so late callbacks about an older process are ignored. */
  #incarnation = 0;
  #health: HealthState = UNKNOWN_HEALTH;
  #tools: DiscoveredTool[] | undefined;
  #restarts = 0;
  /** Starts in a row that ended unhealthy; each doubles the start-up grace (see growingGraceMs). */
  #unhealthyStarts = 0;
  #quickCrashes = 0;
  #lastExit: ExitInfo | undefined;
  #nextRestartAtMs: number | undefined;
  #pendingCause: { cause: ExitInfo['cause']; message: string } | undefined;
  #notes: string[] = [];
  #restartTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  #healthAbort: AbortController | undefined;
  /** The MCP session health checks ping on (servers without a health path); one per process. */
  #healthSession: McpSessionProbe | undefined;
  #exitWaiters: Array<() => void> = [];
  #serial: Promise<unknown> = Promise.resolve();

  private constructor(desired: DesiredServer, config: LaunchConfig, ctx: SupervisorContext) {
    this.name = desired.name;
    this.#ctx = ctx;
    this.#desired = desired;
    this.#config = config;
    this.#log = ctx.logger.child({ server: desired.name });
    this.#output = createOutputCapture({ dir: ctx.logsDir, name: desired.name, logger: this.#log.child({ source: 'process' }) });
  }

  /**
   * Starts a new process for `desired`. Resolves once it is spawned and recorded;
   * throws {@link ProviderError} (retryable, with backoff: the command or folder may
   * appear later) when it cannot be spawned at all.
   */
  static async launch(desired: DesiredServer, config: LaunchConfig, ctx: SupervisorContext, port?: number): Promise<Supervisor> {
    const s = new Supervisor(desired, config, ctx);
    s.#port = port;
    try {
      await s.#exclusive(() => s.#spawn());
    } catch (err) {
      // Spawned but not fully set up (e.g. the state file could not be written): leave nothing behind.
      if (s.#pid !== undefined) await s.stop().catch(() => undefined);
      throw err;
    }
    return s;
  }

  /** Supervises a process an earlier Berth started; the caller has verified the record's identity. */
  static async adopt(
    desired: DesiredServer,
    config: LaunchConfig,
    record: LocalRuntimeRecord,
    ctx: SupervisorContext,
    seen?: { health: LocalObservation['health']; tools?: DiscoveredTool[] },
  ): Promise<Supervisor> {
    const s = new Supervisor(desired, config, ctx);
    s.#incarnation++;
    s.#pid = record.pid;
    s.#port = record.port;
    s.#identity = record.identity;
    s.#startedAtMs = Date.parse(record.startedAt);
    s.#cmd = { command: '', args: [], env: {}, cwd: config.cwd, endpoint: record.endpoint, ...(record.healthUrl ? { healthUrl: record.healthUrl } : {}) };
    s.#state = 'running';
    // Health seen by the observation that led to adoption counts as the first check: no flap to Progressing.
    const healthy = seen?.health.status === 'Healthy';
    if (healthy) {
      s.#health = { status: 'Healthy', consecutiveOk: 1, consecutiveFail: 0, ...(seen.health.lastChecked ? { lastChecked: seen.health.lastChecked } : {}), ...(seen.health.message ? { message: seen.health.message } : {}) };
      s.#tools = seen.tools;
    }
    await ctx.store.put(s.name, { ...s.#record(), startedBy: record.startedBy });
    await s.#output.follow(true);
    s.#watchAdopted(s.#incarnation);
    s.#scheduleHealth(healthy ? config.health.intervalMs : 0, s.#incarnation);
    s.#log.info({ pid: record.pid, port: record.port }, `adopted ${s.name} (pid ${record.pid}) started by an earlier Berth process`);
    return s;
  }

  /** The desired server this supervisor runs. */
  get desired(): DesiredServer {
    return this.#desired;
  }

  /** Hash of the launch it runs. */
  get launchHash(): string {
    return launchHashOf(this.#config);
  }

  /** Takes a spec change that does not affect the process (health settings, description). */
  async retag(desired: DesiredServer, config: LaunchConfig): Promise<void> {
    this.#desired = desired;
    this.#config = config;
    if (this.#pid !== undefined && this.#state === 'running') await this.#ctx.store.put(this.name, this.#record());
  }

  /** What observe() reports. */
  snapshot(): LocalObservation {
    const now = this.#ctx.now();
    const processState = this.#state === 'running' ? 'running' : this.#state === 'exited' || this.#state === 'starting' ? 'exited' : 'absent';
    const health = this.#state === 'running' ? this.#health : UNKNOWN_HEALTH;
    return {
      name: this.name,
      process: processState,
      supervision: 'supervised',
      ...(this.#pid !== undefined && processState === 'running' ? { pid: this.#pid, pgid: this.#pid } : {}),
      ...(this.#port !== undefined ? { port: this.#port } : {}),
      ...(this.#cmd ? { endpoint: this.#cmd.endpoint } : {}),
      specHash: this.#desired.specHash,
      launchHash: this.launchHash,
      generation: this.#desired.generation,
      ...(this.#startedAtMs ? { startedAt: new Date(this.#startedAtMs).toISOString() } : {}),
      summary: summarize(this.#config),
      health: {
        status: health.status,
        ...(health.lastChecked ? { lastChecked: health.lastChecked } : {}),
        ...(health.message ? { message: health.message } : {}),
      },
      ...(this.#tools && this.#state === 'running' ? { tools: this.#tools } : {}),
      restarts: this.#restarts,
      crashLoop: this.#quickCrashes >= this.#ctx.crashLoopAfter,
      ...(this.#lastExit ? { lastExit: this.#lastExit } : {}),
      ...(this.#state === 'exited' && this.#nextRestartAtMs !== undefined
        ? { nextRestartInMs: Math.max(0, this.#nextRestartAtMs - now) }
        : {}),
      ...(this.#notes.length ? { notes: [...this.#notes] } : {}),
    };
  }

  /**
   * Ends the process tree (SIGTERM, SIGKILL after the grace period), waits until
   * it is gone, and removes the record. Idempotent.
   * @returns "deleted" when a process was ended, "unchanged" when none was running.
   */
  async stop(): Promise<string> {
    if (this.#state === 'stopped' || this.#state === 'released') return 'unchanged';
    this.#state = 'stopping';
    this.#clearTimers();
    return this.#exclusive(async () => {
      let result = 'unchanged';
      const pid = this.#pid;
      if (pid !== undefined) {
        // Our own child is known alive until its exit event; an adopted pid is
        // re-verified, since it may have died and been reused by now.
        const child = this.#child;
        const alive = child
          ? child.exitCode === null && child.signalCode === null
          : this.#identity !== undefined && (await verifyIdentity(pid, this.#identity)).same;
        if (alive) {
          const t = await terminateGroup(pid, { graceMs: this.#ctx.stopGraceMs });
          if (t.outcome !== 'already gone') result = 'deleted';
          if (!t.gone) this.#log.error({ pid }, `processes of ${this.name} (group ${pid}) survived SIGKILL`);
          if (child) await this.#waitExit(2000);
        }
      }
      await this.#ctx.store.put(this.name, undefined);
      await this.#output.stop();
      this.#state = 'stopped';
      this.#log.info({ pid }, `stopped ${this.name}`);
      return result;
    });
  }

  /**
   * Forced exit (a second Ctrl-C): SIGKILLs the server's process group at once,
   * synchronously, without waiting or updating the state file (the next Berth
   * finds the record's process gone and drops it). Our own child is signalled
   * while it has not exited; an adopted process only after its identity is
   * re-checked, so a reused pid is never hit.
   */
  killNow(): void {
    const pid = this.#pid;
    if (pid === undefined || this.#state === 'stopped' || this.#state === 'released') return;
    const child = this.#child;
    const ours = child ? child.exitCode === null && child.signalCode === null : this.#identity !== undefined && isSameProcessSync(pid, this.#identity);
    if (!ours) return;
    try {
      signalGroup(pid, 'SIGKILL');
    } catch {
      // Nothing more can be done on the way out.
    }
  }

  /** Stops watching without touching the process or its record, so another Berth process can adopt it. */
  async release(): Promise<void> {
    this.#state = 'released';
    // Ended before we go: behind the stdio bridge the session is a server process of its own.
    await this.#closeHealthSession();
    this.#clearTimers();
    this.#child?.unref();
    await this.#output.stop();
  }

  // ---- process start ------------------------------------------------------

  async #spawn(): Promise<void> {
    const ctx = this.#ctx;
    const config = this.#config;
    const cwdOk = await stat(config.cwd).then((s) => s.isDirectory(), () => false);
    if (!cwdOk) {
      throw new ProviderError(
        `working directory ${config.cwd} of ${this.name} does not exist; fix spec.runtime.local.cwd (relative paths start at the folder Berth runs in, or at the berth.dev/source-dir annotation's)`,
        // Retryable: the folder may yet appear (a checkout, a mount); the work queue retries with backoff.
        { code: 'invalid_cwd', retryable: true },
      );
    }
    const port = await findFreePort(ctx.settings.host, this.#port);
    const secretEnv = await this.#resolveSecrets();
    const cmd = processCommandOf(config, port, ctx.settings, secretEnv);
    const fds = this.#output.openForChild();
    let child: ChildProcess;
    try {
      // detached: true is how Node gives a child its own process group (setsid), so
      // the whole tree can be signalled at once and a Ctrl-C in Berth's terminal
      // reaches Berth, which then stops the servers in order. The child is never unref'd.
      // Under bwrap the group holds bwrap and its PID namespace's init; when that init
      // ends, the kernel ends every process in the namespace, even one that left the group.
      const run = sandboxedCommand(cmd, config, ctx.settings);
      child = spawn(run.command, run.args, { cwd: run.cwd, env: run.env, detached: true, stdio: ['ignore', fds.stdout, fds.stderr] });
    } finally {
      fds.closeFds();
    }
    const incarnation = ++this.#incarnation;
    child.on('error', (err) => this.#log.warn({ err }, `process error for ${this.name}`));
    child.once('exit', (code, signal) => this.#onChildExit(incarnation, code, signal));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      throw new ProviderError(
        `could not start ${this.name}: ${cmd.command} failed to run (${(err as Error).message}); check spec.runtime.local.command and that it is installed`,
        // Retryable: the command may yet be installed; the work queue retries with backoff.
        { code: 'spawn_failed', retryable: true, cause: err },
      );
    }
    const pid = child.pid!;
    this.#child = child;
    this.#pid = pid;
    this.#port = port;
    this.#cmd = cmd;
    this.#startedAtMs = ctx.now();
    this.#health = UNKNOWN_HEALTH;
    this.#tools = undefined;
    this.#nextRestartAtMs = undefined;
    this.#identity = (await readProcessIdentity(pid)) ?? { startTime: 'exited-at-once', cmdline: [cmd.command, ...cmd.args].join(' ') };
    // Only flip to running if the exit handler has not already seen it die.
    if (this.#state === 'starting' || this.#state === 'exited') this.#state = 'running';
    await ctx.store.put(this.name, this.#record());
    await this.#output.follow(false);
    this.#log.info({ pid, port, endpoint: cmd.endpoint }, `started ${this.name} (pid ${pid}, port ${port})`);
    this.#scheduleHealth(50, incarnation);
    ctx.onChange(this.name);
  }

  async #resolveSecrets(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const missing: string[] = [];
    for (const ref of this.#config.secrets) {
      if (!this.#ctx.resolveSecret) {
        missing.push(ref.name);
        continue;
      }
      try {
        out[ref.name] = await this.#ctx.resolveSecret(ref);
      } catch (err) {
        // An ARN names a secret for the server's deployment on AWS; on a developer machine without AWS credentials
        // it cannot be read, and that must not keep the server from starting (the examples carry such ARNs). It runs
        // without the variable, and the status says so. env: and file: references were written for this machine:
        // those failing is the server's problem to report.
        if (ref.valueFrom.startsWith('arn:')) {
          missing.push(`${ref.name} (${(err as Error).message})`);
          continue;
        }
        // The resolver's messages name the reference and never a value (src/cli/secret-resolver.ts).
        // Retryable: the variable or file may yet be provided; the work queue retries with backoff.
        throw new ProviderError(`secret ${ref.name} of ${this.name} (valueFrom ${ref.valueFrom}) cannot be resolved: ${(err as Error).message}`, {
          code: 'secret_unresolved',
          retryable: true,
          cause: err,
        });
      }
    }
    this.#notes = missing.length
      ? [this.#ctx.resolveSecret ? `secrets not provided locally: ${missing.join('; ')}` : `secrets not provided locally (no secret resolver configured): ${missing.join(', ')}`]
      : [];
    if (missing.length) this.#log.warn({ secrets: missing }, this.#notes[0]);
    return out;
  }

  #record(): LocalRuntimeRecord {
    return {
      pid: this.#pid!,
      pgid: this.#pid!,
      port: this.#port!,
      specHash: this.#desired.specHash,
      launchHash: this.launchHash,
      generation: this.#desired.generation,
      startedAt: new Date(this.#startedAtMs).toISOString(),
      identity: this.#identity!,
      summary: summarize(this.#config),
      endpoint: this.#cmd!.endpoint,
      ...(this.#cmd!.healthUrl ? { healthUrl: this.#cmd!.healthUrl } : {}),
      startedBy: process.pid,
    };
  }

  // ---- exits and restarts -------------------------------------------------

  #onChildExit(incarnation: number, code: number | null, signal: NodeJS.Signals | null): void {
    const waiters = this.#exitWaiters.splice(0);
    waiters.forEach((w) => w());
    if (incarnation !== this.#incarnation) return;
    this.#child = undefined;
    if (this.#ending()) return;
    const message = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    void this.#exclusive(() => this.#afterExit(incarnation, { code, signal, cause: 'exited', message }));
  }

  #watchAdopted(incarnation: number): void {
    const pid = this.#pid!;
    this.#livenessTimer = setInterval(() => {
      void isRunning(pid).then((alive) => {
        if (alive || incarnation !== this.#incarnation || this.#state !== 'running') return;
        clearInterval(this.#livenessTimer);
        const pending = this.#pendingCause;
        void this.#exclusive(() =>
          this.#afterExit(incarnation, {
            code: null,
            signal: null,
            cause: pending?.cause ?? 'vanished',
            message: pending ? 'was stopped' : 'exited (its exit status is unknown: an earlier Berth process started it)',
          }),
        );
      });
    }, this.#ctx.livenessPollMs);
    this.#livenessTimer.unref();
  }

  async #afterExit(
    incarnation: number,
    exit: { code: number | null; signal: string | null; cause: ExitInfo['cause']; message: string },
  ): Promise<void> {
    if (incarnation !== this.#incarnation || this.#ending()) return;
    const ctx = this.#ctx;
    this.#clearTimers();
    await this.#output.drain();
    const ranForMs = ctx.now() - this.#startedAtMs;
    const pending = this.#pendingCause;
    this.#pendingCause = undefined;
    const cause = pending?.cause ?? exit.cause;
    const message = pending
      ? `was restarted by Berth: ${pending.message}`
      : `${exit.message} after ${formatDuration(ranForMs)}`;
    this.#lastExit = {
      code: exit.code,
      signal: exit.signal,
      at: new Date(ctx.now()).toISOString(),
      ranForMs,
      cause,
      message,
      stderrTail: this.#output.lastLines('stderr', 20),
    };
    // Helpers the server started may outlive it; they hold its port and would be orphans.
    // (Right after the exit the group id cannot belong to anyone else: it is either
    // empty or still held by those helpers.)
    if (this.#pid !== undefined && cause !== 'spawn-failed') await terminateGroup(this.#pid, { graceMs: Math.min(1000, ctx.stopGraceMs) });
    if (this.#ending()) return; // stop() or release() came in while we waited
    this.#state = 'exited';
    this.#health = UNKNOWN_HEALTH;
    this.#tools = undefined;
    this.#quickCrashes = ranForMs >= ctx.stableAfterMs ? 1 : this.#quickCrashes + 1;
    // No jitter: one machine's processes do not stampede a shared service, and restart delays stay predictable.
    const delay = backoffDelay(this.#quickCrashes, { baseMs: ctx.backoff.initialMs, capMs: ctx.backoff.maxMs, jitter: 0 });
    this.#nextRestartAtMs = ctx.now() + delay;
    this.#log.warn(
      { pid: this.#pid, code: exit.code, signal: exit.signal, cause, restartInMs: delay, stderr: crashExcerpt(this.#lastExit.stderrTail) },
      `${this.name} ${message}; restarting in ${delay} ms`,
    );
    this.#restartTimer = setTimeout(() => void this.#exclusive(() => this.#restartNow()), delay);
    this.#restartTimer.unref();
    ctx.onChange(this.name);
  }

  async #restartNow(): Promise<void> {
    if (this.#state !== 'exited') return;
    this.#restarts++;
    try {
      await this.#spawn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#state = 'exited';
      this.#startedAtMs = this.#ctx.now();
      await this.#afterExit(this.#incarnation, { code: null, signal: null, cause: 'spawn-failed', message });
    }
  }

  // ---- health -------------------------------------------------------------

  #scheduleHealth(delayMs: number, incarnation: number): void {
    clearTimeout(this.#healthTimer);
    this.#healthTimer = setTimeout(() => void this.#checkHealth(incarnation), delayMs);
    this.#healthTimer.unref();
  }

  async #checkHealth(incarnation: number): Promise<void> {
    if (incarnation !== this.#incarnation || this.#state !== 'running' || !this.#cmd) return;
    const ctx = this.#ctx;
    const cfg = this.#config.health;
    this.#healthAbort = new AbortController();
    const wantTools = this.#tools === undefined || !this.#cmd.healthUrl;
    // A bridged stdio server speaks streamable HTTP to us.
    const transport = this.#config.transport === 'sse' ? ('sse' as const) : ('streamable-http' as const);
    const target = {
      endpoint: this.#cmd.endpoint,
      transport,
      ...(this.#cmd.healthUrl
        ? { healthUrl: this.#cmd.healthUrl }
        : { session: (this.#healthSession ??= new McpSessionProbe(this.#cmd.endpoint, { transport })) }),
    };
    const result = await checkOnce(target, cfg.timeoutMs, wantTools, this.#healthAbort.signal);
    if (incarnation !== this.#incarnation || this.#state !== 'running') return;
    const prev = this.#health;
    const inGrace = ctx.now() - this.#startedAtMs < growingGraceMs(cfg.graceMs, this.#unhealthyStarts);
    this.#health = foldCheck(prev, result, cfg, inGrace, new Date(ctx.now()).toISOString());
    if (result.tools) this.#tools = result.tools;
    if (prev.status !== this.#health.status) {
      this.#log.info({ health: this.#health.status, message: this.#health.message }, `${this.name} is ${this.#health.status}`);
      ctx.onChange(this.name);
    }
    if (this.#health.status === 'Healthy') this.#unhealthyStarts = 0;
    if (this.#health.status === 'Unhealthy' && prev.status !== 'Unhealthy') {
      if (prev.status !== 'Healthy') this.#unhealthyStarts++; // never became healthy: give the next start more time
      // Like a load balancer replacing a failing task: end it; the exit path restarts it with backoff.
      this.#pendingCause = { cause: 'unhealthy', message: this.#health.message ?? 'health checks failed' };
      if (this.#pid !== undefined) await terminateGroup(this.#pid, { graceMs: Math.min(2000, ctx.stopGraceMs) });
      return;
    }
    const sinceStart = ctx.now() - this.#startedAtMs;
    const next = this.#health.status === 'Unknown' ? (sinceStart < 2000 ? 100 : 500) : cfg.intervalMs;
    this.#scheduleHealth(next, incarnation);
  }

  // ---- plumbing -----------------------------------------------------------

  #ending(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped' || this.#state === 'released';
  }

  #clearTimers(): void {
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#healthTimer);
    clearInterval(this.#livenessTimer);
    this.#healthAbort?.abort();
    void this.#closeHealthSession();
  }

  /** Ends the health session (the next process gets a new one). */
  #closeHealthSession(): Promise<void> {
    const session = this.#healthSession;
    this.#healthSession = undefined;
    return session ? session.close() : Promise.resolve();
  }

  #waitExit(timeoutMs: number): Promise<void> {
    if (!this.#child || this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.#exitWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Runs start/stop/restart steps one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(fn);
    this.#serial = next.catch(() => undefined);
    return next;
  }
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Most doublings of the start-up grace: 32 × gracePeriodSeconds. */
const MAX_GRACE_DOUBLINGS = 5;

/**
 * The start-up grace after `unhealthyStarts` starts in a row that never became
 * healthy: the manifest's grace doubled each time, at most 32 times it. A server
 * slower to start than its grace then gets a growing grace instead of being
 * killed at the same moment for ever.
 * @example growingGraceMs(1000, 0) // 1000; growingGraceMs(1000, 3) // 8000; growingGraceMs(1000, 9) // 32000
 */
export function growingGraceMs(graceMs: number, unhealthyStarts: number): number {
  return graceMs * 2 ** Math.min(Math.max(0, unhealthyStarts), MAX_GRACE_DOUBLINGS);
}
