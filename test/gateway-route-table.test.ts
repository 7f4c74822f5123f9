/**
 * The route table and its registry follower: matching rules, unroutable reasons,
 * watch events, and — against the real SQLite store through the in-process
 * registry client — a status change reaching the table (and live traffic) within 1 s,
 * relisting on GoneError, and reconnecting after a failed watch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Kind } from '../src/manifest/resource.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { GoneError } from '../src/client/errors.ts';
import type { ListWatchSource } from '../src/client/informer.ts';
import type { RegistryClient } from '../src/client/registry-client.ts';
import type { ListOptions, WatchItem } from '../src/client/wire.ts';
import { GATEWAY_PRINCIPAL, openInProcessRegistry } from '../src/registry/in-process.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import type { Store } from '../src/registry/store.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { followRegistry } from '../src/gateway/follow-registry.ts';
import { startGateway } from '../src/gateway/gateway.ts';
import { startFixtureServer } from './gateway-fixture-server.ts';
import { conditions, server, silentLogger } from './gateway-helpers.ts';
import { approveInStore } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const dir = mkdtempSync(join(tmpdir(), 'berth-gw-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbs = 0;

describe('RouteTable', () => {
  it('matches exact paths only, ignoring a trailing slash; never prefixes', () => {
    const t = new RouteTable();
    t.replaceAll([server('a', { endpoint: 'http://127.0.0.1:1/mcp' }), server('ab', { endpoint: 'http://127.0.0.1:2/mcp' })]);
    expect(t.lookup('/mcp/a', undefined)?.name).toBe('a');
    expect(t.lookup('/mcp/a/', undefined)?.name).toBe('a');
    expect(t.lookup('/mcp/ab', undefined)?.name).toBe('ab');
    expect(t.lookup('/mcp/a/x', undefined)).toBeUndefined();
    expect(t.lookup('/mcp', undefined)).toBeUndefined();
  });

  it('normalises a request as the route rule normalises routes: case, dot segments, slashes, Host port and trailing dot', () => {
    const t = new RouteTable();
    t.replaceAll([
      server('quote', { endpoint: 'http://127.0.0.1:1/mcp' }),
      server('sales', { endpoint: 'http://127.0.0.1:2/mcp', path: '/Tools/./Sales/', host: 'Sales.Example.COM.' }),
    ]);
    for (const p of ['/mcp/quote', '/mcp/Quote/', '/mcp/./quote', '/mcp/x/../QUOTE//', '//mcp/quote', '/mcp/%2e/quote']) expect(t.lookup(p, undefined)?.name, p).toBe('quote');
    for (const h of ['sales.example.com', 'SALES.example.com.:8443', 'sales.example.com:80']) expect(t.lookup('/tools/sales', h)?.name, h).toBe('sales');
    expect(t.lookup('/tools/sales', 'other.example.com')).toBeUndefined();
    expect(t.lookup('/mcp/quotes', undefined)).toBeUndefined();
    expect(t.get('sales')).toMatchObject({ path: '/Tools/Sales', key: '/tools/sales', host: 'sales.example.com' });
  });

  it('uses spec.routing.path and host; a host match beats a host-less route; ties go to the lowest name', () => {
    const t = new RouteTable();
    t.replaceAll([
      server('zeta', { endpoint: 'http://127.0.0.1:1/mcp', path: '/tools/' }),
      server('alpha', { endpoint: 'http://127.0.0.1:2/mcp', path: '/tools' }),
      server('hosted', { endpoint: 'http://127.0.0.1:3/mcp', path: '/tools', host: 'Sales.Example.com' }),
    ]);
    expect(t.lookup('/tools', 'sales.example.com:8443')?.name).toBe('hosted');
    expect(t.lookup('/tools', 'other.example.com')?.name).toBe('alpha');
    expect(t.lookup('/mcp/zeta', undefined)).toBeUndefined();
    expect(t.conflicts().map(([loser, winner]) => [loser.name, winner.name])).toEqual([['zeta', 'alpha']]);
    const target = t.get('hosted')!.targets[0]!;
    expect(target).toMatchObject({ origin: 'http://127.0.0.1:3', path: '/mcp', host: '127.0.0.1:3' });
  });

  it('keeps the reason a server is not routable', () => {
    const t = new RouteTable();
    const degraded = server('d', {
      endpoint: 'http://127.0.0.1:1/mcp',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'CrashLoop', message: 'exited 3 times', lastTransitionTime: '' },
        { type: 'Degraded', status: 'True', reason: 'CrashLoop', message: 'process exited with code 1; restarting in 4 s', lastTransitionTime: '' },
      ],
    });
    const noStatus = { ...server('n'), status: undefined } as MCPServer;
    // A runtime that failed before reporting readiness writes Degraded alone.
    const failedFirst = server('f', { conditions: [{ type: 'Degraded', status: 'True', reason: 'ProviderError', message: 'could not resolve header Authorization (env:BERTH_SECRET_X)', lastTransitionTime: '' }] });
    const deleting = server('del', { endpoint: 'http://127.0.0.1:1/mcp' });
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    t.replaceAll([
      degraded,
      noStatus,
      failedFirst,
      deleting,
      server('r', { lifecycle: 'retired', endpoint: 'http://127.0.0.1:1/mcp' }),
      server('e', { ready: true }),
      server('bad', { endpoint: 'ftp://x/mcp' }),
    ]);
    const reason = (n: string) => t.get(n)!.reason;
    expect(reason('d')).toBe('server "d" is not Ready: Degraded/CrashLoop — process exited with code 1; restarting in 4 s');
    expect(reason('n')).toBe('server "n" is not Ready: the reconciler has not reported status yet');
    expect(reason('f')).toBe('server "f" is not Ready: Degraded/ProviderError — could not resolve header Authorization (env:BERTH_SECRET_X)');
    expect(reason('del')).toBe('server "del" is not routable: it is being deleted (since 2026-01-01T00:00:00Z)');
    expect(reason('r')).toBe("server \"r\" is not routable: lifecycle stage 'retired' is not deployed; what it ran is torn down");
    expect(reason('e')).toBe('server "e" is Ready but has no status.endpoint to route to');
    expect(reason('bad')).toBe('server "bad" has status.endpoint ftp://x/mcp with unsupported protocol ftp:; use http or https');
    expect(t.routes().filter((r) => r.routable)).toEqual([]);
  });

  it('applies watch events in order and ignores stale ones', () => {
    const t = new RouteTable();
    t.replaceAll([server('q', { ready: false, endpoint: 'http://127.0.0.1:1/mcp', resourceVersion: 5 })]);
    const ev = (type: 'ADDED' | 'MODIFIED' | 'DELETED', s: MCPServer) => ({ type, object: s });
    t.apply(ev('MODIFIED', server('q', { endpoint: 'http://127.0.0.1:1/mcp', resourceVersion: 7 })));
    expect(t.lookup('/mcp/q', undefined)?.routable).toBe(true);
    t.apply(ev('MODIFIED', server('q', { ready: false, endpoint: 'http://127.0.0.1:1/mcp', resourceVersion: 6 })));
    expect(t.lookup('/mcp/q', undefined)?.routable).toBe(true);
    t.apply(ev('MODIFIED', server('q', { endpoint: 'http://127.0.0.1:1/mcp', path: '/moved', resourceVersion: 8 })));
    expect(t.lookup('/mcp/q', undefined)).toBeUndefined();
    expect(t.lookup('/moved', undefined)?.name).toBe('q');
    t.apply(ev('DELETED', server('q', { resourceVersion: 9 })));
    expect(t.size).toBe(0);
  });
});

describe('followRegistry against the real SQLite store', () => {
  async function registry(): Promise<{ store: Store; client: RegistryClient }> {
    const store = await openSqliteStore({ path: join(dir, `r${++dbs}.db`) });
    cleanups.push(() => store.close());
    const api = openInProcessRegistry({ store });
    cleanups.push(() => api.close());
    return { store, client: api.clientFor(GATEWAY_PRINCIPAL) };
  }

  function follow(source: ListWatchSource, table: RouteTable): void {
    const following = followRegistry(source, table, { logger: silentLogger, backoff: { baseMs: 20, capMs: 100 } });
    cleanups.push(() => following.stop());
  }

  async function waitFor(what: string, probe: () => boolean, ms = 1_000): Promise<number> {
    const t0 = performance.now();
    while (!probe()) {
      if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - t0;
  }

  it('routes traffic within 1 s of the status turning Ready, and 404s within 1 s of delete', async () => {
    const { store, client } = await registry();
    const upstream = await startFixtureServer();
    cleanups.push(() => upstream.close());
    const created = server('quote', { endpoint: upstream.url });
    await store.create({ ...created, status: undefined });
    await approveInStore(store, 'quote');
    await store.updateStatus('MCPServer', 'quote', { conditions: conditions(false) });
    const table = new RouteTable();
    follow(client, table);
    const gw = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 100, remoteAddresses: LOOPBACK_REMOTES });
    cleanups.push(() => gw.close());
    await waitFor('initial sync', () => table.synced);
    const call = () =>
      fetch(`${gw.url}/mcp/quote`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    const before = await call();
    expect(before.status).toBe(503);
    expect(((await before.json()) as { error: { message: string } }).error.message).toBe(
      'server "quote" is not Ready: Progressing/Starting — process starting',
    );

    await store.updateStatus('MCPServer', 'quote', { conditions: conditions(true), endpoint: upstream.url });
    const toRoutable = await waitFor('routable', () => table.lookup('/mcp/quote', undefined)?.routable === true);
    expect(toRoutable).toBeLessThan(1_000);
    const after = await call();
    expect(after.status).toBe(200);
    expect(after.headers.get('mcp-session-id')).toBeTruthy();
    await after.text();

    await store.delete('MCPServer', 'quote');
    expect(await waitFor('route gone', () => table.lookup('/mcp/quote', undefined) === undefined)).toBeLessThan(1_000);
    expect((await call()).status).toBe(404);
  });

  it('relists when the watch reports GoneError, and reconnects after a failed watch', async () => {
    const { store, client } = await registry();
    await store.create({ ...server('a', { endpoint: 'http://127.0.0.1:1/mcp' }), status: undefined });
    await approveInStore(store, 'a');
    // Fault injection around the real client: the first watch is "too old", the second breaks.
    const calls: string[] = [];
    let watches = 0;
    const faulty: ListWatchSource = {
      list<K extends Kind>(kind: K, opts?: ListOptions) {
        calls.push('list');
        return client.list(kind, opts);
      },
      watch<K extends Kind>(kind: K, from: number, signal: AbortSignal) {
        watches++;
        calls.push('watch');
        if (watches === 1) return failing(new GoneError(`version ${from} is too old`));
        if (watches === 2) return failing(new Error('connection reset by peer'));
        return client.watch(kind, from, signal);
      },
    };
    const table = new RouteTable();
    follow(faulty, table);
    await waitFor('third watch', () => watches >= 3);
    expect(calls.slice(0, 5)).toEqual(['list', 'watch', 'list', 'watch', 'watch']);
    await store.updateStatus('MCPServer', 'a', { conditions: conditions(true), endpoint: 'http://127.0.0.1:1/mcp' });
    await waitFor('a routable', () => table.get('a')?.routable === true);
  });
});

async function* failing<T extends WatchItem>(err: Error): AsyncIterable<T> {
  yield* [];
  throw err;
}
