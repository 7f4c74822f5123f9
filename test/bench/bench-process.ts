/**
 * Process plumbing shared by the gateway benchmarks: starting a role of
 * gateway.bench.ts (optionally under a wrapper such as valgrind) and waiting for
 * the `LISTENING <port>` line it prints, reading a process's CPU time, and
 * reading `--name value` arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** gateway.bench.ts, whose roles (sdk-upstream, gateway, reference, loadgen, …) the scripts start. */
export const GATEWAY_BENCH = new URL('./gateway.bench.ts', import.meta.url).pathname;

/** What {@link spawnListening} starts the process with. */
export interface SpawnOptions {
  /** Node flags placed before the script, e.g. `['--cpu-prof']`. */
  nodeFlags?: string[];
  /** A command that runs Node, e.g. `['valgrind', '--tool=callgrind']`; default none. */
  wrapper?: string[];
}

/**
 * Starts `node <nodeFlags> <args>` (under `wrapper` if given) and resolves once it
 * prints `LISTENING <port>`; rejects if it exits first. stderr is inherited.
 * @example const up = await spawnListening([GATEWAY_BENCH, 'sdk-upstream', 'sse']);
 */
export function spawnListening(args: string[], opts: SpawnOptions = {}): Promise<{ port: number; child: ChildProcess }> {
  const command = [...(opts.wrapper ?? []), process.execPath, ...(opts.nodeFlags ?? []), ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^LISTENING (\d+)/.exec(line);
      if (m) resolve({ port: Number(m[1]), child });
    });
  });
}

/**
 * User and system CPU time of process `pid` in µs, from /proc. The kernel counts in
 * 10 ms ticks: coarse for one short slice, fine summed over many.
 */
export function procCpuUs(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10_000, sys: Number(fields[12]) * 10_000 };
}

/** The value after `--<name>` on the command line, or `dflt`. */
export function stringArg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : (process.argv[i + 1] ?? dflt);
}

/** The number after `--<name>` on the command line, or `dflt`. */
export function numberArg(name: string, dflt: number): number {
  return Number(stringArg(name, String(dflt)));
}
