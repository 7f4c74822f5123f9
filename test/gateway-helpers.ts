/**
 * Shared helpers of the gateway tests: MCPServer objects in a given state, a
 * silent logger, and child-process handling for fixture servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { API_VERSION, type Condition } from '../src/manifest/resource.ts';
import type { GatewayTrafficSpec, LifecycleStage, MCPServer } from '../src/manifest/types.ts';
import { withApprovals } from './support/approvals.ts';

/** The node binary running the tests (Node 24, with type stripping). */
export const NODE = process.execPath;

/** A logger that writes nothing (level silent). */
export const silentLogger = pino({ level: 'silent' });

/** Options of {@link server}. */
export interface ServerState {
  endpoint?: string;
  ready?: boolean;
  lifecycle?: LifecycleStage;
  conditions?: Condition[];
  path?: string;
  host?: string;
  resourceVersion?: number;
  /** The manifest's `spec.gateway` (body limit, upstream timeout). */
  gateway?: GatewayTrafficSpec;
  /** No approvals in metadata (default: approved for production by two approvers). */
  unapproved?: boolean;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string): Condition {
  return { type, status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' };
}

/** A Ready condition set, or a not-Ready one (Progressing/Starting), as the reconciler writes them. */
export function conditions(ready: boolean): Condition[] {
  return ready
    ? [condition('Ready', 'True', 'Ready', 'serving'), condition('Progressing', 'False', 'Ready', 'rollout complete')]
    : [condition('Ready', 'False', 'Starting', 'process starting'), condition('Progressing', 'True', 'Starting', 'process starting')];
}

/** An MCPServer object named `name` in the given state, approved for production (unless `unapproved`). */
export function server(name: string, s: ServerState = {}): MCPServer {
  const obj = unapprovedServer(name, s);
  return s.unapproved ? obj : withApprovals(obj);
}

function unapprovedServer(name: string, s: ServerState): MCPServer {
  const routing = s.path || s.host ? { ...(s.path ? { path: s.path } : {}), ...(s.host ? { host: s.host } : {}) } : undefined;
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name, generation: 1, resourceVersion: String(s.resourceVersion ?? 1) },
    spec: {
      owner: { team: 'test' },
      environment: 'dev',
      lifecycle: s.lifecycle ?? 'approved-dev',
      risk: 'low',
      dataClassification: 'internal',
      remote: { url: s.endpoint ?? 'http://127.0.0.1:1/mcp', transport: 'streamable-http' },
      ...(routing ? { routing } : {}),
      ...(s.gateway ? { gateway: s.gateway } : {}),
    },
    status: {
      observedGeneration: 1,
      conditions: s.conditions ?? conditions(s.ready ?? true),
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    },
  };
}

/** A child process that printed `LISTENING <port>`. */
export interface ChildServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** Kills with SIGKILL (if alive) and waits for exit. */
  kill(): Promise<void>;
}

/**
 * Spawns `node <args>` and waits for its `LISTENING <port>` line (or a line matching
 * `portPattern`), failing after `timeoutMs`.
 */
export async function spawnServer(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; portPattern?: RegExp; path?: string; timeoutMs?: number } = {},
): Promise<ChildServer> {
  const child = spawn(NODE, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pattern = opts.portPattern ?? /^LISTENING (\d+)/;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${args.join(' ')} did not start within ${opts.timeoutMs ?? 15_000} ms`)), opts.timeoutMs ?? 15_000);
    const onLine = (line: string) => {
      const m = pattern.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${args.join(' ')} exited with ${code} before listening`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}${opts.path ?? '/mcp'}`,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
