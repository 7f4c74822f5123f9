/**
 * Ending a whole process tree. Every server runs in its own process group (the
 * server may start helpers of its own), so signalling the group reaches them all.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { groupHasLiveMembers, signalZeroSucceeds } from './process-identity.ts';

/** How a group was ended. */
export interface TerminateResult {
  /** "already gone", "exited after SIGTERM" or "killed with SIGKILL". */
  outcome: 'already gone' | 'exited after SIGTERM' | 'killed with SIGKILL';
  /** False when members survived even SIGKILL (stuck in the kernel); the caller reports it. */
  gone: boolean;
}

/**
 * Sends SIGTERM to the group, waits up to `graceMs` for every member to exit,
 * then sends SIGKILL and waits again (up to 2 s). Safe to call for a group that
 * is already gone. The caller must have verified that the group is ours.
 *
 * @example await terminateGroup(record.pgid, { graceMs: 3000 });
 */
export async function terminateGroup(pgid: number, opts: { graceMs: number; pollMs?: number }): Promise<TerminateResult> {
  const pollMs = opts.pollMs ?? 25;
  if (!(await groupHasLiveMembers(pgid))) return { outcome: 'already gone', gone: true };
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, opts.graceMs, pollMs)) return { outcome: 'exited after SIGTERM', gone: true };
  signalGroup(pgid, 'SIGKILL');
  return { outcome: 'killed with SIGKILL', gone: await waitGroupGone(pgid, 2000, pollMs) };
}

/** Signals every member of the group; a group that vanished meanwhile is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number, pollMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // The cheap check first: a group with no processes at all fails kill(-pgid, 0).
    if (!signalZeroSucceeds(-pgid) || !(await groupHasLiveMembers(pgid))) return true;
    if (Date.now() >= until) return false;
    await sleep(pollMs);
  }
}
