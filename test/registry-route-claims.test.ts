/**
 * Route claims under concurrency: writers racing for one free gateway route
 * through the registry's write paths (create and server-side apply), against a
 * real SQLite store whose writes are made slow so that the check-then-write
 * window is wide open, as it is with a remote store such as MongoDB.
 */
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../src/manifest/resource.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import type { Store } from '../src/registry/store.ts';
import { RouteClaims } from '../src/registry/api/route-claims.ts';
import { applyObject, createObject, type WriteContext } from '../src/registry/api/writes.ts';
import { serverManifest } from './registry-api-harness.ts';
import { tempDir } from './support/temp-dir.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The store, with every create and update taking 20 ms longer before it writes; `inFlight.max` records the most at once. */
function slowWrites(store: Store, inFlight = { now: 0, max: 0 }): Store {
  const pause = async () => {
    inFlight.max = Math.max(inFlight.max, ++inFlight.now);
    await new Promise((r) => setTimeout(r, 20));
    inFlight.now--;
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'create' || prop === 'update') return async (...args: unknown[]) => (await pause(), (value as (...a: unknown[]) => unknown).apply(target, args));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function routedAt(name: string, routePath: string): Resource {
  const m = serverManifest(name, { team: 'race' });
  (m.spec as { routing?: unknown }).routing = { path: routePath };
  return m;
}

/** Route claims' informer stops when the test ends (before its store closes). */
function claimOptions(): { logger: pino.Logger; shutdownSignal: AbortSignal } {
  const stop = new AbortController();
  cleanups.push(() => stop.abort());
  return { logger: pino({ level: 'silent' }), shutdownSignal: stop.signal };
}

describe('route claims', () => {
  it('twenty writers racing for one free route: one wins, nineteen get route-conflict, one server holds it', async () => {
    const { dir, remove } = tempDir('route-claims');
    const logger = pino({ level: 'silent' });
    const real = await openSqliteStore({ path: path.join(dir, 'registry.db'), logger });
    cleanups.push(remove, () => real.close());
    const store = slowWrites(real);
    const ctx: WriteContext = { store, logger, principal: { tokenId: 'admin', role: 'admin' }, routeClaims: new RouteClaims(store, claimOptions()) };

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const m = routedAt(`racer-${String(i).padStart(2, '0')}`, '/mcp/contested');
        return i % 2 === 0 ? createObject(ctx, m) : applyObject(ctx, m);
      }),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const l of lost) expect((l.reason as { status?: number; problem?: { type?: string } }).status).toBe(409);
    const holders = (await real.list('MCPServer')).items.filter((o) => (o.spec as { routing?: { path?: string } }).routing?.path === '/mcp/contested');
    expect(holders).toHaveLength(1);
  });

  it('writers for different routes do not wait for each other', async () => {
    const { dir, remove } = tempDir('route-claims');
    const logger = pino({ level: 'silent' });
    const real = await openSqliteStore({ path: path.join(dir, 'registry.db'), logger });
    cleanups.push(remove, () => real.close());
    const inFlight = { now: 0, max: 0 };
    const store = slowWrites(real, inFlight);
    const ctx: WriteContext = { store, logger, principal: { tokenId: 'admin', role: 'admin' }, routeClaims: new RouteClaims(store, claimOptions()) };
    await Promise.all(Array.from({ length: 20 }, (_, i) => createObject(ctx, routedAt(`own-${i}`, `/mcp/own-${i}`))));
    // One lock per path: writes to different routes overlap (a global lock would keep this at 1).
    expect(inFlight.max).toBeGreaterThan(1);
    expect((await real.list('MCPServer')).items).toHaveLength(20);
  });

  it('two registry processes on one store (two connections, two claim indexes): one wins a free route, the rest get route-conflict', async () => {
    const { dir, remove } = tempDir('route-claims');
    const logger = pino({ level: 'silent' });
    const file = path.join(dir, 'registry.db');
    const [a, b] = [await openSqliteStore({ path: file, logger }), await openSqliteStore({ path: file, logger })];
    cleanups.push(remove, () => a.close(), () => b.close());
    // Each "process" has its own store connection and its own in-memory index and locks: only the store is shared.
    const contexts = [a, b].map((real): WriteContext => {
      const store = slowWrites(real);
      return { store, logger, principal: { tokenId: 'admin', role: 'admin' }, routeClaims: new RouteClaims(store, claimOptions()) };
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => createObject(contexts[i % 2]!, routedAt(`twin-${String(i).padStart(2, '0')}`, '/mcp/twin'))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { status?: number }).status).toBe(409);
    expect((await a.list('MCPServer')).items).toHaveLength(1);
    expect(await a.getLease('route:/mcp/twin')).toBeUndefined(); // released after each write
  });

  it('only a write that takes a new route takes the route lease; one left by a dead registry expires, one held on gets 503', async () => {
    const { dir, remove } = tempDir('route-claims');
    const logger = pino({ level: 'silent' });
    const real = await openSqliteStore({ path: path.join(dir, 'registry.db'), logger });
    cleanups.push(remove, () => real.close());
    const leases: string[] = [];
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'acquireLease') return (name: string, ...rest: unknown[]) => (leases.push(name), (value as (...a: unknown[]) => unknown).apply(target, [name, ...rest]));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const ctx: WriteContext = { store, logger, principal: { tokenId: 'admin', role: 'admin' }, routeClaims: new RouteClaims(store, { ...claimOptions(), leaseTtlMs: 300 }) };

    const created = await createObject(ctx, routedAt('leased', '/mcp/leased'));
    expect(leases).toEqual(['route:/mcp/leased']);
    const changed = { ...created, spec: { ...(created.spec as object), description: 'same route, new words' } };
    await applyObject(ctx, changed);
    expect(leases).toEqual(['route:/mcp/leased']); // the route was already this server's

    // A registry that died holding a lease: the next claim waits for the lease to run out, then goes ahead.
    await real.acquireLease('route:/mcp/orphan', 'registry-dead', 300);
    const t0 = Date.now();
    await createObject(ctx, routedAt('after-orphan', '/mcp/orphan'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    // One that keeps holding it: the writer gives up after the lease lifetime plus a second, saying why.
    await real.acquireLease('route:/mcp/held', 'registry-busy', 60_000);
    const refused = await createObject(ctx, routedAt('blocked', '/mcp/held')).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 503, type: 'route-busy' });
    expect(await real.get('MCPServer', 'blocked')).toBeUndefined();
  });
});
