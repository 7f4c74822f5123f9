/** The mass-deletion guard's rules on a manual clock: baseline, holds that never lapse, restore after a restart, release by a raised fraction. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kit/clock.ts';
import { formatHold, parseHold, RetirementGuard } from './retirement-guard.ts';

function clock(): { now: () => number; advance: (ms: number) => Promise<void> } {
  const c = new ManualClock(Date.parse('2026-12-06T05:00:00Z'));
  return { now: () => c.now(), advance: (ms) => c.advance(ms) };
}

const fleet = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);

describe('RetirementGuard', () => {
  it('fleet 5, fraction 0.5, 2 a minute: 2 start, 3 are held for an hour of passes while the fleet shrinks to 3', async () => {
    const c = clock();
    const g = new RetirementGuard({ maxPerWindow: 2, maxFraction: 0.5, now: c.now });
    g.noteFleet(fleet(5));
    const first = fleet(5).map((n) => g.admit(n));
    expect(first.map((a) => a.admitted)).toEqual([true, true, false, false, false]);
    expect(first[2]).toMatchObject({ admitted: false, hold: { baseline: 5, fraction: 0.5 } });
    g.noteFleet(['s2', 's3', 's4']); // the first two are gone: 3 < minFleet 4, which must not matter
    for (let minute = 0; minute < 60; minute++) {
      await c.advance(60_000);
      for (const n of ['s2', 's3', 's4']) expect(g.admit(n).admitted).toBe(false);
    }
  });

  it('a restarted guard restores the holds from their records and holds a newly asked retirement too', () => {
    const c = clock();
    const before = new RetirementGuard({ maxPerWindow: 10, maxFraction: 0.5, now: c.now });
    before.noteFleet(fleet(6));
    for (const n of fleet(6)) before.admit(n);
    const holds = new Map(['s3', 's4', 's5'].map((n) => [n, parseHold(formatHold(before.holdOf(n)!))!]));
    expect(holds.size).toBe(3);

    const after = new RetirementGuard({ maxPerWindow: 10, maxFraction: 0.5, now: c.now });
    after.noteFleet(['s3', 's4', 's5', 'late'], holds);
    expect(after.admit('late')).toMatchObject({ admitted: false, reason: expect.stringContaining('3 other retirement(s) of this prune are already held') });
    expect(after.admit('s4')).toMatchObject({ admitted: false, reason: expect.stringContaining('held since') });
  });

  it('a raised fraction releases recorded holds; the servers are judged again against the fleet as it is now', () => {
    const c = clock();
    const g = new RetirementGuard({ maxPerWindow: 10, maxFraction: 1, now: c.now });
    const hold = { baseline: 5, fraction: 0.5, since: '2026-12-06T05:00:00.000Z' };
    g.noteFleet(['s2', 's3', 's4'], new Map([['s2', hold], ['s3', hold], ['s4', hold]]));
    expect(['s2', 's3', 's4'].map((n) => g.admit(n).admitted)).toEqual([true, true, true]);
    const same = new RetirementGuard({ maxPerWindow: 10, maxFraction: 0.5, now: c.now });
    expect(same.restoreHold('s2', hold)).toBe('held');
    const removed = new RetirementGuard({ maxPerWindow: 10, now: c.now });
    expect(removed.restoreHold('s2', hold)).toBe('released');
  });

  it('small fleets are judged on the baseline; a prune that ends lets the next one start from the fleet left', async () => {
    const c = clock();
    const g = new RetirementGuard({ maxPerWindow: 10, maxFraction: 0.5, now: c.now });
    g.noteFleet(fleet(3));
    expect(fleet(3).map((n) => g.admit(n).admitted)).toEqual([true, true, true]); // 3 < minFleet 4: exempt
    g.noteFleet(fleet(10).map((n) => `t${n}`));
    await c.advance(61_000);
    g.noteFleet(fleet(10).map((n) => `t${n}`));
    expect(fleet(10).map((n) => g.admit(`t${n}`).admitted).filter(Boolean)).toHaveLength(5);
  });

  it('hold records are tag values AWS accepts and parse back; anything else is ignored', () => {
    const value = formatHold({ baseline: 12, fraction: 0.25, since: '2026-12-06T05:00:00.000Z' });
    expect(value).toMatch(/^[\p{L}\p{N}\s_.:/=+\-@]{1,256}$/u);
    expect(parseHold(value)).toEqual({ baseline: 12, fraction: 0.25, since: '2026-12-06T05:00:00.000Z' });
    for (const bad of [undefined, '', 'baseline=5', 'baseline=5 fraction=2 since=x', 'baseline=x fraction=0.5 since=y']) expect(parseHold(bad)).toBeUndefined();
  });
});
