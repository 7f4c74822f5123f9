/**
 * ECS provider benchmark: AWS API calls by operation and simulated (fake-clock)
 * time for the first converge of 100 servers, a no-op resync of 100 and of 1,000
 * servers, and retiring 100 — real reconciler, real SDK clients, the AWS fake
 * enforcing AWS's documented token buckets. Prints figures; asserts nothing.
 *
 *   node test/bench/ecs.bench.ts            (from the repo root, Node 24)
 */
import { performance } from 'node:perf_hooks';
import { ecsServer, ecsWorld, type EcsWorld } from '../ecs-harness.ts';
import { createApproved } from '../support/approvals.ts';

const CONCURRENCY = 8;

/** Reconciles `names` until none asks to be requeued, honouring each requeue delay on the fake clock. */
async function convergeAll(w: EcsWorld, names: string[]): Promise<void> {
  const due = new Map(names.map((n) => [n, w.clock.now()]));
  while (due.size > 0) {
    const now = w.clock.now();
    const ready = [...due].filter(([, t]) => t <= now).map(([n]) => n);
    if (ready.length === 0) {
      w.clock.advance(Math.min(...due.values()) - now);
      continue;
    }
    await pool(ready, async (n) => {
      let requeue: number | undefined;
      try {
        requeue = (await w.reconciler.reconcile(n)).requeueAfterMs;
      } catch {
        requeue = 1_000;
      }
      if (requeue === undefined) due.delete(n);
      else due.set(n, w.clock.now() + requeue);
    });
  }
}

/** One reconcile pass of each name (a resync). */
async function resync(w: EcsWorld, names: string[]): Promise<void> {
  await pool(names, async (n) => {
    await w.reconciler.reconcile(n);
  });
}

async function pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

async function measure(w: EcsWorld, label: string, run: () => Promise<void>): Promise<void> {
  const since = w.fake.lastCallSeq;
  const t0 = w.clock.now();
  const r0 = performance.now();
  await run();
  const counts = w.fake.callCounts({ since });
  const writes = w.fake.callCounts({ since, writesOnly: true });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const writeTotal = Object.values(writes).reduce((a, b) => a + b, 0);
  const throttled = w.fake.calls.filter((c) => c.seq > since && c.outcome === 'throttled').length;
  console.log(`\n## ${label}`);
  console.log(`fake-clock time ${((w.clock.now() - t0) / 1000).toFixed(1)} s · wall ${(performance.now() - r0).toFixed(0)} ms · ${total} calls (${writeTotal} writes) · refused by a bucket: ${throttled}`);
  for (const [op, n] of Object.entries(counts).sort(([, a], [, b]) => b - a)) console.log(`  ${op.padEnd(34)} ${String(n).padStart(6)}`);
}

const w = await ecsWorld({ listeners: 11 });
const first = Array.from({ length: 100 }, (_, i) => `srv-${String(i).padStart(4, '0')}`);
const more = Array.from({ length: 900 }, (_, i) => `srv-${String(i + 100).padStart(4, '0')}`);
for (const n of first) await createApproved(w.store, ecsServer(n, {}, { routing: { host: `${n}.mcp.example.com` } }));

console.log('# ECS provider benchmark (AWS fake, documented token buckets, client-side limiter, concurrency 8)');
console.log('limits in force (burst / per s):', JSON.stringify(w.provider.limiter.limits()));
await measure(w, 'first converge of 100 servers', () => convergeAll(w, first));
w.clock.advance(60_000);
await measure(w, 'no-op resync of 100 servers', () => resync(w, first));

for (const n of more) await createApproved(w.store, ecsServer(n));
const all = [...first, ...more];
await measure(w, 'converge 900 more servers (1,000 total)', () => convergeAll(w, more));
w.clock.advance(60_000);
await measure(w, 'no-op resync of 1,000 servers', () => resync(w, all));

for (const n of first) await w.store.delete('MCPServer', n);
await measure(w, 'retiring 100 servers', () => convergeAll(w, first));
await w.close();
