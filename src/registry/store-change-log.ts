/**
 * The pure decisions of the MongoDB adapter's change log (see mongo-store.ts for the
 * whole scheme): which log records a reader may hand out, and what to do with a
 * change whose writer went quiet. Kept apart so they are unit-tested without a server.
 */

/** A change-log record as the Mongo adapter stores it. `_id` is the resource version. */
export interface ChangeRecord {
  _id: number;
  /** pending: reserved, object write may be in flight; committed: visible; abandoned: never happened. */
  state: 'pending' | 'committed' | 'abandoned';
  kind?: string;
  name?: string;
  type?: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object's version the writer expected to replace; null when it expected no document. */
  prevRv?: number | null;
  /** JSON of the object after the change. */
  body?: string;
}

/** What stops a reader from going further. */
export type ScanBlocker =
  /** No record for this version yet: its writer reserved the number but has not logged it (or died). */
  | { reason: 'gap'; rv: number }
  /** The writer logged the change but has not confirmed the object write (or died). */
  | { reason: 'pending'; record: ChangeRecord };

/** Result of {@link planScan}. */
export interface ScanPlan {
  /** Committed records readers may return, in order. */
  visible: ChangeRecord[];
  /** The highest version up to which every record is settled (committed or abandoned). */
  settledThrough: number;
  /** Why the scan stopped early, when it did. */
  blocker?: ScanBlocker;
}

/**
 * Walks records (sorted by `_id`, all `_id > since`) and returns the committed ones
 * up to the first unsettled version. Readers never skip past a gap or a pending
 * record, so no event can appear later "behind" a reader's position.
 * @example planScan([{_id:1,state:'committed'},{_id:3,state:'committed'}], 0) // visible [1], blocker gap 2
 */
export function planScan(records: readonly ChangeRecord[], since: number): ScanPlan {
  const visible: ChangeRecord[] = [];
  let expected = since + 1;
  for (const r of records) {
    if (r._id < expected) continue;
    if (r._id > expected) return { visible, settledThrough: expected - 1, blocker: { reason: 'gap', rv: expected } };
    if (r.state === 'pending') return { visible, settledThrough: expected - 1, blocker: { reason: 'pending', record: r } };
    if (r.state === 'committed') visible.push(r);
    expected++;
  }
  return { visible, settledThrough: expected - 1 };
}

/** What the repairer knows about a stale pending change. */
export interface PendingFacts {
  change: Pick<ChangeRecord, '_id' | 'prevRv'>;
  /** The object document's current version, or undefined when there is no document. */
  objectRv: number | undefined;
  /** Whether a later change record names this change's version as its prevRv. */
  successorExists: boolean;
  /** Whether the repairer already tried to fence the object and the fence did not apply. */
  fenceFailed: boolean;
}

/**
 * Decides a stale pending change:
 * - `commit` when the object write provably happened: the object carries the
 *   version, or a later writer read it (a successor names it as prevRv);
 * - `fence` when the object still sits where the writer expected: block the
 *   writer's compare-and-set first, then the change may be abandoned;
 * - `abandon` when the fence was refused because the object moved on without
 *   this write, so the writer's compare-and-set can never succeed.
 */
export function decidePending(f: PendingFacts): 'commit' | 'fence' | 'abandon' {
  if (f.objectRv === f.change._id || f.successorExists) return 'commit';
  return f.fenceFailed ? 'abandon' : 'fence';
}
