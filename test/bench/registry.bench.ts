/**
 * Registry benchmark: prints figures, asserts nothing.
 *   node test/bench/registry.bench.ts
 * - apply 1,000 manifests end to end through the HTTP API (server-side apply,
 *   validation, auth, audit) vs raw Store.create in the same process;
 * - list 10,000 objects in pages of 500: per-page p50/p99 over HTTP vs Store.list;
 * - watch event latency (write → event received) with 50 concurrent HTTP watchers
 *   vs an in-process Store watcher.
 */
import { openSqliteStore } from '../../src/registry/sqlite-store.ts';
import { serverManifest, startHarness } from '../registry-api-harness.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const ms = (n: number): string => `${n.toFixed(2)} ms`;

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const h = await startHarness({ heartbeatMs: 5_000 });
const baseDir = await mkdtemp(join(tmpdir(), 'berth-bench-base-'));
const base = await openSqliteStore({ path: join(baseDir, 'base.db'), logger: pino({ level: 'silent' }) });
try {
  // 1. apply 1,000
  const names = Array.from({ length: 1000 }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
  let t = performance.now();
  await pool(names, 16, async (n) => void (await h.admin.apply(serverManifest(n))));
  const applyMs = performance.now() - t;
  t = performance.now();
  for (const n of names) await base.create(serverManifest(n));
  const rawMs = performance.now() - t;
  t = performance.now();
  await pool(names, 16, async (n) => void (await h.admin.apply(serverManifest(n))));
  const unchangedMs = performance.now() - t;
  console.log(`apply 1,000 manifests via HTTP API: ${ms(applyMs)} total, ${ms(applyMs / 1000)} per object (16 in flight)`);
  console.log(`  re-apply (all unchanged):         ${ms(unchangedMs)} total, ${ms(unchangedMs / 1000)} per object`);
  console.log(`  baseline Store.create in-process: ${ms(rawMs)} total, ${ms(rawMs / 1000)} per object; ratio HTTP/raw ${(applyMs / rawMs).toFixed(2)}x`);

  // 2. list 10,000 (fill the rest directly through the store: the list path is what is measured)
  for (let i = 1000; i < 10_000; i++) {
    const m = serverManifest(`bench-${String(i).padStart(5, '0')}`);
    await h.store.create(m);
    await base.create(m);
  }
  const httpPages: number[] = [];
  const rawPages: number[] = [];
  const fulls: number[] = [];
  const rawFulls: number[] = [];
  for (let round = 0; round < 5; round++) {
    let cont: string | undefined;
    let count = 0;
    const start = performance.now();
    do {
      const p0 = performance.now();
      const page = await h.admin.list('MCPServer', { limit: 500, ...(cont ? { continue: cont } : {}) });
      httpPages.push(performance.now() - p0);
      count += page.items.length;
      cont = page.continue;
    } while (cont);
    fulls.push(performance.now() - start);
    if (count !== 10_000) throw new Error(`listed ${count}`);
    const rawStart = performance.now();
    cont = undefined;
    do {
      const p0 = performance.now();
      const page = await base.list('MCPServer', { limit: 500, ...(cont ? { continue: cont } : {}) });
      rawPages.push(performance.now() - p0);
      cont = page.continue;
    } while (cont);
    rawFulls.push(performance.now() - rawStart);
  }
  console.log(`list 10,000 objects (pages of 500, 5 rounds) via HTTP: page p50 ${ms(pct(httpPages, 50))} p99 ${ms(pct(httpPages, 99))}; full list p50 ${ms(pct(fulls, 50))} p99 ${ms(pct(fulls, 99))}`);
  console.log(`  baseline Store.list: page p50 ${ms(pct(rawPages, 50))} p99 ${ms(pct(rawPages, 99))}; full list p50 ${ms(pct(rawFulls, 50))}; ratio (full p50) ${(pct(fulls, 50) / pct(rawFulls, 50)).toFixed(2)}x`);

  // 3. watch latency, 50 HTTP watchers
  const WATCHERS = 50;
  const EVENTS = 50;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const ac = new AbortController();
  const from = await h.store.currentVersion();
  const done = Array.from({ length: WATCHERS }, async () => {
    let seen = 0;
    for await (const ev of h.admin.watch('MCPServer', from, ac.signal)) {
      if (ev.type === 'BOOKMARK') continue;
      latencies.push(performance.now() - sentAt.get(ev.object.metadata.name)!);
      if (++seen === EVENTS) break;
    }
  });
  await new Promise((r) => setTimeout(r, 500)); // let every watcher connect
  for (let i = 0; i < EVENTS; i++) {
    const name = `watch-${i}`;
    sentAt.set(name, performance.now());
    await h.admin.apply(serverManifest(name));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(done);
  ac.abort();
  // Baseline: one in-process Store watcher (waitForChange + changesSince), same writes.
  const rawLat: number[] = [];
  let since = await base.currentVersion();
  const rawDone = (async () => {
    while (rawLat.length < EVENTS) {
      await base.waitForChange(since, 1000);
      for (const ev of await base.changesSince(since)) {
        rawLat.push(performance.now() - sentAt.get(ev.object.metadata.name)!);
        since = ev.resourceVersion;
      }
    }
  })();
  for (let i = 0; i < EVENTS; i++) {
    const name = `rawwatch-${i}`;
    sentAt.set(name, performance.now());
    await base.create(serverManifest(name));
    await new Promise((r) => setTimeout(r, 20));
  }
  await rawDone;
  console.log(`watch event latency (write start → event received), ${WATCHERS} HTTP watchers × ${EVENTS} events: p50 ${ms(pct(latencies, 50))} p99 ${ms(pct(latencies, 99))} (includes the apply round trip)`);
  console.log(`  baseline in-process Store watcher (create → event): p50 ${ms(pct(rawLat, 50))} p99 ${ms(pct(rawLat, 99))}`);
} finally {
  await base.close();
  await rm(baseDir, { recursive: true, force: true });
  await h.close();
}
