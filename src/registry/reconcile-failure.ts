/**
 * Whether a server's status reports a reconcile failure: the reconciler sets
 * condition `Degraded` to True (reason ProviderError, CrashLoop, …) when one
 * fails. Status writes record this reason in their audit entry
 * (`details.degraded`), so the change audit can answer "how many failures, when"
 * after the status itself has moved on (`GET …/stats/reconcile`). Pure.
 */

/**
 * The reason of a True `Degraded` condition in `status`, or undefined when it
 * reports none (or is not a status).
 * @example degradedReason({ conditions: [{ type: 'Degraded', status: 'True', reason: 'ProviderError' }] }) // 'ProviderError'
 */
export function degradedReason(status: unknown): string | undefined {
  const conditions = (status as { conditions?: unknown } | null | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  for (const c of conditions as { type?: unknown; status?: unknown; reason?: unknown }[]) {
    if (c?.type === 'Degraded' && c.status === 'True') return typeof c.reason === 'string' && c.reason !== '' ? c.reason : 'Degraded';
  }
  return undefined;
}
