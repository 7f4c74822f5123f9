/**
 * Whether the stdio bridge may start one more session (one more server
 * process), decided from what it holds now. Pure: the bridge passes in its
 * sessions, its latest memory sample and the time.
 *
 * Memory is sampled, so a process that is starting has not shown its size yet.
 * A flood of initializes would otherwise all pass the check before any new
 * process is measured; so each session counts as at least the largest size one
 * session of this server has reached while it warms up, and a new one is
 * admitted only if that size still fits. Until one session has run past its
 * warm-up the size is unknown, and a new session waits for that (sessions
 * start one at a time) rather than being refused.
 */
import type { LimitName } from './bridge-errors.ts';

/** What admission needs to know of one session. */
export interface SessionLoad {
  /** Epoch ms the session was admitted. */
  startedAt: number;
  /** Epoch ms of its last request or message. */
  lastActivity: number;
  /** A client request is waiting for the server's answer. */
  busy: boolean;
  /** RSS of its process tree at the latest sample; undefined before one. */
  rssBytes: number | undefined;
  /** Being ended: no longer a session, but its process may still hold memory. */
  draining: boolean;
}

/** The limits and timings admission applies. */
export interface AdmissionPolicy {
  maxSessions: number;
  /** Infinity when memory cannot be measured here. */
  maxMemoryBytes: number;
  /** How long a new session counts as at least the per-session size. */
  warmupMs: number;
  /** A session idle this long (nothing in flight) may be ended to make room. */
  reclaimIdleAfterMs: number;
}

/** The bridge's state at the moment a new session asks to start. */
export interface AdmissionInput<S extends SessionLoad> {
  sessions: readonly S[];
  /** Largest RSS one session has reached; undefined until a session has been measured past its warm-up. */
  perSessionBytes: number | undefined;
  /** A session is being ended to make room already: make room one session at a time. */
  reclaiming: boolean;
  now: number;
}

/** A refusal, with the words and figures for the 503. */
export interface Refusal {
  limit: LimitName;
  /** The limit's value as the manifest states it (sessions, or MiB). */
  value: number;
  message: string;
  retryAfterSeconds: number;
  facts: Record<string, number>;
}

/** The decision: start it, wait until the size of one session is known, end an idle session first, or refuse. */
export type Admission<S> =
  | { verdict: 'admit' }
  | { verdict: 'wait'; untilMs: number; refusal: Refusal }
  | { verdict: 'reclaim'; session: S; limit: LimitName; idleSeconds: number }
  | ({ verdict: 'refuse' } & Refusal);

const MiB = 1024 * 1024;

/**
 * Decides on one new session.
 * @example
 * decideAdmission({ sessions, perSessionBytes: 94 * MiB, reclaiming: false, now }, { maxSessions: 8, maxMemoryBytes: 512 * MiB, warmupMs: 2000, reclaimIdleAfterMs: 60_000 })
 * // { verdict: 'refuse', limit: 'maxMemoryMiB', message: 'the stdio server's 5 processes use 470 MiB …', retryAfterSeconds: 41, … }
 */
export function decideAdmission<S extends SessionLoad>(input: AdmissionInput<S>, policy: AdmissionPolicy): Admission<S> {
  const { sessions, perSessionBytes, now } = input;
  const live = sessions.filter((s) => !s.draining);
  const reclaimable = oldestReclaimable(live, policy, now);
  const retryAfterSeconds = retryAfter(live, sessions, input.reclaiming, policy, now);
  const makeRoom = (limit: LimitName, refusal: Refusal): Admission<S> =>
    reclaimable && !input.reclaiming
      ? { verdict: 'reclaim', session: reclaimable, limit, idleSeconds: Math.round((now - reclaimable.lastActivity) / 1000) }
      : { verdict: 'refuse', ...refusal };

  if (live.length >= policy.maxSessions) {
    return makeRoom('maxSessions', {
      limit: 'maxSessions',
      value: policy.maxSessions,
      message:
        `the stdio server already runs ${live.length} sessions, its limit (maxSessions ${policy.maxSessions}); ` +
        `retry after ${retryAfterSeconds} s, end sessions you no longer use (HTTP DELETE), or raise spec.runtime.stdio.maxSessions in the MCPServer manifest`,
      retryAfterSeconds,
      facts: { sessions: live.length },
    });
  }
  if (!Number.isFinite(policy.maxMemoryBytes)) return { verdict: 'admit' };
  const capMiB = Math.round(policy.maxMemoryBytes / MiB);
  if (perSessionBytes === undefined) {
    // The first process's size is not known yet: start one at a time until it is.
    const warming = live.filter((s) => s.rssBytes === undefined || now - s.startedAt < policy.warmupMs);
    if (warming.length > 0) {
      const untilMs = Math.max(...warming.map((s) => s.startedAt)) + policy.warmupMs;
      const wait = Math.max(1, Math.ceil((untilMs - now) / 1000));
      return {
        verdict: 'wait',
        untilMs,
        refusal: {
          limit: 'maxMemoryMiB',
          value: capMiB,
          message:
            `the stdio bridge starts one server process at a time until it has measured how much memory one takes ` +
            `(the limit is ${capMiB} MiB, spec.runtime.stdio.maxMemoryMiB); retry after ${wait} s`,
          retryAfterSeconds: wait,
          facts: { sessions: live.length },
        },
      };
    }
  }
  const usedBytes = sessions.reduce((sum, s) => sum + chargeOf(s, perSessionBytes, policy.warmupMs, now), 0);
  const needBytes = perSessionBytes ?? 0;
  if (usedBytes + needBytes > policy.maxMemoryBytes) {
    const usedMiB = Math.round(usedBytes / MiB);
    const needMiB = Math.round(needBytes / MiB);
    return makeRoom('maxMemoryMiB', {
      limit: 'maxMemoryMiB',
      value: capMiB,
      message:
        `the stdio server's ${sessions.length} processes use ${usedMiB} MiB and one more takes about ${needMiB} MiB, ` +
        `over its limit of ${capMiB} MiB (maxMemoryMiB); retry after ${retryAfterSeconds} s, end sessions you no longer use (HTTP DELETE), ` +
        `or raise spec.runtime.stdio.maxMemoryMiB in the MCPServer manifest`,
      retryAfterSeconds,
      facts: { usedMiB, perSessionMiB: needMiB, sessions: live.length },
    });
  }
  return { verdict: 'admit' };
}

/**
 * Bytes a session counts for: its measured RSS, but at least the per-session
 * size while it warms up or before it is measured (it is still growing).
 */
export function chargeOf(s: SessionLoad, perSessionBytes: number | undefined, warmupMs: number, now: number): number {
  const measured = s.rssBytes ?? 0;
  if (s.rssBytes === undefined || (!s.draining && now - s.startedAt < warmupMs)) return Math.max(measured, perSessionBytes ?? 0);
  return measured;
}

/** The session idle longest, if it has been idle long enough to be ended for a new one. */
function oldestReclaimable<S extends SessionLoad>(live: readonly S[], policy: AdmissionPolicy, now: number): S | undefined {
  let oldest: S | undefined;
  for (const s of live) {
    if (s.busy || now - s.lastActivity < policy.reclaimIdleAfterMs) continue;
    if (!oldest || s.lastActivity < oldest.lastActivity) oldest = s;
  }
  return oldest;
}

/** Seconds until room is likely: a session being ended frees it at once, an idle one once it may be reclaimed. */
function retryAfter(live: readonly SessionLoad[], all: readonly SessionLoad[], reclaiming: boolean, policy: AdmissionPolicy, now: number): number {
  if (reclaiming || all.some((s) => s.draining)) return 1;
  let soonest = policy.reclaimIdleAfterMs;
  for (const s of live) if (!s.busy) soonest = Math.min(soonest, s.lastActivity + policy.reclaimIdleAfterMs - now);
  return Math.min(300, Math.max(1, Math.ceil(soonest / 1000)));
}
