import { describe, expect, it } from 'vitest';
import { chargeOf, decideAdmission, type AdmissionPolicy, type SessionLoad } from './session-admission.ts';

const MiB = 1024 * 1024;
const now = 1_000_000;
const policy: AdmissionPolicy = { maxSessions: 4, maxMemoryBytes: 400 * MiB, warmupMs: 2000, reclaimIdleAfterMs: 60_000 };

/** A session started `ageMs` ago, last active `idleMs` ago, measured at `rssMiB`. */
function session(name: string, o: { ageMs?: number; idleMs?: number; rssMiB?: number; busy?: boolean; draining?: boolean } = {}): SessionLoad & { name: string } {
  const ageMs = o.ageMs ?? 600_000;
  return {
    name,
    startedAt: now - ageMs,
    lastActivity: now - (o.idleMs ?? 1000),
    busy: o.busy ?? false,
    rssBytes: o.rssMiB === undefined ? undefined : o.rssMiB * MiB,
    draining: o.draining ?? false,
  };
}

describe('decideAdmission', () => {
  it('admits while sessions and memory fit', () => {
    const d = decideAdmission({ sessions: [session('a', { rssMiB: 90 })], perSessionBytes: 95 * MiB, reclaiming: false, now }, policy);
    expect(d).toEqual({ verdict: 'admit' });
  });

  it('refuses over maxSessions, naming the limit and the field that raises it, with the time until a session may be reclaimed', () => {
    const sessions = ['a', 'b', 'c', 'd'].map((n, i) => session(n, { rssMiB: 50, idleMs: 10_000 + i * 1000 }));
    const d = decideAdmission({ sessions, perSessionBytes: 50 * MiB, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'refuse', limit: 'maxSessions', value: 4, retryAfterSeconds: 47, facts: { sessions: 4 } });
    expect(d.verdict === 'refuse' && d.message).toContain('already runs 4 sessions, its limit (maxSessions 4); retry after 47 s');
    expect(d.verdict === 'refuse' && d.message).toContain('raise spec.runtime.stdio.maxSessions');
  });

  it('ends the session idle longest to make room, never a busy one, and only one at a time', () => {
    const sessions = [
      session('busy-oldest', { rssMiB: 50, idleMs: 300_000, busy: true }),
      session('idle-long', { rssMiB: 50, idleMs: 120_000 }),
      session('idle-longer', { rssMiB: 50, idleMs: 200_000 }),
      session('recent', { rssMiB: 50, idleMs: 5000 }),
    ];
    const d = decideAdmission({ sessions, perSessionBytes: 50 * MiB, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'reclaim', limit: 'maxSessions', idleSeconds: 200 });
    expect(d.verdict === 'reclaim' && d.session.name).toBe('idle-longer');
    const meanwhile = decideAdmission({ sessions, perSessionBytes: 50 * MiB, reclaiming: true, now }, policy);
    expect(meanwhile).toMatchObject({ verdict: 'refuse', limit: 'maxSessions', retryAfterSeconds: 1 });
  });

  it('refuses when the processes and one more session would pass maxMemoryMiB, counting warming sessions at the per-session size', () => {
    const sessions = [session('a', { rssMiB: 100 }), session('b', { rssMiB: 100 }), session('warming', { ageMs: 500, rssMiB: 40 })];
    // 100 + 100 + max(40, 95) = 295; one more: 390 ≤ 400, admitted.
    expect(decideAdmission({ sessions, perSessionBytes: 95 * MiB, reclaiming: false, now }, policy)).toEqual({ verdict: 'admit' });
    // With 110 MiB a session: 100 + 100 + 110 + 110 = 420 > 400.
    const d = decideAdmission({ sessions, perSessionBytes: 110 * MiB, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'refuse', limit: 'maxMemoryMiB', value: 400, facts: { usedMiB: 310, perSessionMiB: 110, sessions: 3 } });
    expect(d.verdict === 'refuse' && d.message).toContain("processes use 310 MiB and one more takes about 110 MiB, over its limit of 400 MiB");
    expect(d.verdict === 'refuse' && d.message).toContain('raise spec.runtime.stdio.maxMemoryMiB');
  });

  it('counts a session being ended until its process has gone, and suggests retrying at once', () => {
    const sessions = [session('a', { rssMiB: 150 }), session('ending', { rssMiB: 200, draining: true })];
    const d = decideAdmission({ sessions, perSessionBytes: 100 * MiB, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'refuse', limit: 'maxMemoryMiB', retryAfterSeconds: 1 });
  });

  it('ends an idle session to make room for memory too', () => {
    const sessions = [session('a', { rssMiB: 150, idleMs: 90_000 }), session('b', { rssMiB: 200 })];
    const d = decideAdmission({ sessions, perSessionBytes: 100 * MiB, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'reclaim', limit: 'maxMemoryMiB' });
    expect(d.verdict === 'reclaim' && d.session.name).toBe('a');
  });

  it('until one session has been measured past its warm-up, waits for it: sessions start one at a time', () => {
    expect(decideAdmission({ sessions: [], perSessionBytes: undefined, reclaiming: false, now }, policy)).toEqual({ verdict: 'admit' });
    const d = decideAdmission({ sessions: [session('first', { ageMs: 500, rssMiB: 60 })], perSessionBytes: undefined, reclaiming: false, now }, policy);
    expect(d).toMatchObject({ verdict: 'wait', untilMs: now + 1500, refusal: { limit: 'maxMemoryMiB', retryAfterSeconds: 2 } });
  });

  it('ignores memory where it cannot be measured (maxMemoryBytes Infinity)', () => {
    const sessions = [session('a', { ageMs: 10 })];
    expect(decideAdmission({ sessions, perSessionBytes: undefined, reclaiming: false, now }, { ...policy, maxMemoryBytes: Infinity })).toEqual({ verdict: 'admit' });
  });
});

describe('chargeOf', () => {
  it('is the measured RSS once warm, at least the per-session size while warming or unmeasured', () => {
    expect(chargeOf(session('warm', { rssMiB: 80 }), 95 * MiB, 2000, now)).toBe(80 * MiB);
    expect(chargeOf(session('young', { ageMs: 100, rssMiB: 30 }), 95 * MiB, 2000, now)).toBe(95 * MiB);
    expect(chargeOf(session('unmeasured', {}), 95 * MiB, 2000, now)).toBe(95 * MiB);
    expect(chargeOf(session('big-young', { ageMs: 100, rssMiB: 120 }), 95 * MiB, 2000, now)).toBe(120 * MiB);
  });
});
