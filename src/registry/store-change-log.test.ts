import { describe, expect, it } from 'vitest';
import { decidePending, planScan, type ChangeRecord } from './store-change-log.ts';

const c = (id: number, state: ChangeRecord['state'] = 'committed'): ChangeRecord => ({ _id: id, state });

describe('planScan', () => {
  it('returns committed records in order and skips abandoned ones', () => {
    const plan = planScan([c(3), c(4, 'abandoned'), c(5)], 2);
    expect(plan.visible.map((r) => r._id)).toEqual([3, 5]);
    expect(plan.settledThrough).toBe(5);
    expect(plan.blocker).toBeUndefined();
  });

  it('stops before a gap: a reserved version not yet logged', () => {
    const plan = planScan([c(1), c(3)], 0);
    expect(plan.visible.map((r) => r._id)).toEqual([1]);
    expect(plan.settledThrough).toBe(1);
    expect(plan.blocker).toEqual({ reason: 'gap', rv: 2 });
  });

  it('stops at a pending record even when later ones are committed', () => {
    const pending = c(2, 'pending');
    const plan = planScan([c(1), pending, c(3)], 0);
    expect(plan.visible.map((r) => r._id)).toEqual([1]);
    expect(plan.blocker).toEqual({ reason: 'pending', record: pending });
  });

  it('treats a missing first record after `since` as a gap and ignores older records', () => {
    expect(planScan([c(5)], 3).blocker).toEqual({ reason: 'gap', rv: 4 });
    expect(planScan([c(2), c(4)], 3).visible.map((r) => r._id)).toEqual([4]);
    expect(planScan([], 7)).toEqual({ visible: [], settledThrough: 7 });
  });
});

describe('decidePending', () => {
  const change = { _id: 10, prevRv: 7 };
  it('commits when the object carries the version', () => {
    expect(decidePending({ change, objectRv: 10, successorExists: false, fenceFailed: false })).toBe('commit');
  });
  it('commits when a later writer read the object at that version', () => {
    expect(decidePending({ change, objectRv: 12, successorExists: true, fenceFailed: false })).toBe('commit');
  });
  it('fences first while the write might still land', () => {
    expect(decidePending({ change, objectRv: 7, successorExists: false, fenceFailed: false })).toBe('fence');
    expect(decidePending({ change: { _id: 10, prevRv: null }, objectRv: undefined, successorExists: false, fenceFailed: false })).toBe('fence');
  });
  it('abandons when the fence was refused and the object moved on without it', () => {
    expect(decidePending({ change, objectRv: 9, successorExists: false, fenceFailed: true })).toBe('abandon');
    expect(decidePending({ change, objectRv: 10, successorExists: false, fenceFailed: true })).toBe('commit');
  });
});
