/**
 * What the runtime reported it made (`status.runtime`) as labelled facts for the
 * server page: on ECS the task definition, service, target group, rule, record,
 * rollout and target health; locally the process, port and supervision.
 */

/** Friendlier names of `status.runtime`'s keys (flattened with dots). */
const RUNTIME_LABELS: Record<string, string> = {
  provider: 'Runtime',
  'arns.taskDefinition': 'Task definition',
  'arns.service': 'Service',
  'arns.targetGroup': 'Target group',
  'arns.listenerRule': 'Listener rule',
  'arns.listener': 'Listener',
  dns: 'DNS record',
  'rule.priority': 'Rule priority',
  'rule.conditions': 'Rule conditions',
  'rollout.rolloutState': 'Rollout',
  'rollout.reason': 'Rollout reason',
  'service.status': 'Service status',
  'targets.healthy': 'Healthy targets',
  'targets.unhealthy': 'Unhealthy targets',
  'targets.reason': 'Target health reason',
  pid: 'Process id',
  port: 'Port',
  startedAt: 'Started at',
  restarts: 'Restarts',
  supervision: 'Supervision',
  notes: 'Notes',
  'replicas.requested': 'Replicas requested',
  'replicas.running': 'Replicas running',
  'replicas.note': 'Replicas note',
  'lastExit.code': 'Last exit code',
  'lastExit.signal': 'Last exit signal',
  'lastExit.at': 'Last exit at',
  'lastError.message': 'Last error',
  'lastError.code': 'Last error code',
  'terminalError.message': 'Stopped retrying',
};

/** `status.runtime` as label/value pairs: nested objects flattened with dots, arrays joined. */
export function runtimeFacts(runtime: Record<string, unknown>): Array<{ key: string; label: string; value: string }> {
  const out: Array<{ key: string; label: string; value: string }> = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, inner] of Object.entries(v)) walk(prefix === '' ? k : `${prefix}.${k}`, inner);
      return;
    }
    // The rule's ARN repeats arns.listenerRule.
    if (prefix === 'rule.arn') return;
    const value = Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join('; ') : String(v);
    out.push({ key: prefix, label: RUNTIME_LABELS[prefix] ?? prefix, value });
  };
  walk('', runtime);
  return out;
}
