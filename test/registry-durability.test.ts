/**
 * Store-level durability: kill -9 a process in the middle of writing 1,000 objects
 * to the SQLite file, reopen, re-apply everything, and check nothing was lost,
 * duplicated or corrupted and the change history agrees with the objects.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Resource } from '../src/manifest/resource.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import { AlreadyExistsError } from '../src/client/errors.ts';
import type { WatchEvent } from '../src/client/wire.ts';
import { manyObject } from './fixtures/durability-objects.ts';

const TOTAL = 1_000;
const KILL_AFTER = 300;
const dir = mkdtempSync(join(tmpdir(), 'berth-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer and SIGKILLs it once it has reported `KILL_AFTER` writes; resolves with the last count it reported. */
function writeAndKill(path: string): Promise<number> {
  const worker = new URL('./fixtures/sqlite-store-worker.ts', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, 'create-many', path, String(TOTAL)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let reported = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) reported = Number(line.replace('wrote ', ''));
      if (reported >= KILL_AFTER && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`writer was not killed (exit ${code}, reported ${reported}): ${stderr}`));
    });
  });
}

it('survives kill -9 during a 1,000-object write: re-apply leaves every object once, a healthy file and a consistent history', async () => {
  const path = join(dir, 'registry.db');
  const reported = await writeAndKill(path);
  expect(reported).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(reported).toBeLessThan(TOTAL);

  const store = await openSqliteStore({ path });
  expect(await store.checkIntegrity()).toEqual([]);
  // Every write the child reported was acknowledged, so it must have survived the kill.
  const survivors = await store.currentVersion();
  expect(survivors).toBeGreaterThanOrEqual(reported);

  let created = 0;
  let unchanged = 0;
  for (let i = 0; i < TOTAL; i++) {
    const obj = manyObject(i);
    try {
      await store.create(obj);
      created++;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const before = await store.get('MCPServer', obj.metadata.name);
      const after = await store.update(obj);
      if (after.metadata.resourceVersion === before?.metadata.resourceVersion) unchanged++;
    }
  }
  expect(created + unchanged).toBe(TOTAL);
  expect(unchanged).toBe(survivors); // the ones that survived were complete: re-applying changed nothing

  const items: Resource[] = [];
  let next: string | undefined;
  do {
    const page = await store.list('MCPServer', next === undefined ? { labelSelector: 'berth.dev/source=durability' } : { labelSelector: 'berth.dev/source=durability', continue: next });
    items.push(...page.items);
    next = page.continue;
  } while (next);
  const names = items.map((o) => o.metadata.name);
  expect(new Set(names).size).toBe(TOTAL);
  expect(names).toEqual(Array.from({ length: TOTAL }, (_, i) => manyObject(i).metadata.name));
  for (const o of items) expect(o.metadata.generation).toBe(1);

  expect(await store.checkIntegrity()).toEqual([]);

  const events: WatchEvent[] = [];
  let since = 0;
  for (;;) {
    const batch = await store.changesSince(since, { limit: 500 });
    if (batch.length === 0) break;
    events.push(...batch);
    since = batch.at(-1)!.resourceVersion;
  }
  expect(events.map((e) => e.resourceVersion)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  expect(events.every((e) => e.type === 'ADDED')).toBe(true);
  const lastEventOf = new Map(events.map((e) => [e.object.metadata.name, e]));
  for (const o of items) {
    const e = lastEventOf.get(o.metadata.name)!;
    expect(e.object).toEqual(o);
    expect(String(e.resourceVersion)).toBe(o.metadata.resourceVersion);
  }
  expect(await store.currentVersion()).toBe(TOTAL);
  await store.close();
});
