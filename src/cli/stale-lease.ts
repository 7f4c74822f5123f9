/**
 * Frees a leader lease whose holder was a process on this machine that no longer
 * exists. `berth up` names its holder `<hostname>-<pid>`; after a `kill -9` the
 * lease would otherwise stay taken for its whole TTL, so a restarted `berth up`
 * would sit as a standby — neither adopting the servers the dead one left nor
 * stopping them on Ctrl-C. Only a provably dead holder is released: a live pid
 * (even a reused one) or a holder from another host waits for the TTL as usual.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Store } from '../registry/store.ts';

/** The holder id `berth up` uses for this process. */
export function localHolderId(pid: number = process.pid): string {
  return `${hostname()}-${pid}`;
}

/** True when no process with this pid exists (kill(pid, 0) fails with ESRCH). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Releases lease `name` when its holder is `<this hostname>-<pid>` and that pid is gone.
 * @returns the holder released, or undefined when the lease was left alone.
 * @example await releaseLeaseOfDeadLocalHolder(store, 'berth-reconciler', logger);
 */
export async function releaseLeaseOfDeadLocalHolder(store: Pick<Store, 'getLease' | 'releaseLease'>, name: string, logger: Logger): Promise<string | undefined> {
  const lease = await store.getLease(name);
  if (!lease) return undefined;
  const prefix = `${hostname()}-`;
  if (!lease.holder.startsWith(prefix)) return undefined;
  const pidText = lease.holder.slice(prefix.length);
  if (!/^\d+$/.test(pidText)) return undefined;
  const pid = Number(pidText);
  if (pid === process.pid || !processGone(pid)) return undefined;
  await store.releaseLease(name, lease.holder);
  logger.warn({ lease: name, holder: lease.holder }, `released lease ${name}: its holder (pid ${pid} on this machine) is gone, so this process can lead at once`);
  return lease.holder;
}
