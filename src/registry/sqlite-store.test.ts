import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../manifest/resource.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { runStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-store-'));
let n = 0;
const tempDb = (): string => join(dir, `store-${++n}.db`);

runStoreContract({
  name: 'sqlite',
  newStore: () => openSqliteStore({ path: tempDb() }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

const WORKER = new URL('../../test/fixtures/sqlite-store-worker.ts', import.meta.url).pathname;

/** A read-modify-write worker (see the fixture) that has opened the store and waits for `go()`. */
interface RmwWorker {
  go(): void;
  result: Promise<{ successes: number; conflicts: number }>;
}

/** Starts the worker fixture in rmw mode; resolves once it is READY. */
function startRmwWorker(args: string[]): Promise<RmwWorker> {
  return new Promise((resolveReady, reject) => {
    const child = spawn(process.execPath, [WORKER, 'rmw', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const result = new Promise<{ successes: number; conflicts: number }>((resolve, rejectResult) => {
      child.on('exit', (code) => {
        if (code !== 0) return rejectResult(new Error(`worker exited ${code}: ${err}`));
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as { successes: number; conflicts: number });
      });
    });
    result.catch(reject);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('READY\n')) resolveReady({ go: () => child.stdin.end('go\n'), result });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  });
}

describe('SQLite store shared by several processes', () => {
  const mpDir = mkdtempSync(join(tmpdir(), 'berth-sqlite-mp-'));
  afterAll(() => rmSync(mpDir, { recursive: true, force: true }));

  it('4 processes doing read-modify-write on one object lose no update; losers get ConflictError', async () => {
    const path = join(mpDir, 'shared.db');
    const store = await openSqliteStore({ path });
    await store.create({ apiVersion: API_VERSION, kind: 'MCPServer', metadata: { name: 'counter' }, spec: { counter: 0 } });
    const waitedFrom = await store.currentVersion();
    const woke = store.waitForChange(waitedFrom, 20_000); // another process's write must wake us (polling)
    // All four have started and opened the store before any reads: they contend, whatever the machine's load.
    const workers = await Promise.all([1, 2, 3, 4].map(() => startRmwWorker([path, 'counter', '10'])));
    for (const w of workers) w.go();
    const results = await Promise.all(workers.map((w) => w.result));
    await woke;
    const successes = results.reduce((s, r) => s + r.successes, 0);
    const conflicts = results.reduce((s, r) => s + r.conflicts, 0);
    const final = await store.get('MCPServer', 'counter');
    expect(successes).toBe(40);
    expect((final?.spec as { counter: number }).counter).toBe(successes);
    expect(final?.metadata.generation).toBe(successes + 1);
    expect(conflicts).toBeGreaterThan(0);
    const events = await store.changesSince(0, { limit: 10_000 });
    expect(events.map((e) => e.resourceVersion)).toEqual(Array.from({ length: successes + 1 }, (_, i) => i + 1));
    expect(await store.checkIntegrity()).toEqual([]);
    await store.close();
  });
});
