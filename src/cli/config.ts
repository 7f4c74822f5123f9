/**
 * Client-side configuration of the registry commands (apply, diff, get, describe,
 * delete, audit, token), in one place: where the registry is, which token to send,
 * how flags are parsed, how kinds are named, and how client errors are reported.
 *
 * Registry address, first found wins:
 *   1. `--server URL`   2. the nearest `.berth/client.json` upward from the working
 *   directory (written by `berth up`)   3. `BERTH_SERVER`
 *   4. `./.berth/config.json` {"server"}
 *   5. `$XDG_CONFIG_HOME/berth/config.json` or `~/.config/berth/config.json` {"server"}
 *   6. http://127.0.0.1:7070
 * Token: `--token-file`/`--token` (`-` = stdin); the state folder's token file when the
 * server came from it; `BERTH_TOKEN`; the config files {"token"}; the state folder's
 * token file when the server given is that same registry (same origin) — a state
 * folder's token is never sent anywhere else; then, with no client.json at all and a
 * server on this machine, `./.berth/admin-token` (state folders from before client.json).
 * Environment variables are read only from `io.env`.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DURATION_EXAMPLES, parseDuration } from '../kit/duration.ts';
import { KINDS, type Kind } from '../manifest/resource.ts';
import type { Environment } from '../manifest/types.ts';
import { configProblems } from '../manifest/config-check.ts';
import { ForbiddenError, RegistryError, RegistryUnreachableError, UnauthorizedError } from '../client/errors.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, HttpRegistryClient } from '../client/http-client.ts';
import { ExitCode, UsageError, type CommandIo } from './command.ts';
import { findStateFolder, sameOrigin } from './state-folder.ts';

/** Registry address used when nothing else says where it is. */
export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

/** Flags every registry client command takes. */
export const CLIENT_FLAGS = {
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'request-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link CLIENT_FLAGS}. */
export const CLIENT_FLAGS_USAGE = `  -s, --server URL registry address (default: the nearest .berth/client.json upward, BERTH_SERVER,
                   config file, ${DEFAULT_SERVER})
  --token-file F   read the API token from file F (- = standard input)
  --token TOKEN    API token (- = standard input; on the command line it is visible in \`ps\`: prefer
                   --token-file). Default: the nearest .berth/ state folder's admin token (only for its
                   own registry), BERTH_TOKEN, config file
  --request-timeout D
                   longest wait for one registry answer (default 30s); answers over 64 MiB are refused
  -h, --help       show this help`;

/**
 * `node:util` parseArgs in strict mode, with its errors turned into UsageError.
 * @example const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, output: { type: 'string', short: 'o' } });
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/^.*?: /, '') : String(err), { cause: err });
  }
}

/**
 * A duration flag's value in milliseconds (`--lease-ttl 15s`), or `fallback`
 * when the flag was not given.
 * @throws UsageError naming the flag and the value when it is not a duration.
 * @example durationFlag(values['lease-ttl'], '--lease-ttl', 15_000) // 15000 when absent
 */
export function durationFlag(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} must be ${DURATION_EXAMPLES} (got "${text}")`);
  return ms;
}

/** The environments a manifest (`spec.environment`) and an ECS config file may name. */
export const ENVIRONMENTS: readonly Environment[] = ['dev', 'staging', 'production'];

/**
 * An `--environment` flag's value, or undefined when the flag was not given.
 * @throws UsageError naming the accepted environments and the value when it is not one
 */
export function environmentFlag(text: string | undefined): Environment | undefined {
  if (text === undefined) return undefined;
  if (!(ENVIRONMENTS as readonly string[]).includes(text)) throw new UsageError(`--environment must be one of ${ENVIRONMENTS.join(', ')} (got "${text}")`);
  return text as Environment;
}

/**
 * A port flag's value (`--port 7070`), or `fallback` when the flag was not given.
 * @throws UsageError naming the flag and the value when it is not 0–65535
 * @example portFlag(values.port, 8080, '--port') // 8080 when absent; 0 = any free port
 */
export function portFlag(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535 || text.trim() === '') throw new UsageError(`${flag} must be a port number 0–65535 (got "${text}")`);
  return n;
}

/**
 * A whole-number flag's value, at least 1 (`--max-watchers-per-token 16`), or
 * `fallback` when the flag was not given.
 * @throws UsageError naming the flag, the unit and the value otherwise
 * @example wholeNumberFlag(values['max-watchers-per-token'], '--max-watchers-per-token', 16, 'watch streams')
 */
export function wholeNumberFlag(text: string | undefined, flag: string, fallback: number, unit: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of ${unit}, at least 1 (got "${text}")`);
  return n;
}

/** Where the client connects and with which token (the token is never printed). */
export interface ClientConfig {
  server: string;
  token?: string;
  /** Where the server and the token came from, for error messages. */
  serverFrom: string;
  tokenFrom?: string;
}

interface ConfigFile {
  server?: string;
  token?: string;
}

async function readConfigFile(path: string): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(`${path} is not valid JSON (${(cause as Error).message}); expected {"server": "http://…", "token": "berth_…"}`, { cause });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${path} must hold a JSON object {"server": …, "token": …}`);
  // The same schema check as manifests: a misspelt key ("sever") is an error, not a setting silently ignored.
  const problems = configProblems('cli-config', parsed);
  if (problems.length > 0) {
    throw new UsageError(`${path} is not a valid berth config (schemas/cli-config.schema.json):\n${problems.map((p) => `  ${p.path || '(top level)'}: ${p.message}`).join('\n')}`);
  }
  const { server, token } = parsed as Record<string, unknown>;
  return { ...(typeof server === 'string' ? { server } : {}), ...(typeof token === 'string' ? { token } : {}) };
}

function isLocalHost(server: string): boolean {
  try {
    const host = new URL(server).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/** A state folder's token, or undefined when its file is gone (the registry's 401 then says what to do). */
async function readStateToken(path: string, what: string): Promise<string | undefined> {
  try {
    return await readTokenFile(path, what);
  } catch (err) {
    if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readTokenFile(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (cause) {
    throw new UsageError(`cannot read the token file ${path} (${what}): ${(cause as NodeJS.ErrnoException).code ?? String(cause)}; give another with --token-file`, { cause });
  }
}

async function readStdinToken(io: Pick<CommandIo, 'stdin'>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const token = Buffer.concat(chunks).toString('utf8').trim();
  if (!token) throw new UsageError('--token - reads the token from standard input, which was empty');
  return token;
}

/**
 * The token the flags give: `--token-file PATH` (or `-` for stdin), `--token -`
 * (stdin), or `--token TOKEN` (warned about: argv is visible to every user in `ps`).
 */
async function tokenFromFlags(flags: ClientFlags, io: Pick<CommandIo, 'stdin' | 'stderr'>): Promise<[string, string] | undefined> {
  const file = flags['token-file'];
  if (file !== undefined && flags.token !== undefined) throw new UsageError('give either --token or --token-file, not both');
  if (file === '-' || flags.token === '-') return [await readStdinToken(io), 'standard input'];
  if (file !== undefined) return [await readTokenFile(file, '--token-file'), file];
  if (flags.token) {
    io.stderr.write('berth: warning: --token on the command line is visible to other users in `ps`; use --token-file PATH, --token - (stdin) or BERTH_TOKEN\n');
    return [flags.token, '--token'];
  }
  return undefined;
}

/**
 * Resolves server and token (see the module comment). A token read from a state
 * folder is only ever paired with that folder's own registry URL.
 */
export async function resolveClientConfig(flags: ClientFlags, io: Pick<CommandIo, 'env' | 'cwd'> & Partial<Pick<CommandIo, 'stdin' | 'stderr'>>): Promise<ClientConfig> {
  const projectFile = join(io.cwd, '.berth', 'config.json');
  const home = io.env.HOME ?? io.env.USERPROFILE;
  const userDir = io.env.XDG_CONFIG_HOME ?? (home ? join(home, '.config') : undefined);
  const userFile = userDir ? join(userDir, 'berth', 'config.json') : undefined;
  const files: [string, ConfigFile | undefined][] = [[projectFile, await readConfigFile(projectFile)]];
  if (userFile) files.push([userFile, await readConfigFile(userFile)]);
  const state = await findStateFolder(io.cwd);

  let server: string | undefined;
  let serverFrom = 'default';
  if (flags.server) [server, serverFrom] = [flags.server, '--server'];
  else if (state) [server, serverFrom] = [state.server, state.file];
  else if (io.env.BERTH_SERVER) [server, serverFrom] = [io.env.BERTH_SERVER, 'BERTH_SERVER'];
  else {
    for (const [file, cfg] of files) {
      if (cfg?.server) {
        [server, serverFrom] = [cfg.server, file];
        break;
      }
    }
  }
  server ??= DEFAULT_SERVER;
  try {
    const url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch (cause) {
    throw new UsageError(`registry address ${JSON.stringify(server)} (from ${serverFrom}) is not an http:// or https:// URL`, { cause });
  }

  const stdio = { stdin: io.stdin ?? process.stdin, stderr: io.stderr ?? process.stderr };
  let [token, tokenFrom] = (await tokenFromFlags(flags, stdio)) ?? [undefined, undefined];
  // The state folder's own token goes to its own registry, and to nothing else.
  const stateToken = state?.tokenFile !== undefined && sameOrigin(state.server, server) ? state.tokenFile : undefined;
  if (token === undefined && serverFrom === state?.file && stateToken) [token, tokenFrom] = [await readStateToken(stateToken, state.file), stateToken];
  if (token === undefined && io.env.BERTH_TOKEN) [token, tokenFrom] = [io.env.BERTH_TOKEN, 'BERTH_TOKEN'];
  if (token === undefined) {
    for (const [file, cfg] of files) {
      if (cfg?.token) {
        [token, tokenFrom] = [cfg.token, file];
        break;
      }
    }
  }
  if (token === undefined && stateToken) [token, tokenFrom] = [await readStateToken(stateToken, state!.file), stateToken];
  // A state folder from before client.json (or a registry started in-process): its token, for a registry on this machine only.
  if (token === undefined && !state && isLocalHost(server)) {
    const file = resolve(io.cwd, '.berth', 'admin-token');
    try {
      token = (await readFile(file, 'utf8')).trim();
      tokenFrom = file;
    } catch {
      // No local bootstrap token: the registry will answer 401 with a clear message.
    }
  }
  return { server, serverFrom, ...(token ? { token } : {}), ...(tokenFrom ? { tokenFrom } : {}) };
}

/** The client flags {@link connectRegistry} reads. */
export interface ClientFlags {
  server?: string | undefined;
  token?: string | undefined;
  /** A file holding the token, or `-` for standard input. */
  'token-file'?: string | undefined;
  /** A duration (`30s`, `2m`); default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  'request-timeout'?: string | undefined;
}

/**
 * An HTTP client for the registry the flags and environment point at, with a
 * request timeout (`--request-timeout`, default 30 s) and the client's response
 * size limits, so a hung or hostile server makes the command fail, not hang or grow.
 * @throws UsageError when --request-timeout is not a duration
 */
export async function connectRegistry(flags: ClientFlags, io: Pick<CommandIo, 'env' | 'cwd'> & Partial<Pick<CommandIo, 'stdin' | 'stderr'>>): Promise<HttpRegistryClient> {
  const requestTimeoutMs = durationFlag(flags['request-timeout'], '--request-timeout', DEFAULT_REQUEST_TIMEOUT_MS);
  if (requestTimeoutMs < 1) throw new UsageError(`--request-timeout must be more than 0 (got "${flags['request-timeout']}")`);
  const cfg = await resolveClientConfig(flags, io);
  return new HttpRegistryClient({ baseUrl: cfg.server, requestTimeoutMs, ...(cfg.token ? { token: cfg.token } : {}) });
}

const KIND_ALIASES: Readonly<Record<string, Kind>> = {
  mcpserver: 'MCPServer',
  mcpservers: 'MCPServer',
  server: 'MCPServer',
  servers: 'MCPServer',
  mcp: 'MCPServer',
  accesspolicy: 'AccessPolicy',
  accesspolicies: 'AccessPolicy',
  policy: 'AccessPolicy',
  policies: 'AccessPolicy',
};

/** The kind a user typed (`mcp`, `servers`, `policy`, …; case-insensitive), or undefined. */
export function kindFromAlias(text: string): Kind | undefined {
  return KIND_ALIASES[text.toLowerCase()];
}

/** Like {@link kindFromAlias} but a UsageError listing the accepted names. */
export function requireKind(text: string): Kind {
  const kind = kindFromAlias(text);
  if (!kind) throw new UsageError(`unknown kind "${text}"; use one of: ${Object.keys(KIND_ALIASES).join(', ')}`);
  return kind;
}

/**
 * The `<kind> <name>` arguments of a command that acts on one object (describe, delete).
 * @throws UsageError unless there are exactly two, or when the kind is unknown
 */
export function requireKindAndName(positionals: string[], command: string): { kind: Kind; name: string } {
  if (positionals.length !== 2) throw new UsageError(`expected <kind> <name>, e.g. \`berth ${command} mcpserver weather\``);
  return { kind: requireKind(positionals[0]!), name: positionals[1]! };
}

/** `mcpserver/weather` — how commands name an object in their output. */
export function objectRef(kind: Kind, name: string): string {
  return `${kind.toLowerCase()}/${name}`;
}

/** Every kind, in display order. */
export const ALL_KINDS: readonly Kind[] = KINDS;

/**
 * One line for a registry client error, for a person: a refused token says how
 * to pass another, a refused action says why, other problems give their title
 * and detail. Undefined for anything that is not a registry client error.
 * @example describeClientError(new UnauthorizedError('token tok_x expired …')) // 'the registry refused the token (401 token tok_x expired …) — set --token-file or BERTH_TOKEN; …'
 */
export function describeClientError(err: unknown): string | undefined {
  if (err instanceof RegistryUnreachableError) return err.message;
  if (err instanceof UnauthorizedError) {
    return `the registry refused the token (401 ${err.message}) — set --token-file or BERTH_TOKEN; if no admin token works any more, run \`berth up --reset-admin-token\` where the state folder is`;
  }
  if (err instanceof ForbiddenError) return `the registry refused the request (403 ${err.message})`;
  // The named errors (not found, conflict, …) carry a complete sentence; others are titled.
  if (err instanceof RegistryError) return err.constructor === RegistryError ? `${err.title}: ${err.message}` : err.message;
  return undefined;
}

/**
 * Prints a registry client error for a person and returns the exit code:
 * 3 when the registry can't be reached or refused the token, 1 otherwise.
 * Anything that is not a client error is rethrown.
 */
export function reportClientError(err: unknown, io: Pick<CommandIo, 'stderr'>, command: string): number {
  const line = describeClientError(err);
  if (line === undefined) throw err;
  io.stderr.write(`berth ${command}: ${line}\n`);
  for (const e of (err as RegistryError).errors ?? []) io.stderr.write(`  ${e.path || '(document)'}  ${e.message}\n`);
  return err instanceof RegistryUnreachableError || err instanceof UnauthorizedError ? ExitCode.Unreachable : ExitCode.Failed;
}

/** Short age like `45s`, `12m`, `3h`, `5d` from an RFC 3339 time to `now`. */
export function age(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Left-aligned columns separated by three spaces, like kubectl. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
