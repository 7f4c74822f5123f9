/** Retiring a local server: no process of it may survive, and no record of it remains. */
import { terminateGroup } from './process-group.ts';
import { isRunning, verifyIdentity } from './process-identity.ts';
import type { LocalProviderState } from './provider-state.ts';

/**
 * Makes sure no process runs for `name`: stops its supervisor, or ends the
 * process tree an earlier Berth recorded (only after verifying it is that
 * process) and its strays, and forgets the record. This is what rules out
 * duplicates. Resolves to 'deleted' when it ended something, else 'unchanged'.
 */
export async function ensureStopped(name: string, state: LocalProviderState): Promise<string> {
  const sup = state.table.take(name);
  if (sup) return sup.stop();
  const { store, logger, stopGraceMs } = state.ctx;
  const record = await store.get(name);
  let result = (await state.strays.end(name, record?.pid)) ? 'deleted' : 'unchanged';
  if (!record) return result;
  const same = await verifyIdentity(record.pid, record.identity);
  if (same.same || !(await isRunning(record.pid))) {
    // Verified ours, or the leader is gone and only its group (which no one else can hold meanwhile) may remain.
    const t = await terminateGroup(record.pgid, { graceMs: stopGraceMs });
    if (t.outcome !== 'already gone') result = 'deleted';
  } else {
    logger.warn({ server: name, pid: record.pid }, `not signalling pid ${record.pid}: ${same.reason}`);
  }
  await store.put(name, undefined);
  return result;
}
