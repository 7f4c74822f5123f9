/**
 * Ended dashboard sessions are removed a day after they ended, on a sign-in, at
 * most once an hour; live sessions and every other token stay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../auth/tokens.ts';
import { openSqliteStore } from '../sqlite-store.ts';
import type { Store } from '../store.ts';
import { endBrowserSession, issueBrowserSession, type SessionDeps } from './sessions.ts';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-12-01T09:00:00.000Z');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function world(): Promise<{ store: Store; deps: SessionDeps; at: (ms: number) => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-session-sweep-'));
  const store = await openSqliteStore({ path: join(dir, 'registry.db') });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let now = T0;
  return { store, deps: { store, clock: () => new Date(now), ttlMs: 8 * HOUR }, at: (ms) => (now = ms) };
}

describe('sweeping ended dashboard sessions', () => {
  it('removes sessions a day after they were signed out or expired, keeps live ones and every other token, and audits the removal', async () => {
    const { store, deps, at } = await world();
    const agentKey = mintToken({ role: 'agent', agent: 'sales-copilot', now: new Date(T0), ttlMs: HOUR });
    await store.putToken(agentKey.record);
    const signedOut = await issueBrowserSession(deps, { role: 'reader', label: 'signed out at once' });
    await endBrowserSession(deps, (await store.getToken(signedOut.tokenId))!);
    const expired = await issueBrowserSession(deps, { role: 'approver', label: 'left to expire' });

    // 25 h later: the signed-out one ended over a day ago; the other expired only 17 h ago.
    at(T0 + 25 * HOUR);
    const live = await issueBrowserSession(deps, { role: 'admin', label: 'signed in now' });
    let ids = (await store.listTokens()).map((t) => t.id);
    expect(ids).not.toContain(signedOut.tokenId);
    expect(ids).toEqual(expect.arrayContaining([expired.tokenId, live.tokenId, agentKey.record.id]));

    // Within the hour no second sweep runs, even though nothing else changed.
    at(T0 + 25.5 * HOUR);
    await issueBrowserSession(deps, { role: 'reader', label: 'inside the hour' });
    at(T0 + 33 * HOUR);
    await issueBrowserSession(deps, { role: 'reader', label: 'a day after the other expired' });
    ids = (await store.listTokens()).map((t) => t.id);
    expect(ids).not.toContain(expired.tokenId);
    // The agent key expired long ago too, but only sessions are swept.
    expect(ids).toEqual(expect.arrayContaining([live.tokenId, agentKey.record.id]));

    const sweeps = await store.queryAudit({ action: 'session.sweep' });
    expect(sweeps.map((a) => a.details)).toEqual([{ removed: 1 }, { removed: 1 }]);
    expect(sweeps.every((a) => a.actor === 'system:registry')).toBe(true);
  });

  it('lets the sign-in go on when the sweep fails, and tries again after the hour', async () => {
    const { store, deps, at } = await world();
    const failing: Store = { ...store, deleteTokens: async () => Promise.reject(new Error('disk full')) };
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as NonNullable<SessionDeps['logger']>;
    const failingDeps: SessionDeps = { ...deps, store: failing, logger };
    const old = await issueBrowserSession(failingDeps, { role: 'reader', label: 'old' });
    await endBrowserSession(failingDeps, (await store.getToken(old.tokenId))!);
    at(T0 + 30 * HOUR);
    const next = await issueBrowserSession(failingDeps, { role: 'reader', label: 'still signs in' });
    expect(await store.getToken(next.tokenId)).toMatchObject({ session: true });
    expect(warnings).toEqual(['could not remove ended dashboard sessions; trying again on a sign-in in an hour']);
    at(T0 + 31 * HOUR + 1);
    await issueBrowserSession(failingDeps, { role: 'reader', label: 'an hour later' });
    expect(warnings).toHaveLength(2);
  });
});
