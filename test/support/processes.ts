/**
 * Process checks for tests that start real server processes.
 */
import { readFileSync } from 'node:fs';

/**
 * True while a process with this pid runs: kill(pid, 0) succeeds (or is refused
 * for permission) and it is not a zombie — a server adopted after its parent was
 * killed is reparented to init, which in some containers never reaps it, and a
 * zombie runs nothing.
 * @example expect(alive(pid)).toBe(false);
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // no /proc entry: it has gone
  }
}
