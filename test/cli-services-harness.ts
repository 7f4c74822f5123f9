/**
 * Harness of the separately-deployed services tests: `berth registry`,
 * `berth reconciler` and `berth gateway` as real child processes (started as an
 * operator would), the real CLI for apply, the registry API for polling, and
 * /proc scans for the MCP server processes a local runtime started.
 */
import { afterEach } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MCPServer } from '../src/manifest/types.ts';
import { findMarkedProcesses, stateIdOf } from '../src/providers/local/marked-processes.ts';
import { alive } from './support/processes.ts';
import { tempDir as sharedTempDir } from './support/temp-dir.ts';
import { waitFor } from './support/wait.ts';

export { alive, waitFor };

/** Repository root. */
export const REPO = fileURLToPath(new URL('..', import.meta.url));
/** The berth CLI entry point. */
export const BIN = join(REPO, 'src/cli/bin.ts');
/** Node 24 (type stripping, node:sqlite). */
export const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : join(REPO, 'node_modules/.bin/node');
/** The streamable-HTTP test server (tools echo, getEnv, whoami; GET /healthz). */
export const HTTP_FIXTURE = join(REPO, 'test/fixtures/mcp-servers/http-server.ts');
const API = '/apis/berth.dev/v1alpha1';

/** A temporary folder `berth-svc-<prefix>-XXXXXX` and its removal. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  return sharedTempDir(`svc-${prefix}`);
}


/** A running `berth <command>` process. */
export interface BerthProcess {
  child: ChildProcess;
  /** stdout lines so far (JSON log lines for the services). */
  lines: string[];
  stderr(): string;
  /** First stdout/stderr line (seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node src/cli/bin.ts <args>` in `cwd` (default the repository root). */
export function spawnBerth(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): BerthProcess {
  const child = spawn(NODE, [BIN, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const errLines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];
  const onLine = (line: string): void => {
    for (const w of waiters.splice(0)) {
      if (w.re.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  };
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    onLine(l);
  });
  createInterface({ input: child.stderr! }).on('line', (l) => {
    errLines.push(l);
    onLine(l);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    lines,
    stderr: () => errLines.join('\n'),
    waitForLine(re, timeoutMs = 20_000) {
      const seen = [...lines, ...errLines].find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`berth ${args[0]} printed no line matching ${re} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${errLines.join('\n')}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`berth ${args[0]} exited (code ${code}, signal ${signal}) before printing ${re}; stdout:\n${lines.join('\n')}\nstderr:\n${errLines.join('\n')}`));
        });
      });
    },
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** A `berth registry` process on a free port with its admin token. */
export interface RegistryProcess extends BerthProcess {
  url: string;
  token: string;
}

/** Starts `berth registry --port 0 --state-dir <dir>` and waits until it listens. */
export async function startRegistryProcess(dir: string): Promise<RegistryProcess> {
  const p = spawnBerth(['registry', '--port', '0', '--state-dir', dir, '--log-level', 'warn']);
  const line = await p.waitForLine(/^registry listening on http/);
  const url = /(http:\/\/\S+)/.exec(line)![1]!;
  const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
  return Object.assign(p, { url, token });
}

/** Output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `berth <args>` to completion (no --server/--token added). */
export function runBerth(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(NODE, [BIN, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Writes a manifest running the HTTP test fixture (or `local`'s command) as `name` into `dir` and returns its path. */
export function writeFixtureManifest(dir: string, name: string, local: { command: string; args?: string[] } = { command: 'node', args: [HTTP_FIXTURE] }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: ${name}
spec:
  description: Test server for the separately-deployed services tests.
  owner:
    team: platform
  environment: dev
  lifecycle: approved-dev
  risk: low
  dataClassification: internal
  runtime:
    image: example/test-server:1
    transport: streamable-http
    healthCheck:
      path: /healthz
    local:
      command: ${JSON.stringify(local.command)}${local.args !== undefined ? `\n      args: ${JSON.stringify(local.args)}` : ''}
  tools:
    - name: echo
      scopes: [fixture.echo]
`,
  );
  return file;
}

/**
 * An agent key for agent `svc-tester`, which an AccessPolicy applied here lets call
 * every tool: these tests check that the parts work as separate processes, not policy.
 */
export async function allAccessAgentKey(reg: Pick<RegistryProcess, 'url' | 'token'>): Promise<string> {
  const admin = new HttpRegistryClient({ baseUrl: reg.url, token: reg.token });
  await admin.apply({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'svc-all-tools' }, spec: { subjects: [{ agent: 'svc-tester' }], allow: ['*'] } });
  return (await admin.createToken({ role: 'agent', agent: 'svc-tester' })).token;
}

/** Reads one MCPServer from the registry API. */
export async function getServer(reg: Pick<RegistryProcess, 'url' | 'token'>, name: string): Promise<MCPServer | undefined> {
  const res = await fetch(`${reg.url}${API}/mcpservers/${name}`, { headers: { authorization: `Bearer ${reg.token}` } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET mcpservers/${name}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as MCPServer;
}

/** True when the server is Ready for its current generation. */
export function isReady(s: MCPServer | undefined): boolean {
  return s !== undefined && s.status?.observedGeneration === s.metadata.generation && s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Parsed JSON log lines of a service process (non-JSON lines skipped). */
export function logRecords(p: BerthProcess): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const l of p.lines) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return out;
}


/**
 * Registers an afterEach that runs, newest first, what the test queued: `later`
 * queues any clean-up, `track` a process to kill (SIGKILL, 2 s) and returns it.
 * Call once at the top of a test file.
 * @example const { track, later } = cleanupAfterEach(); const reg = track(await startRegistryProcess(dir));
 */
export function cleanupAfterEach(): {
  track<P extends BerthProcess>(p: P): P;
  later(fn: () => Promise<void> | void): void;
  killServersOf(stateDir: string): void;
} {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    track(p) {
      cleanups.push(async () => void (await p.stop('SIGKILL', 2_000)));
      return p;
    },
    later(fn) {
      cleanups.push(fn);
    },
    /**
     * Kills, after the test, every server process a local runtime with `stateDir`
     * started. Call it before tracking the reconcilers of that folder: clean-ups run
     * newest first, so they are stopped before their servers and cannot restart one.
     */
    killServersOf(stateDir) {
      cleanups.push(async () => {
        // Until none is left: one a dying reconciler spawned may only now show up.
        for (let round = 0; round < 10; round++) {
          const marked = (await findMarkedProcesses(stateIdOf(stateDir))).filter((m) => alive(m.pid));
          if (marked.length === 0 && round > 0) return;
          // The whole group: under bwrap the leader is the outer bwrap, and killing it alone would orphan the sandbox.
          for (const m of marked) {
            try {
              process.kill(-m.pid, 'SIGKILL');
            } catch {
              // gone meanwhile
            }
          }
          await new Promise((r) => setTimeout(r, 300));
        }
      });
    },
  };
}

/**
 * Calls the fixture server's `echo` tool on server `name` through the gateway at
 * `gatewayUrl` with an agent key, in a session of its own; resolves to the text
 * echoed. Rejects when the session or the call fails.
 */
export async function callEcho(gatewayUrl: string, name: string, text: string, agentKey: string): Promise<string> {
  const client = new Client({ name: 'cli-services-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp/${name}`), { requestInit: { headers: { authorization: `Bearer ${agentKey}` } } }));
  try {
    const result = await client.callTool({ name: 'echo', arguments: { text } });
    return (result.content as Array<{ type: string; text: string }>)[0]!.text;
  } finally {
    await client.close();
  }
}
