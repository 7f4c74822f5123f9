/**
 * Finding server processes by the marker Berth puts in their environment
 * (`BERTH_STATE_ID`, `BERTH_SERVER_NAME`). The state file is written right after a
 * spawn; a Berth killed in between leaves a process no record names. The next
 * Berth scans for the marker once, so even that process is found and replaced,
 * never duplicated. Linux only (/proc/<pid>/environ); elsewhere the scan finds
 * nothing and the (milliseconds-wide) window stays open.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readProcessIdentity, statFields, type ProcessIdentity } from './process-identity.ts';

/** Env name carrying the id of the state folder a process belongs to. */
export const STATE_ID_ENV = 'BERTH_STATE_ID';
/** Env name carrying the server name. */
export const SERVER_ENV = 'BERTH_SERVER_NAME';

/** A process-group leader carrying Berth's marker. */
export interface MarkedProcess {
  name: string;
  pid: number;
  identity: ProcessIdentity;
}

/** Short id of a state folder, the same for every Berth using that folder. */
export function stateIdOf(stateDir: string): string {
  return createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16);
}

/** Every live process-group leader marked with `stateId`, by server name. */
export async function findMarkedProcesses(stateId: string): Promise<MarkedProcess[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const needle = `\0${STATE_ID_ENV}=${stateId}\0`;
  const found: MarkedProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = `\0${await readFile(`/proc/${pid}/environ`, 'utf8')}`;
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.includes(needle)) continue;
    const name = /\0BERTH_SERVER_NAME=([^\0]*)\0/.exec(environ)?.[1];
    if (!name) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = statFields(stat);
    // Only group leaders: a server's helpers and session children share its group and go with it.
    if (fields[2] !== String(pid)) continue;
    const identity = await readProcessIdentity(pid);
    if (identity) found.push({ name, pid, identity });
  }
  return found;
}
