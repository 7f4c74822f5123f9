/** What a caller of `createLocalProvider` may set. */
import type { Logger } from 'pino';
import type { SecretRef } from '../../manifest/types.ts';
import type { SandboxMode } from './sandbox.ts';

/** Options of `createLocalProvider`. */
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
  /**
   * Sandbox of every server process (sandbox.ts): `bwrap` requires bubblewrap
   * (createLocalProvider throws SandboxUnavailableError without it), `off` runs
   * servers unsandboxed, `auto` (default) uses bwrap when a trial run works.
   */
  sandbox?: SandboxMode;
  /**
   * Files and folders outside `stateDir` that hold Berth's secrets (a SQLite
   * database kept elsewhere, a secrets folder): hidden from sandboxed servers as
   * the state folder is. Default none.
   */
  hiddenPaths?: string[];
  /**
   * Globs (`path.matchesGlob`) a manifest's `runtime.local.command`, as written,
   * must match to run: `node`, `/opt/mcp/**`. A server whose command matches none
   * is not started (a running one is stopped) and reports Degraded naming the
   * list. Default: any command.
   */
  allowCommands?: string[];
}
