/**
 * The local runtime's start-up grace grows after starts that never became
 * healthy, so a server slower to start than its gracePeriodSeconds gets there
 * instead of being killed at the same moment for ever; it is bounded (32×).
 */
import { describe, expect, it } from 'vitest';
import { growingGraceMs } from './supervisor.ts';

describe('growingGraceMs', () => {
  it('doubles per unhealthy start, from the manifest grace, up to 32 times it', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => growingGraceMs(1000, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 32_000, 32_000]);
    expect(growingGraceMs(30_000, -1)).toBe(30_000);
  });

  it('a starter needing 20 s with a 1 s grace is given enough after 5 failed starts', () => {
    const starts = Array.from({ length: 10 }, (_, n) => growingGraceMs(1000, n));
    expect(starts.findIndex((g) => g >= 20_000)).toBe(5);
  });
});
