/**
 * The local provider's plan (pure): what to do so that the processes match the
 * desired server. Crashes of a supervised process are not planned: its supervisor
 * restarts it with backoff by itself.
 */
import type { DesiredServer, Plan } from '../provider.ts';
import { describeChanges, launchConfigOf, launchHashOf, summarize, type LaunchSettings } from './launch.ts';
import type { LocalAction, LocalObservation } from './types.ts';

/**
 * Decides start / restart / stop / adopt / retag, each with a reason a person understands.
 * @example
 * planLocal(desired, { process: 'running', launchHash: 'old…', … }, settings).actions
 * // [{ op: 'restart', resource: 'process weather', reason: 'env changed (API_URL changed)' }]
 */
export function planLocal(desired: DesiredServer | undefined, observed: LocalObservation, settings: LaunchSettings): Plan<LocalAction> {
  const name = desired?.name ?? observed.name;
  const resource = `process ${name}`;
  const plan = (actions: LocalAction[]): Plan<LocalAction> => ({ server: name, actions });
  const exists = observed.supervision !== 'none';
  const pidText = observed.pid !== undefined ? ` (pid ${observed.pid})` : '';
  const proc = observed.pid !== undefined ? `process ${observed.pid}` : 'the process';

  if (!desired) {
    return exists ? plan([{ op: 'stop', resource, reason: `${name} is no longer desired; ending its process tree${pidText}`, ...pid(observed) }]) : plan([]);
  }
  const config = launchConfigOf(desired, settings);
  if ('problem' in config) {
    return exists ? plan([{ op: 'stop', resource, reason: `cannot run it locally: ${config.problem}`, ...pid(observed) }]) : plan([]);
  }
  const launchHash = launchHashOf(config);

  if (observed.supervision === 'none') return plan([{ op: 'start', resource, reason: 'not running', desired }]);

  if (observed.supervision === 'orphaned') {
    const earlier = 'started by an earlier Berth process';
    if (!observed.summary) {
      return plan([{ op: 'restart', resource, reason: `${proc} was ${earlier} that died before recording it; replacing it`, desired, ...pid(observed) }]);
    }
    if (observed.process !== 'running') {
      return plan([{ op: 'start', resource, reason: `the process ${earlier} is gone${observed.notes?.length ? ` (${observed.notes.join('; ')})` : ''}`, desired }]);
    }
    if (observed.launchHash !== launchHash) {
      return plan([{ op: 'restart', resource, reason: `${describeChanges(observed.summary, summarize(config))}; ${proc} was ${earlier}`, desired, ...pid(observed) }]);
    }
    if (observed.health.status !== 'Healthy') {
      return plan([{ op: 'restart', resource, reason: `${proc}, ${earlier}, is not healthy: ${observed.health.message ?? 'no answer'}`, desired, ...pid(observed) }]);
    }
    const strays = observed.strays?.length ? ` and ending unrecorded duplicate(s) ${observed.strays.join(', ')}` : '';
    return plan([{ op: 'adopt', resource, reason: `${proc}, ${earlier}, runs this spec and is healthy; supervising it again${strays}`, desired, bookkeeping: true, ...pid(observed), seen: { health: observed.health, ...(observed.tools ? { tools: observed.tools } : {}) } }]);
  }

  // Supervised by this provider.
  if (observed.launchHash !== launchHash) {
    return plan([{ op: 'restart', resource, reason: describeChanges(observed.summary, summarize(config)), desired, ...pid(observed) }]);
  }
  if (observed.specHash !== desired.specHash) {
    return plan([{ op: 'retag', resource, reason: `spec changed (generation ${desired.generation}) without changing how the process runs; keeping it`, desired }]);
  }
  return plan([]);
}

function pid(o: LocalObservation): { pid?: number } {
  return o.pid !== undefined ? { pid: o.pid } : {};
}
