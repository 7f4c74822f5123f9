/**
 * `berth up` (= `npm start`): the whole control plane on one machine — SQLite
 * store under ./.berth, registry API, reconciler with the local runtime, and the
 * gateway. Applies examples/ on the first start of a state folder, prints where
 * everything is and a live summary, and stops every child process on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { HttpRegistryClient } from '../../client/http-client.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { objectRef, parseFlags } from '../config.ts';
import { formatSummary, summarizeFleet } from '../summary.ts';
import { startSystem, type RunningSystem } from '../system.ts';
import { loadValidManifests } from './apply.ts';

const usage = `Usage: berth up [--state-dir DIR] [--host H] [--registry-port N] [--gateway-port N] [--examples DIR | --no-examples]

Runs the registry, the reconciler with the local runtime, and the gateway in one
process. On the first start of a state folder it applies the example manifests.
Ctrl-C stops everything, including every MCP server process it started.

Options:
  --state-dir DIR      database, admin token, runtime state and logs (default ./.berth)
  --host H             interface to listen on (default 127.0.0.1)
  --registry-port N    registry API port (default 7070; 0 = any free port)
  --gateway-port N     gateway port (default 8080; 0 = any free port)
  --examples DIR       manifests applied on first start; repeatable (default examples/manifests and
                       examples/policies; examples/remote is left out: it needs the internet)
  --no-examples        apply nothing on first start
  --log-level L        trace|debug|info|warn|error (default info); logs go to <state-dir>/berth.log
  --once               start, wait until every server is Ready or 60 s pass, print the summary, stop
                       (exit 0 when all are Ready, 1 otherwise)

Environment: none is required. BERTH_LOG_LEVEL sets --log-level.`;

/** What the first start applies: runnable on this machine without the internet. */
const DEFAULT_EXAMPLES = ['examples/manifests', 'examples/policies'];

function portFlag(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${flag} must be a port number 0–65535 (got "${text}")`);
  return n;
}

/** Applies manifests through the registry API, as a pipeline would; prints one line per object. */
async function applyExamples(sys: RunningSystem, paths: string[], io: CommandIo): Promise<boolean> {
  const objects = await loadValidManifests(paths, io, 'up');
  if (!objects) return false;
  const { readFile } = await import('node:fs/promises');
  const token = (await readFile(sys.adminTokenFile, 'utf8')).trim();
  const client = new HttpRegistryClient({ baseUrl: sys.registryUrl, token });
  for (const obj of objects) {
    const { result } = await client.apply(obj);
    io.stdout.write(`  ${objectRef(obj.kind, obj.metadata.name)} ${result}\n`);
  }
  return true;
}

async function currentSummary(sys: RunningSystem) {
  const { items } = await sys.store.list('MCPServer', { limit: 500 });
  return summarizeFleet(items);
}

const command: Command = {
  name: 'up',
  summary: 'run the whole system on this machine (registry, reconciler, local runtime, gateway)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      'state-dir': { type: 'string' },
      host: { type: 'string' },
      'registry-port': { type: 'string' },
      'gateway-port': { type: 'string' },
      examples: { type: 'string', multiple: true },
      'no-examples': { type: 'boolean' },
      'log-level': { type: 'string' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const stateDir = resolve(io.cwd, values['state-dir'] ?? '.berth');
    const host = values.host ?? '127.0.0.1';
    const registryPort = portFlag(values['registry-port'], 7070, '--registry-port');
    const gatewayPort = portFlag(values['gateway-port'], 8080, '--gateway-port');
    const level = values['log-level'] ?? io.env.BERTH_LOG_LEVEL ?? 'info';
    if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) {
      throw new UsageError(`--log-level must be one of trace, debug, info, warn, error (got "${level}")`);
    }
    const examples = values['no-examples'] ? [] : (values.examples ?? DEFAULT_EXAMPLES).map((p) => resolve(io.cwd, p));
    for (const [i, dir] of examples.entries()) {
      if (values.examples && !existsSync(dir)) throw new UsageError(`--examples ${values.examples[i]}: no such file or folder`);
    }

    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const logFile = join(stateDir, 'berth.log');
    const destination = pino.destination({ dest: logFile, append: true, sync: false, mkdir: true });
    const logger = pino({ level, redact: ['req.headers.authorization', '*.authorization', '*.token'] }, destination);

    io.stdout.write('berth: starting…\n');
    let sys: RunningSystem;
    try {
      sys = await startSystem({ stateDir, host, registryPort, gatewayPort, logger, cwd: io.cwd, nodePath: process.execPath, parentEnv: io.env });
    } catch (err) {
      io.stderr.write(`berth up: could not start: ${err instanceof Error ? err.message : String(err)}${err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : ''}\n`);
      io.stderr.write('Is another `berth up` running? Choose other ports with --registry-port / --gateway-port.\n');
      destination.flushSync();
      return ExitCode.Failed;
    }
    try {
      io.stdout.write(
        [
          `  registry    ${sys.registryUrl}`,
          `  gateway     ${sys.gatewayUrl}   (servers at ${sys.gatewayUrl}/mcp/<name>)`,
          `  admin token ${sys.adminTokenFile}${sys.firstStart ? '   (created now; readable only by you)' : ''}`,
          `  logs        ${logFile}`,
          '',
        ].join('\n'),
      );
      const present = examples.filter((p) => existsSync(p));
      if (sys.firstStart && present.length > 0) {
        io.stdout.write(`Applying ${present.map((p) => relative(io.cwd, p) || '.').join(', ')} (first start; --no-examples skips this):\n`);
        if (!(await applyExamples(sys, present, io))) io.stderr.write('berth up: the examples are invalid; nothing was applied\n');
      }
      return await watchSummary(sys, io, values.once ?? false);
    } finally {
      io.stdout.write('\nberth: stopping (every server process will be stopped)…\n');
      await sys.stop();
      destination.flushSync();
      io.stdout.write('berth: stopped\n');
    }
  },
};

/**
 * Prints the summary when it changes (rewriting one line on a TTY) until aborted,
 * or until Ready with --once. It re-reads the fleet only after a registry write
 * (status included), so an idle `berth up` does not list every server four times a second.
 */
async function watchSummary(sys: RunningSystem, io: CommandIo, once: boolean): Promise<number> {
  const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  const started = Date.now();
  await firstPass(sys, io.signal);
  let last = '';
  let seen = -1;
  let allReady = false;
  while (!io.signal.aborted) {
    // Read before listing: a write landing in between is seen on the next turn.
    const version = await sys.store.currentVersion();
    if (version !== seen) {
      seen = version;
      const summary = await currentSummary(sys);
      const line = formatSummary(summary);
      allReady = summary.deployable > 0 && summary.ready === summary.deployable;
      if (line !== last) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        io.stdout.write(tty ? `\r\x1b[2K[${seconds}s] ${line}` : `[${seconds}s] ${line}\n`);
        last = line;
      }
    }
    if (once && (allReady || Date.now() - started > 60_000)) {
      if (tty) io.stdout.write('\n');
      return allReady ? ExitCode.Ok : ExitCode.Failed;
    }
    // Wakes on the next write, on Ctrl-C, or after a second (--once's deadline needs a clock).
    await sys.store.waitForChange(seen, 1000, io.signal);
  }
  return ExitCode.Ok;
}

/** How long the summary waits for the reconciler's first pass before showing stored status anyway. */
const FIRST_PASS_WAIT_MS = 15_000;

/**
 * Waits until the reconciler leads and has been through every server once, so
 * the summary never shows the status a previous run left (after a crash or a
 * forced exit, stored status still says Ready for processes that are gone).
 * Bounded: if another reconciler holds the lease, stored status is all there is.
 */
async function firstPass(sys: RunningSystem, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + FIRST_PASS_WAIT_MS;
  // Unref'd and abortable: a wait left pending must neither keep the process alive nor outlast Ctrl-C.
  const wait = (ms: number) => sleep(ms, undefined, { ref: false, signal }).catch(() => undefined);
  while (!sys.reconciler.isLeader() && Date.now() < deadline && !signal.aborted) await wait(50);
  if (!sys.reconciler.isLeader() || signal.aborted) return;
  await Promise.race([sys.reconciler.idle(), wait(Math.max(0, deadline - Date.now()))]);
}

export default command;
