/**
 * Resident memory of process trees, read from /proc (Linux). The stdio bridge
 * measures each session's server process together with its descendants,
 * because a server started through a wrapper (`npx`, `uv run`, a shell script)
 * does its work in a child of the process the bridge spawned.
 *
 * RSS counts shared pages (the runtime's binary, shared libraries) in every
 * process, so a sum of RSS overstates what the processes cost together: as a
 * limit it errs on the safe side, and it is what `ps` and the kernel's OOM
 * report show, so a figure in a refusal can be checked by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * RSS in bytes of each tree rooted at one of `roots` (the root and all its
 * descendants). A root that has exited is left out of the map.
 * @returns undefined where there is no /proc, so the caller can say memory is not measured.
 * @example treeResidentBytes([4242]) // Map { 4242 => 98_304_000 }
 */
export function treeResidentBytes(roots: Iterable<number>, procDir = '/proc'): Map<number, number> | undefined {
  const rootList = [...roots];
  const out = new Map<number, number>();
  if (rootList.length === 0) return out;
  const children = childrenByParent(procDir);
  if (!children) return undefined;
  for (const root of rootList) {
    let total = 0;
    let found = false;
    const queue = [root];
    const seen = new Set<number>();
    while (queue.length) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const rss = residentBytes(procDir, pid);
      if (rss === undefined) continue;
      if (pid === root) found = true;
      total += rss;
      queue.push(...(children.get(pid) ?? []));
    }
    if (found) out.set(root, total);
  }
  return out;
}

/** parent pid → child pids of every process now; undefined without /proc. */
function childrenByParent(procDir: string): Map<number, number[]> | undefined {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`${procDir}/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and ')', so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/** VmRSS of one process in bytes; undefined if it is gone (a zombie has no VmRSS line, and holds no memory). */
function residentBytes(procDir: string, pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`${procDir}/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
