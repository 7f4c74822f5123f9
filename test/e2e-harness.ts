/**
 * Harness of the end-to-end tests: `berth up` as a real child process (started
 * exactly as a person would, from the repository root), the real `berth` CLI for
 * client commands, the registry's HTTP API for polling, official SDK MCP clients
 * through the gateway, and /proc scans that find every process a `berth up` on a
 * given state folder started — so tests can count them and prove none is left.
 */
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { MCPServer } from '../src/manifest/types.ts';
import { SERVER_ENV, STATE_ID_ENV, stateIdOf } from '../src/providers/local/marked-processes.ts';
import type { LocalRuntimeFile } from '../src/providers/local/state-file.ts';
import { tempDir as sharedTempDir } from './support/temp-dir.ts';
import { waitFor } from './support/wait.ts';
import { alive } from './support/processes.ts';

export { alive };

export { waitFor };

/** Repository root (`berth up` must run here: example manifests' args are relative to it). */
export const REPO = fileURLToPath(new URL('..', import.meta.url));
/** The berth CLI entry point. */
export const BIN = join(REPO, 'src/cli/bin.ts');
/** Node 24 (type stripping, node:sqlite): the runner's own when it is one, else the pinned binary. */
export const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : join(REPO, 'node_modules/.bin/node');
/** The streamable-HTTP test server with tools echo, getEnv and whoami. */
export const HTTP_FIXTURE = join(REPO, 'test/fixtures/mcp-servers/http-server.ts');
/** Registry API prefix. */
export const API = '/apis/berth.dev/v1alpha1';

/** A temporary folder `berth-e2e-<prefix>-…` and its removal. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  return sharedTempDir(`e2e-${prefix}`);
}


/** A running `berth up`. */
export interface BerthUp {
  child: ChildProcess;
  stateDir: string;
  registryUrl: string;
  gatewayUrl: string;
  adminTokenFile: string;
  token: string;
  /** Every stdout line so far. */
  lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line (already seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs` so a test never hangs). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Options of {@link startBerthUp}. */
export interface StartOptions {
  stateDir: string;
  /** Apply examples/ on first start (default true). */
  examples?: boolean;
  extraArgs?: string[];
  /** How long to wait for the printed URLs. Default 20 s. */
  timeoutMs?: number;
  /** Start it with this limit on open files (soft and hard), through util-linux `prlimit`. */
  nofile?: number;
  /** More environment for `berth up` (over the test's own). */
  env?: Record<string, string>;
  /** Working folder of `berth up` (default the repository root). */
  cwd?: string;
}

/**
 * Starts `node src/cli/bin.ts up --state-dir <dir> --registry-port 0 --gateway-port 0`
 * in the repository root and resolves once it printed its URLs and the admin token exists.
 */
export async function startBerthUp(opts: StartOptions): Promise<BerthUp> {
  const args = [BIN, 'up', '--state-dir', opts.stateDir, '--registry-port', '0', '--gateway-port', '0', ...(opts.examples === false ? ['--no-examples'] : []), ...(opts.extraArgs ?? [])];
  const [command, commandArgs] = opts.nofile === undefined ? [NODE, args] : ['prlimit', [`--nofile=${opts.nofile}:${opts.nofile}`, NODE, ...args]];
  const child = spawn(command, commandArgs, { cwd: opts.cwd ?? REPO, env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.re.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  function waitForLine(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`berth up printed no line matching ${re} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), timeoutMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiters.push({ re, resolve: done });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`berth up exited (code ${code}, signal ${signal}) before printing ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
      });
    });
  }

  const timeoutMs = opts.timeoutMs ?? 20_000;
  const registryLine = await waitForLine(/^\s+registry\s+http/, timeoutMs);
  const gatewayLine = await waitForLine(/^\s+gateway\s+http/, timeoutMs);
  const tokenLine = await waitForLine(/^\s+admin token\s+\//, timeoutMs);
  const registryUrl = /(http:\/\/\S+)/.exec(registryLine)![1]!;
  const gatewayUrl = /(http:\/\/\S+)/.exec(gatewayLine)![1]!;
  const adminTokenFile = /admin token\s+(\S+)/.exec(tokenLine)![1]!;
  const token = readFileSync(adminTokenFile, 'utf8').trim();

  return {
    child,
    stateDir: opts.stateDir,
    registryUrl,
    gatewayUrl,
    adminTokenFile,
    token,
    lines,
    stderr: () => stderr,
    waitForLine,
    exited,
    async stop(stopTimeoutMs = 20_000) {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: performance.now() - started };
    },
  };
}

/** Output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `berth <args> --server <registry>` with BERTH_TOKEN (not argv: `ps` shows argv) as a real process. */
export function berth(up: Pick<BerthUp, 'registryUrl' | 'token'>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(NODE, [BIN, ...args, '--server', up.registryUrl], { cwd: REPO, timeout: 20_000, env: { ...process.env, BERTH_TOKEN: up.token } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Reads one MCPServer from the registry API (undefined when it does not exist). */
export async function getServer(up: Pick<BerthUp, 'registryUrl' | 'token'>, name: string): Promise<MCPServer | undefined> {
  const res = await fetch(`${up.registryUrl}${API}/mcpservers/${name}`, { headers: { authorization: `Bearer ${up.token}` } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET mcpservers/${name}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as MCPServer;
}

/** Lists every MCPServer from the registry API. */
export async function listServers(up: Pick<BerthUp, 'registryUrl' | 'token'>): Promise<MCPServer[]> {
  const res = await fetch(`${up.registryUrl}${API}/mcpservers?limit=500`, { headers: { authorization: `Bearer ${up.token}` } });
  if (!res.ok) throw new Error(`GET mcpservers: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { items: MCPServer[] }).items;
}

/** True when the server is Ready for its current generation. */
export function isReady(s: MCPServer | undefined): boolean {
  return (
    s !== undefined &&
    s.status?.observedGeneration === s.metadata.generation &&
    s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** Waits until the server is Ready for its current generation and returns it. */
export function waitReady(up: Pick<BerthUp, 'registryUrl' | 'token'>, name: string, timeoutMs = 20_000): Promise<MCPServer> {
  return waitFor(`${name} Ready`, async () => {
    const s = await getServer(up, name);
    return isReady(s) ? s : false;
  }, timeoutMs);
}

/** Pid the status reports (status.runtime.pid of the local provider). */
export function statusPid(s: MCPServer): number | undefined {
  const pid = (s.status?.runtime as Record<string, unknown> | undefined)?.['pid'];
  return typeof pid === 'number' ? pid : undefined;
}

/** The local provider's state file of a state folder. */
export async function readRuntimeFile(stateDir: string): Promise<LocalRuntimeFile> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'local-runtime.json'), 'utf8')) as LocalRuntimeFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
    throw err;
  }
}

/** A live process and why it belongs to a state folder. */
export interface FoundProcess {
  pid: number;
  /** Server name of a server process (the provider's SERVER_ENV marker) (any member of its tree), when marked. */
  server?: string;
  /** True when it leads its own process group (each server's top process does). */
  groupLeader: boolean;
  cmdline: string;
}

/**
 * Every live process that belongs to `stateDir`: the ones the local provider marked
 * (STATE_ID_ENV of that folder in their env, inherited by their children) and any whose
 * command line names the folder (`berth up` itself). Zombies are skipped: they are gone.
 */
export async function processesOf(stateDir: string): Promise<FoundProcess[]> {
  const marker = `\0${STATE_ID_ENV}=${stateIdOf(stateDir)}\0`;
  const serverVar = new RegExp(`\0${SERVER_ENV}=([^\0]*)\0`);
  const found: FoundProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      const environ = `\0${await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')}`;
      const marked = environ.includes(marker);
      if (!marked && !cmdline.includes(stateDir)) continue;
      const server = marked ? serverVar.exec(environ)?.[1] : undefined;
      found.push({ pid, ...(server ? { server } : {}), groupLeader: fields[2] === String(pid), cmdline });
    } catch {
      continue; // exited while we looked
    }
  }
  return found;
}

/** Server name → pids of its top processes (group leaders marked with that name). */
export async function serverProcessCounts(stateDir: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const p of await processesOf(stateDir)) if (p.server && p.groupLeader) (out[p.server] ??= []).push(p.pid);
  return out;
}

/** SIGKILLs every process of a state folder (cleanup after a failed test only). */
export async function killLeftovers(stateDir: string): Promise<number> {
  const left = await processesOf(stateDir);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}

/** Agent keys that may call every tool, per berth up (see {@link allAccessKey}). */
const allAccessKeys = new WeakMap<BerthUp, Promise<string>>();

/**
 * An agent key for agent `e2e-tester`, which an AccessPolicy applied here lets
 * call every tool (`*`): the end-to-end tests check serving, not policy.
 */
export function allAccessKey(up: BerthUp): Promise<string> {
  let key = allAccessKeys.get(up);
  if (key === undefined) {
    key = (async () => {
      const admin = new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token });
      await admin.apply({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'e2e-all-tools' }, spec: { subjects: [{ agent: 'e2e-tester' }], allow: ['*'] } });
      return (await admin.createToken({ role: 'agent', agent: 'e2e-tester' })).token;
    })();
    allAccessKeys.set(up, key);
  }
  return key;
}

/** An SDK client connected through the gateway to `path`, presenting `agentKey` when given. */
export async function connectThroughGateway(gatewayUrl: string, path: string, agentKey?: string): Promise<Client> {
  const client = new Client({ name: 'berth-e2e', version: '1.0.0' });
  const requestInit = agentKey === undefined ? undefined : { headers: { authorization: `Bearer ${agentKey}` } };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}${path}`), requestInit ? { requestInit } : undefined));
  return client;
}

/** The text of a tool result's first text content. */
export function firstText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  const text = content.find((c) => c.type === 'text')?.text;
  if (text === undefined) throw new Error(`tool result has no text content: ${JSON.stringify(result)}`);
  return text;
}

/** One tool call through the gateway on a fresh session; the session is closed afterwards. */
export async function callThroughGateway(gatewayUrl: string, path: string, tool: string, args: Record<string, unknown>, agentKey?: string): Promise<{ text: string; isError: boolean }> {
  const client = await connectThroughGateway(gatewayUrl, path, agentKey);
  try {
    const result = await client.callTool({ name: tool, arguments: args });
    return { text: firstText(result), isError: result.isError === true };
  } finally {
    await client.close();
  }
}

/** A raw JSON-RPC POST to the gateway (no SDK), for checking error answers. */
export async function rawPost(gatewayUrl: string, path: string, agentKey?: string): Promise<{ status: number; body: { error?: { code: number; message: string } } }> {
  const res = await fetch(`${gatewayUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(agentKey ? { authorization: `Bearer ${agentKey}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  const text = await res.text();
  let body: { error?: { code: number; message: string } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON (e.g. an SSE answer from a live server): leave the body empty
  }
  return { status: res.status, body };
}

/**
 * A manifest (YAML) for the HTTP test server under `name`, routed at /mcp/<name>,
 * with the given env and lifecycle.
 */
export function fixtureManifest(name: string, opts: { env?: Record<string, string>; lifecycle?: string } = {}): string {
  const env = Object.entries(opts.env ?? {});
  return [
    'apiVersion: berth.dev/v1alpha1',
    'kind: MCPServer',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  owner:',
    '    team: platform',
    '    contact: platform@acme.example',
    '  environment: dev',
    `  lifecycle: ${opts.lifecycle ?? 'approved-dev'}`,
    '  risk: low',
    '  dataClassification: internal',
    '  runtime:',
    '    image: ghcr.io/acme/e2e-fixture:1.0.0',
    '    transport: streamable-http',
    '    port: 8080',
    ...(env.length ? ['    env:', ...env.map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)] : []),
    '    healthCheck:',
    '      path: /healthz',
    '    local:',
    '      command: node',
    `      args: [${JSON.stringify(HTTP_FIXTURE)}]`,
    '  routing:',
    `    path: /mcp/${name}`,
    // The fixture's tools (echo, getEnv, whoami) are not listed: they follow defaultScopes.
    '  defaultScopes: [fixture.use]',
    '  access:',
    '    undeclaredTools: defaultScopes',
    '',
  ].join('\n');
}
