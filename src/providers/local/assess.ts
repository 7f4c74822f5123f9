/** Turns a local observation into the runtime state status reports (pure). */
import { Reason } from '../../manifest/conditions.ts';
import type { DesiredServer, RuntimeState } from '../provider.ts';
import { launchConfigOf, launchHashOf, type LaunchSettings } from './launch.ts';
import type { LocalObservation } from './types.ts';
import { crashExcerpt } from './crash-excerpt.ts';

/** How soon to look again while a process starts or restarts. */
const STARTING_REQUEUE_MS = 250;

/**
 * Ready with the endpoint and tools when the process runs the desired launch and
 * is healthy; Progressing while it starts, restarts or rolls out; Degraded on a
 * crash loop, failed health checks, or a spec the local runtime cannot run.
 */
export function assessLocal(desired: DesiredServer | undefined, o: LocalObservation, settings: LaunchSettings): RuntimeState {
  const requested = desired?.spec.runtime?.replicas ?? 1;
  // One process per server on this machine: say so rather than let `replicas: 2` look honoured.
  const replicas = requested > 1 ? { requested, running: o.pid !== undefined ? 1 : 0, note: 'the local runtime runs one process per server' } : undefined;
  const details = { ...detailsOf(o), ...(replicas ? { replicas } : {}) };
  const health = o.health;
  if (!desired) {
    return o.supervision === 'none'
      ? { phase: 'Absent', reason: Reason.Retired, message: `no process runs for ${o.name}` }
      : { phase: 'Progressing', reason: Reason.Retiring, message: `stopping the process of ${o.name}`, requeueAfterMs: STARTING_REQUEUE_MS, details };
  }
  const config = launchConfigOf(desired, settings);
  if ('problem' in config) return { phase: 'Degraded', reason: Reason.InvalidSpec, message: config.problem, details };
  if (o.supervision === 'none') {
    return { phase: 'Absent', reason: Reason.NotDeployed, message: `${o.name} is not running yet`, requeueAfterMs: STARTING_REQUEUE_MS };
  }
  if (o.launchHash !== launchHashOf(config)) {
    return { phase: 'Progressing', reason: Reason.RollingOut, message: `restarting ${o.name} with generation ${desired.generation}`, requeueAfterMs: STARTING_REQUEUE_MS, health, details };
  }
  if (o.crashLoop && !(o.process === 'running' && health.status === 'Healthy')) {
    const exit = o.lastExit;
    const tail = exit?.stderrTail.length ? `; last stderr: ${crashExcerpt(exit.stderrTail).join(' | ')}` : '';
    const next = o.nextRestartInMs !== undefined ? `; next attempt in ${Math.ceil(o.nextRestartInMs / 1000)} s` : '';
    return {
      phase: 'Degraded',
      reason: Reason.CrashLoop,
      message: `${o.name} keeps crashing: ${o.restarts} restarts, last it ${exit?.message ?? 'exited'} (working directory ${config.cwd})${next}${tail}`,
      requeueAfterMs: Math.max(STARTING_REQUEUE_MS, o.nextRestartInMs ?? 1000),
      health,
      details,
    };
  }
  if (o.process !== 'running') {
    const why = o.lastExit ? `it ${o.lastExit.message}` : 'it is not running';
    const next = o.nextRestartInMs !== undefined ? `; restarting in ${o.nextRestartInMs} ms` : '';
    return { phase: 'Progressing', reason: Reason.Starting, message: `${o.name}: ${why}${next}`, requeueAfterMs: Math.max(STARTING_REQUEUE_MS, o.nextRestartInMs ?? 0), health, details };
  }
  if (health.status === 'Unhealthy') {
    return { phase: 'Degraded', reason: Reason.Unhealthy, message: `${o.name} fails its health checks: ${health.message ?? 'no answer'}`, requeueAfterMs: 1000, health, details };
  }
  if (health.status === 'Unknown' || !o.endpoint) {
    return { phase: 'Progressing', reason: Reason.Starting, message: `${o.name} started (pid ${o.pid}); waiting for its first health check to pass`, requeueAfterMs: STARTING_REQUEUE_MS, health, details };
  }
  return {
    phase: 'Ready',
    reason: Reason.Ready,
    message: `${o.name} serves MCP at ${o.endpoint}${replicas ? ` (replicas: ${requested} requested; the local runtime runs 1)` : ''}`,
    endpoint: o.endpoint,
    ...(o.tools ? { tools: o.tools } : {}),
    health,
    details,
  };
}

function detailsOf(o: LocalObservation): Record<string, unknown> {
  return {
    ...(o.pid !== undefined ? { pid: o.pid } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.startedAt ? { startedAt: o.startedAt } : {}),
    restarts: o.restarts,
    supervision: o.supervision,
    ...(o.lastExit ? { lastExit: o.lastExit } : {}),
    ...(o.notes?.length ? { notes: o.notes } : {}),
  };
}
