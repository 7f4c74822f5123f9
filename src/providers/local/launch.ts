/**
 * From a desired server to the exact process to run: command, arguments,
 * environment, working directory, and how to check its health. Pure functions;
 * the provider's settings (which Node, which host, which parent env names) are
 * passed in.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, matchesGlob, resolve } from 'node:path';
import type { DesiredServer } from '../provider.ts';
import type { SecretRef, Transport } from '../../manifest/types.ts';
import { describeLimitChanges, stdioLimitFlags, stdioLimitsOf, type StdioLimits } from './stdio-limits.ts';
import type { SandboxStatus } from './sandbox.ts';

/** Settings of the local provider that shape every launch. */
export interface LaunchSettings {
  /** Node binary used when the command is `node`, and to run the stdio bridge. */
  nodePath: string;
  /** Interface servers listen on, e.g. 127.0.0.1. */
  host: string;
  /** Environment of Berth; only {@link INHERITED_ENV} names are passed on. */
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Path of the stdio bridge entry point (stdio-bridge-main.ts). */
  bridgeScript: string;
  /** Working directory when the manifest names none and its folder is unknown. */
  defaultCwd: string;
  /** Id of the state folder, put in every server's env (with its name) so a process can be found without its record. */
  stateId: string;
  /** The state folder itself: never visible inside a sandbox. */
  stateDir: string;
  /** More files and folders no sandboxed server may see (a database or secrets folder outside the state folder). */
  hidden: string[];
  /** Berth's own package folder (holds the stdio bridge and its dependencies), bound read-only for bridged servers. */
  packageRoot: string;
  /** The sandbox chosen at start (see sandbox.ts). */
  sandbox: SandboxStatus;
  /** The operator's allow-list of commands (globs over `runtime.local.command` as written); undefined allows any. */
  allowCommands?: string[];
}

/**
 * Names of Berth's own environment a server inherits. Everything else (cloud
 * credentials, tokens, Berth's own settings) stays out: a server gets exactly
 * these plus its manifest's `env`.
 */
export const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL', 'TERM'] as const;

/** Health check with defaults applied, in milliseconds. */
export interface ResolvedHealthCheck {
  /** HTTP path answered with 2xx when healthy; absent: MCP ping. */
  path?: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  graceMs: number;
}

/** Everything about how a server's process runs, before a port is chosen. */
export interface LaunchConfig {
  name: string;
  /** Executable of the server itself (`node` already replaced by the Node path). */
  command: string;
  args: string[];
  /** The manifest's env; `${PORT}` not yet replaced. */
  env: Record<string, string>;
  cwd: string;
  transport: Transport;
  mcpPath: string;
  /** True for stdio servers: the process Berth runs is the bridge, which runs `command` per session. */
  bridged: boolean;
  /** The bridge's limits, defaults applied; only for bridged servers. */
  stdio?: StdioLimits;
  health: ResolvedHealthCheck;
  secrets: SecretRef[];
  /** Whether the process runs in the bwrap sandbox; a change restarts it. */
  sandbox: 'bwrap' | 'off';
  /** Restart marker (src/manifest/restart.ts); a change restarts the process. */
  restartedAt?: string;
}

/** A launch minus secret values: kept in the state file to say later what changed. */
export interface LaunchSummary {
  command: string;
  args: string[];
  cwd: string;
  transport: Transport;
  mcpPath: string;
  /** Env name → short digest of its value (values never leave memory). */
  env: Record<string, string>;
  /** Names of secrets exposed as env. */
  secrets: string[];
  /** The stdio bridge's limits (bridged servers only): the bridge reads them at start, so a change restarts it. */
  stdio?: StdioLimits;
  /** Present when the process runs sandboxed; absent (records of older Berths too) means unsandboxed. */
  sandbox?: 'bwrap';
  /** Restart marker the process was started for; absent when never restarted (so older records hash the same). */
  restartedAt?: string;
}

/** The final process to spawn for a launch on a port. */
export interface ProcessCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** URL of the MCP endpoint once it listens. */
  endpoint: string;
  healthUrl?: string;
}

/**
 * Reads the launch out of a desired server.
 * @returns the config, or `{ problem }` saying what in the spec stops a local run.
 */
export function launchConfigOf(desired: DesiredServer, settings: LaunchSettings): LaunchConfig | { problem: string } {
  const runtime = desired.spec.runtime;
  if (!runtime) return { problem: `${desired.name} has no spec.runtime; the local provider runs only servers with a runtime` };
  const local = runtime.local;
  if (!local?.command) {
    return {
      problem: `spec.runtime.local.command is missing for ${desired.name}: the local runtime cannot run the container image "${runtime.image}"; add runtime.local {command, args} or deploy it to ECS`,
    };
  }
  const allowed = settings.allowCommands;
  if (allowed && !allowed.some((glob) => matchesGlob(local.command, glob))) {
    return {
      problem: `spec.runtime.local.command "${local.command}" of ${desired.name} is not allowed on this machine: the operator allows only ${allowed.map((g) => `--allow-command ${JSON.stringify(g)}`).join(', ')}; ask them to add it, or deploy it to ECS`,
    };
  }
  const hc = runtime.healthCheck ?? {};
  const baseDir = desired.sourceDir ?? settings.defaultCwd;
  return {
    name: desired.name,
    command: local.command === 'node' ? settings.nodePath : local.command,
    args: [...(local.args ?? [])],
    env: { ...(runtime.env ?? {}), ...(local.env ?? {}) },
    cwd: local.cwd ? (isAbsolute(local.cwd) ? local.cwd : resolve(baseDir, local.cwd)) : baseDir,
    transport: runtime.transport,
    mcpPath: runtime.mcpPath ?? '/mcp',
    bridged: runtime.transport === 'stdio',
    ...(runtime.transport === 'stdio' ? { stdio: stdioLimitsOf(runtime.stdio) } : {}),
    health: {
      ...(hc.path && runtime.transport !== 'stdio' ? { path: hc.path } : {}),
      intervalMs: (hc.intervalSeconds ?? 10) * 1000,
      timeoutMs: (hc.timeoutSeconds ?? 5) * 1000,
      healthyThreshold: hc.healthyThreshold ?? 2,
      unhealthyThreshold: hc.unhealthyThreshold ?? 3,
      graceMs: (hc.gracePeriodSeconds ?? 30) * 1000,
    },
    secrets: [...(runtime.secrets ?? [])],
    sandbox: settings.sandbox.kind,
    ...(desired.restartedAt !== undefined ? { restartedAt: desired.restartedAt } : {}),
  };
}

/**
 * The process to spawn for a launch listening on `port`: `${PORT}` replaced in
 * args and env values, PORT and HOST set, the allow-listed parent env underneath,
 * the BERTH_SERVER_NAME / BERTH_STATE_ID marker on top (see marked-processes.ts),
 * and for stdio servers the bridge wrapped around the command.
 */
export function processCommandOf(
  config: LaunchConfig,
  port: number,
  settings: LaunchSettings,
  secretEnv: Record<string, string> = {},
): ProcessCommand {
  const sub = (s: string) => s.replaceAll('${PORT}', String(port));
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const v = settings.parentEnv[name];
    if (v !== undefined) env[name] = v;
  }
  for (const [k, v] of Object.entries(config.env)) env[k] = sub(v);
  Object.assign(env, secretEnv);
  env.PORT = String(port);
  env.HOST = settings.host;
  env.BERTH_SERVER_NAME = config.name;
  env.BERTH_STATE_ID = settings.stateId;
  const args = config.args.map(sub);
  const base = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;
  const endpoint = `${base}${config.mcpPath}`;
  const healthUrl = config.health.path ? `${base}${config.health.path}` : undefined;
  if (!config.bridged) return { command: config.command, args, env, cwd: config.cwd, endpoint, ...(healthUrl ? { healthUrl } : {}) };
  return {
    command: settings.nodePath,
    args: [
      settings.bridgeScript,
      ...['--host', settings.host, '--port', String(port), '--path', config.mcpPath],
      ...stdioLimitFlags(config.stdio ?? stdioLimitsOf(undefined)),
      '--',
      config.command,
      ...args,
    ],
    env,
    cwd: config.cwd,
    endpoint,
  };
}

/** The summary kept in the state file. */
export function summarize(config: LaunchConfig): LaunchSummary {
  const env: Record<string, string> = {};
  for (const k of Object.keys(config.env).sort()) env[k] = digest(`${k}\0${config.env[k]}`);
  return {
    command: config.command,
    args: config.args,
    cwd: config.cwd,
    transport: config.transport,
    mcpPath: config.mcpPath,
    env,
    secrets: config.secrets.map((s) => `${s.name}=${s.valueFrom}`).sort(),
    ...(config.stdio ? { stdio: config.stdio } : {}),
    ...(config.sandbox === 'bwrap' ? { sandbox: 'bwrap' as const } : {}),
    ...(config.restartedAt !== undefined ? { restartedAt: config.restartedAt } : {}),
  };
}

/** Hash of what the process sees; equal hashes mean no restart is needed. Health settings are left out on purpose. */
export function launchHashOf(config: LaunchConfig): string {
  return digest(JSON.stringify(summarize(config)));
}

/**
 * Says what differs between two launches, in words: `env changed (API_URL changed, DEBUG added)`.
 * Never prints env values.
 */
export function describeChanges(prev: LaunchSummary | undefined, next: LaunchSummary): string {
  if (!prev) return 'launch settings changed';
  const out: string[] = [];
  if (prev.command !== next.command) out.push(`command changed from ${quote(prev.command)} to ${quote(next.command)}`);
  if (JSON.stringify(prev.args) !== JSON.stringify(next.args)) out.push(`args changed from ${showArgs(prev.args)} to ${showArgs(next.args)}`);
  const envDiff = keyDiff(prev.env, next.env);
  if (envDiff) out.push(`env changed (${envDiff})`);
  const prevSecrets = Object.fromEntries(prev.secrets.map((s) => [s.split('=')[0] ?? s, s]));
  const nextSecrets = Object.fromEntries(next.secrets.map((s) => [s.split('=')[0] ?? s, s]));
  const secretDiff = keyDiff(prevSecrets, nextSecrets);
  if (secretDiff) out.push(`secrets changed (${secretDiff})`);
  if (prev.cwd !== next.cwd) out.push(`cwd changed from ${quote(prev.cwd)} to ${quote(next.cwd)}`);
  if (prev.transport !== next.transport) out.push(`transport changed from ${prev.transport} to ${next.transport}`);
  if (prev.mcpPath !== next.mcpPath) out.push(`mcpPath changed from ${prev.mcpPath} to ${next.mcpPath}`);
  if ((prev.sandbox ?? 'off') !== (next.sandbox ?? 'off')) out.push(`sandbox changed from ${prev.sandbox ?? 'off'} to ${next.sandbox ?? 'off'}`);
  if (next.stdio && !prev.stdio) {
    // Recorded by a Berth whose bridge had no limits: the new bridge brings them.
    out.push(`stdio bridge limits added (${Object.entries(next.stdio).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  } else if (next.stdio) {
    const limits = describeLimitChanges(prev.stdio, next.stdio);
    if (limits) out.push(`stdio limits changed (${limits})`);
  }
  if (prev.restartedAt !== next.restartedAt && next.restartedAt !== undefined) out.push(`restart requested at ${next.restartedAt}`);
  return out.length ? out.join('; ') : 'launch settings changed';
}

function keyDiff(prev: Record<string, string>, next: Record<string, string>): string {
  const parts: string[] = [];
  for (const k of Object.keys(next).sort()) {
    if (!(k in prev)) parts.push(`${k} added`);
    else if (prev[k] !== next[k]) parts.push(`${k} changed`);
  }
  for (const k of Object.keys(prev).sort()) if (!(k in next)) parts.push(`${k} removed`);
  return parts.join(', ');
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function showArgs(args: string[]): string {
  const s = `[${args.join(' ')}]`;
  return s.length > 100 ? `${s.slice(0, 97)}...]` : s;
}
