/**
 * The "Runtime" section of `berth describe server`: what the provider wrote in
 * `status.runtime` (for ECS: the ARNs Berth owns, the listener rule, the rollout
 * state exactly as AWS gave it, running/desired counts, target health as last
 * read, the last AWS error with its time). Reads plain JSON: fields a provider
 * did not write are left out, and values are printed as stored, never inferred.
 *
 * @example
 * describeRuntime({ provider: 'ecs', rollout: { rolloutState: 'COMPLETED', running: 1, desired: 1, deploymentId: 'ecs-svc/1' } })
 * // 'Provider:  ecs\nRollout:   COMPLETED (deployment ecs-svc/1), 1/1 running\n'
 */

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** Lines for `status.runtime`; undefined when there is nothing to show. */
export function describeRuntime(runtime: Json | undefined): string | undefined {
  if (runtime === undefined) return undefined;
  const rows: Array<[string, string | undefined]> = [['Provider', str(runtime['provider'])]];
  const arns = obj(runtime['arns']) ?? {};
  rows.push(['Task definition', str(arns['taskDefinition'])], ['Service', str(arns['service'])], ['Target group', str(arns['targetGroup'])], ['Listener', str(arns['listener'])]);
  const rule = obj(runtime['rule']);
  if (rule !== undefined) {
    rows.push(['Listener rule', `${str(rule['arn']) ?? '?'} (priority ${num(rule['priority']) ?? '?'}) ${str(rule['conditions']) ?? ''}`.trimEnd()]);
  } else rows.push(['Listener rule', str(arns['listenerRule'])]);
  const rollout = obj(runtime['rollout']);
  if (rollout !== undefined) {
    const reason = str(rollout['reason']);
    rows.push([
      'Rollout',
      `${str(rollout['rolloutState']) ?? 'unknown'} (deployment ${str(rollout['deploymentId']) ?? '?'}), ${num(rollout['running']) ?? '?'}/${num(rollout['desired']) ?? '?'} running${reason ? ` — ${reason}` : ''}`,
    ]);
  }
  const service = obj(runtime['service']);
  if (service !== undefined) {
    rows.push(['Tasks', `${num(service['running']) ?? '?'} running, ${num(service['pending']) ?? 0} pending, ${num(service['desired']) ?? '?'} desired (service ${str(service['status']) ?? '?'})`]);
  }
  const targets = obj(runtime['targets']);
  if (targets !== undefined) {
    const counts = ['healthy', 'unhealthy', 'initial', 'draining'].map((k) => `${num(targets[k]) ?? 0} ${k}`).join(', ');
    const reason = str(targets['reason']);
    const at = str(targets['checkedAt']);
    rows.push(['Target health', `${counts}${reason ? ` — ${reason}` : ''}${at ? ` (read ${at})` : ''}`]);
  }
  const replicas = obj(runtime['replicas']);
  if (replicas !== undefined) {
    const note = str(replicas['note']);
    rows.push(['Replicas', `${num(replicas['requested']) ?? '?'} requested, ${num(replicas['running']) ?? '?'} running${note ? ` (${note})` : ''}`]);
  }
  rows.push(['DNS', str(runtime['dns'])], ['URL', str(runtime['url'])]);
  const err = obj(runtime['lastError']);
  if (err !== undefined) {
    const when = [str(err['at']) ? `at ${str(err['at'])}` : undefined, str(err['resolvedAt']) ? `resolved ${str(err['resolvedAt'])}` : undefined].filter(Boolean).join('; ');
    rows.push(['Last AWS error', `${str(err['code']) ?? 'error'}: ${str(err['message']) ?? ''}${when ? ` (${when})` : ''}`]);
  }
  const terminal = obj(runtime['terminalError']);
  if (terminal !== undefined) rows.push(['Failed permanently', `${str(terminal['code']) ?? 'error'}: ${str(terminal['message']) ?? ''} (generation ${num(terminal['generation']) ?? '?'})`]);
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  if (shown.length === 0) return undefined;
  const width = Math.max(...shown.map(([k]) => k.length)) + 2;
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
}
