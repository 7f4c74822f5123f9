/**
 * Store-level list benchmark: 10,000 MCPServer objects in a SQLite store, then
 * p50/p99 of listing a page of 500 (plain, continued, label selector, owner team),
 * and of paging through all 10,000. Prints figures; asserts nothing.
 * Run: npx node test/bench/store-list.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { API_VERSION } from '../../src/manifest/resource.ts';
import { openSqliteStore } from '../../src/registry/sqlite-store.ts';
import type { ListOptions } from '../../src/client/wire.ts';
import type { Store } from '../../src/registry/store.ts';

const N = Number(process.argv[2] ?? 10_000);
const RUNS = 100;
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-list-'));
const store = await openSqliteStore({ path: join(dir, 'bench.db') });

let t = performance.now();
for (let i = 0; i < N; i++) {
  await store.create({
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name: `server-${String(i).padStart(5, '0')}`, labels: { 'berth.dev/source': `repo-${i % 10}`, tier: i % 2 ? 'gold' : 'silver' } },
    spec: {
      owner: { team: `team-${i % 20}` },
      lifecycle: i % 3 ? 'approved-production' : 'draft',
      environment: 'production',
      risk: 'low',
      dataClassification: 'internal',
      runtime: { image: `registry.example.com/srv-${i}:1.0.${i}`, transport: 'streamable-http', port: 8080, cpu: 256, memory: 512 },
      tools: [{ name: 'search', scopes: [`srv${i}.read`] }, { name: 'write', scopes: [`srv${i}.write`] }],
    },
  });
}
console.log(`created ${N} objects one by one: ${((performance.now() - t) / 1000).toFixed(1)} s`);

async function measure(label: string, fn: () => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number): string => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(2);
  console.log(`${label.padEnd(48)} p50 ${p(0.5)} ms  p99 ${p(0.99)} ms`);
}

const page = (s: Store, o: ListOptions) => s.list('MCPServer', o);
const mid = (await page(store, { limit: 500 })).continue!;
await measure('list page of 500 (first page)', () => page(store, { limit: 500 }));
await measure('list page of 500 (continued page)', () => page(store, { limit: 500, continue: mid }));
await measure('list page of 500, labelSelector tier=gold', () => page(store, { limit: 500, labelSelector: 'tier=gold' }));
await measure('list page of 500, ownerTeam=team-3 (500 matches)', () => page(store, { ownerTeam: 'team-3' }));
await measure('list all 10,000 (20 pages)', async () => {
  let c: string | undefined;
  do c = (await page(store, c ? { continue: c } : {})).continue;
  while (c);
});
await store.close();
rmSync(dir, { recursive: true, force: true });
