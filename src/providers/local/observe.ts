/**
 * What the local provider sees of a server: its supervisor's snapshot, else the
 * process an earlier Berth recorded (verified and health-probed), else strays,
 * else nothing. Reads only: it never signals or spawns.
 */
import { checkOnce } from './health.ts';
import { verifyIdentity } from './process-identity.ts';
import type { LocalProviderState } from './provider-state.ts';
import type { LocalRuntimeRecord } from './state-file.ts';
import type { LocalObservation } from './types.ts';

/** Observes server `name`; strays are listed beside whatever else is found, so the plan can end them. */
export async function observeLocal(name: string, state: LocalProviderState): Promise<LocalObservation> {
  const sup = state.table.get(name);
  if (sup) return sup.snapshot();
  const record = await state.ctx.store.get(name);
  const strays = (await state.strays.of(name, record?.pid)).map((m) => m.pid);
  if (record) {
    const o = await observeRecorded(name, record, state);
    return strays.length ? { ...o, strays } : o;
  }
  if (strays.length) {
    return {
      name,
      process: 'running',
      supervision: 'orphaned',
      pid: strays[0]!,
      pgid: strays[0]!,
      health: { status: 'Unknown' },
      restarts: 0,
      crashLoop: false,
      strays,
      notes: [`process ${strays.join(', ')} was started by an earlier Berth process that died before recording it`],
    };
  }
  return { name, process: 'absent', supervision: 'none', health: { status: 'Unknown' }, restarts: 0, crashLoop: false };
}

/** A recorded process not supervised here: exited unless its identity still matches, then probed once for health and tools. */
async function observeRecorded(name: string, record: LocalRuntimeRecord, state: LocalProviderState): Promise<LocalObservation> {
  const base = {
    name,
    supervision: 'orphaned' as const,
    port: record.port,
    endpoint: record.endpoint,
    specHash: record.specHash,
    launchHash: record.launchHash,
    generation: record.generation,
    startedAt: record.startedAt,
    summary: record.summary,
    restarts: 0,
    crashLoop: false,
  };
  const same = await verifyIdentity(record.pid, record.identity);
  if (!same.same) {
    return { ...base, process: 'exited', health: { status: 'Unknown' }, notes: [same.reason] };
  }
  const check = await checkOnce(
    { endpoint: record.endpoint, transport: record.summary.transport === 'sse' ? 'sse' : 'streamable-http', ...(record.healthUrl ? { healthUrl: record.healthUrl } : {}) },
    state.orphanProbeTimeoutMs,
    true,
  );
  return {
    ...base,
    process: 'running',
    pid: record.pid,
    pgid: record.pgid,
    health: { status: check.ok ? 'Healthy' : 'Unhealthy', lastChecked: new Date(state.ctx.now()).toISOString(), message: check.message },
    ...(check.tools ? { tools: check.tools } : {}),
  };
}

/** Every server with a supervisor, a record, or a stray process, sorted. */
export async function listManagedLocal(state: LocalProviderState): Promise<string[]> {
  const names = new Set(state.table.names());
  const records = (await state.ctx.store.read()).servers;
  for (const name of Object.keys(records)) names.add(name);
  for (const m of await state.strays.marked()) if (!names.has(m.name) && (await state.strays.of(m.name, records[m.name]?.pid)).length) names.add(m.name);
  return [...names].sort();
}
