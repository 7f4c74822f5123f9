/**
 * Telling whether a pid is still the process Berth started. Pids are reused, so a
 * pid alone proves nothing after a restart: we record the kernel's start time of
 * the process and its command line, and compare both before touching it.
 * Linux reads /proc; other systems (macOS dev machines) ask `ps`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What identifies one process instance beyond its pid. */
export interface ProcessIdentity {
  /** Kernel start time: clock ticks since boot (/proc) or `ps -o lstart` text. */
  startTime: string;
  /** Command line, arguments joined by single spaces. */
  cmdline: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

/**
 * Fields of a /proc/<pid>/stat text after the command name, which may itself hold
 * spaces and parentheses: [0] is the state (field 3 of stat), [2] the process
 * group (field 5), [19] the start time (field 22).
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

async function readStatFields(pid: number): Promise<string[] | undefined> {
  try {
    return statFields(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The identity in a process's stat fields and raw (NUL-separated) cmdline; undefined for a zombie. */
function identityFromProc(fields: string[], rawCmdline: string): ProcessIdentity | undefined {
  if (fields[0] === 'Z' || fields[0] === 'X' || fields[19] === undefined) return undefined;
  return { startTime: fields[19], cmdline: rawCmdline.split('\0').filter(Boolean).join(' ') };
}

/**
 * Reads the identity of a live process; undefined when there is no such process
 * (or it is a zombie, which no longer runs anything).
 */
export async function readProcessIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  if (HAS_PROC) {
    const fields = await readStatFields(pid);
    if (!fields) return undefined;
    try {
      return identityFromProc(fields, await readFile(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return undefined;
    }
  }
  try {
    const { stdout } = await run('ps', ['-o', 'stat=', '-o', 'lstart=', '-o', 'args=', '-p', String(pid)]);
    const line = stdout.trim();
    if (!line || line.startsWith('Z')) return undefined;
    // lstart is a fixed 24-character date ("Mon Jan  1 00:00:00 2024") after the state column.
    const rest = line.replace(/^\S+\s+/, '');
    return { startTime: rest.slice(0, 24), cmdline: rest.slice(24).trim() };
  } catch {
    return undefined;
  }
}

/**
 * Synchronous identity check for a forced exit, which cannot await: Linux /proc
 * only. False when the process is gone, is another process now, or when this
 * system has no /proc (then nobody is signalled, rather than maybe the wrong one).
 */
export function isSameProcessSync(pid: number, recorded: ProcessIdentity): boolean {
  if (!HAS_PROC) return false;
  try {
    const now = identityFromProc(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8')), readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    return now !== undefined && sameInstance(now, recorded);
  } catch {
    return false;
  }
}

/** True when a process with this pid exists and is not a zombie. */
export async function isRunning(pid: number): Promise<boolean> {
  if (!signalZeroSucceeds(pid)) return false;
  if (!HAS_PROC) return (await readProcessIdentity(pid)) !== undefined;
  const fields = await readStatFields(pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** `kill(pid, 0)`: the process (or, for a negative pid, some member of the group) exists. EPERM also means it exists. */
export function signalZeroSucceeds(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether two identities are the same process instance. On Linux the start time
 * (clock ticks since boot) with the pid is the instance: the command line is left
 * out because an exec wrapper (`sh -c 'exec …'`, a pyenv shim, `uv run`) changes
 * it in place, and a changed command line must not make Berth disown its own
 * server and start a duplicate. `ps` gives start times to the second only, so
 * elsewhere the command line must match too.
 */
function sameInstance(now: ProcessIdentity, recorded: ProcessIdentity): boolean {
  return now.startTime === recorded.startTime && (HAS_PROC || now.cmdline === recorded.cmdline);
}

/**
 * Compares a live process with a recorded identity.
 * @returns `{ same: true }`, or `{ same: false, reason }` saying why (gone, or a different process now holds the pid).
 */
export async function verifyIdentity(
  pid: number,
  recorded: ProcessIdentity,
): Promise<{ same: true } | { same: false; reason: string }> {
  const now = await readProcessIdentity(pid);
  if (!now) return { same: false, reason: `process ${pid} is gone` };
  if (!sameInstance(now, recorded)) {
    return { same: false, reason: `pid ${pid} now belongs to another process ("${now.cmdline.slice(0, 80)}")` };
  }
  return { same: true };
}

/**
 * True while any non-zombie process is in the process group. Scans /proc on Linux
 * because `kill(-pgid, 0)` also succeeds for zombies nobody has reaped yet
 * (common in containers whose init does not reap).
 */
export async function groupHasLiveMembers(pgid: number): Promise<boolean> {
  if (!signalZeroSucceeds(-pgid)) return false;
  if (!HAS_PROC) return true;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await readStatFields(Number(entry));
    if (fields && fields[2] === String(pgid) && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}
