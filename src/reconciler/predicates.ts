/**
 * Which registry changes are worth a reconcile. Predicates explain themselves:
 * they return the reason, not a bare boolean, so a debug log says why a change
 * was ignored.
 */
import type { MCPServer } from '../manifest/types.ts';
import type { InformerEvent } from '../client/informer.ts';

/** Whether a change should queue its key, and why. */
export interface Verdict {
  enqueue: boolean;
  reason: string;
}

/**
 * Every change queues its key except a status-only update: the reconciler wrote
 * that itself, and reacting to it would loop. Spec (generation), finalizers,
 * approvals, deletion, labels and annotations changes all queue.
 * @example changeNeedsReconcile({ type: 'MODIFIED', object: withNewStatus, old }) // { enqueue: false, reason: 'status-only change' }
 */
export function changeNeedsReconcile(event: InformerEvent<MCPServer>): Verdict {
  if (event.type !== 'MODIFIED' || event.old === undefined) return { enqueue: true, reason: event.type.toLowerCase() };
  const a = event.old.metadata;
  const b = event.object.metadata;
  if (a.generation !== b.generation) return { enqueue: true, reason: `generation ${a.generation} → ${b.generation}` };
  if (a.deletionTimestamp !== b.deletionTimestamp) return { enqueue: true, reason: 'marked for deletion' };
  if (a.uid !== b.uid) return { enqueue: true, reason: 're-created' };
  if (JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])) return { enqueue: true, reason: 'finalizers changed' };
  // An approval changes the effective stage without touching the spec.
  if (JSON.stringify(a.approvals ?? []) !== JSON.stringify(b.approvals ?? [])) return { enqueue: true, reason: 'approvals changed' };
  if (JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) || JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})) {
    return { enqueue: true, reason: 'labels or annotations changed' };
  }
  return { enqueue: false, reason: 'status-only change' };
}
