/**
 * The `berth` program as tests run it: one command as a child process of this
 * Node, and `berth registry` as a long-running process on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

/** What one `berth` run printed and how it exited. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `berth <args>` in `cwd` with `env` added to this process's environment.
 * @example const r = await berth(['get', 'servers'], { BERTH_SERVER: url, BERTH_TOKEN: token }, dir);
 */
export function berth(args: string[], env: Record<string, string>, cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A `berth registry` process and where it listens. */
export interface RegistryProcess {
  child: ChildProcess;
  url: string;
}

/**
 * Starts `berth registry --port 0 --state-dir <stateDir> <extra…>` and resolves
 * once it says where it listens.
 * @example const reg = await startRegistry(join(dir, 'state'), ['--approval-ttl', '1s']);
 */
export async function startRegistry(stateDir: string, extra: string[] = []): Promise<RegistryProcess> {
  const child = spawn(process.execPath, [BIN, 'registry', '--port', '0', '--state-dir', stateDir, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`registry exited ${code}: ${err}`)));
  });
  return { child, url };
}

/** Stops a registry process with `signal` and waits for it to exit (at once when it already has). */
export async function stop(reg: RegistryProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (reg.child.exitCode !== null || reg.child.signalCode !== null) return;
  const exited = new Promise((r) => reg.child.once('exit', r));
  reg.child.kill(signal);
  await exited;
}
