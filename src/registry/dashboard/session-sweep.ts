/**
 * Removes the records of dashboard sessions that ended long ago. Every sign-in
 * stores a session token, and nothing can use one after it expired or was signed
 * out, so without a sweep the token store would grow with each sign-in for ever.
 * An ended session is kept for {@link ENDED_SESSION_RETENTION_MS} first, so
 * `berth token list --all` and the token ids in recent audit records still name
 * it. Other tokens (API tokens, agent keys) are never removed: a revoked or expired
 * one stays, so the audit keeps making sense. Sessions whose parent token was
 * revoked are swept once they expire, at most one session lifetime later.
 */
import type { Store, TokenRecord } from '../store.ts';
import type { SessionDeps } from './sessions.ts';

/** How long an ended session's record stays before a sweep removes it: one day. */
export const ENDED_SESSION_RETENTION_MS = 24 * 60 * 60 * 1000;

/** A registry sweeps at most this often: once an hour, on a sign-in. */
export const SESSION_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** When a session ended (signed out or expired), in epoch ms, or undefined while it is live at `now`. */
function endedAt(t: TokenRecord, now: number): number | undefined {
  const times = [t.revokedAt, t.expiresAt].filter((x): x is string => x !== undefined).map(Date.parse).filter((ms) => ms <= now);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * Deletes every session record that ended at least {@link ENDED_SESSION_RETENTION_MS}
 * before `now`, in one audited store write (`session.sweep`). Returns how many went.
 */
export async function sweepEndedSessions(store: Store, now: Date): Promise<number> {
  const cutoff = now.getTime() - ENDED_SESSION_RETENTION_MS;
  const ids = (await store.listTokens())
    .filter((t) => t.session === true)
    .filter((t) => {
      const ended = endedAt(t, now.getTime());
      return ended !== undefined && ended <= cutoff;
    })
    .map((t) => t.id);
  if (ids.length === 0) return 0;
  return store.deleteTokens(ids, { audit: { actor: 'system:registry', action: 'session.sweep', details: { removed: ids.length } } });
}

const lastSweep = new WeakMap<Store, number>();

/**
 * Sweeps when this store has not been swept in this process for
 * {@link SESSION_SWEEP_INTERVAL_MS}. Never throws: a failed sweep is logged and
 * tried again after the interval, and the sign-in that triggered it goes on.
 */
export async function sweepEndedSessionsNowAndThen(deps: SessionDeps): Promise<void> {
  const now = deps.clock();
  const last = lastSweep.get(deps.store);
  if (last !== undefined && now.getTime() - last < SESSION_SWEEP_INTERVAL_MS) return;
  lastSweep.set(deps.store, now.getTime());
  try {
    const removed = await sweepEndedSessions(deps.store, now);
    if (removed > 0) deps.logger?.info({ removed }, 'removed the records of dashboard sessions that ended over a day ago');
  } catch (err) {
    deps.logger?.warn({ err }, 'could not remove ended dashboard sessions; trying again on a sign-in in an hour');
  }
}
