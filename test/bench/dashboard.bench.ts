/**
 * Dashboard benchmark: prints figures, asserts nothing.
 *   node_modules/.bin/node test/bench/dashboard.bench.ts
 * - JavaScript shipped: the bytes of every script `/ui/` loads, raw and as the
 *   registry sends them gzipped (read from the asset responses themselves);
 * - time to first render of the fleet with 1,000 servers in headless Chromium:
 *   navigation → every row in the table, median of 5 page loads, beside the same
 *   figure with 4 servers measured in the same run (this VM's speed drifts, so
 *   the ratio is the figure to compare);
 * - registry write → page: an apply through the HTTP API until the changed row
 *   shows in the open page, median of 20.
 * The setup is the fleet scale test's (test/dashboard-fleet-scale.test.ts): a
 * registry alone over SQLite, servers written straight to its store, the
 * browser harness's Chromium and sign-in.
 */
import { request } from 'node:http';
import type { Page } from 'playwright-core';
import { serverManifest, startHarness } from '../registry-api-harness.ts';
import { CHROMIUM_MISSING, launchChromium, signInThroughForm } from '../support/dashboard-browser.ts';

if (CHROMIUM_MISSING) {
  console.log(CHROMIUM_MISSING);
  process.exit(0);
}

const LOADS = 5;
const WRITES = 20;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const ms = (n: number): string => `${Math.round(n)} ms`;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;

/** The body length of `url` as sent, with or without gzip (node:http does not decode, so the bytes are the wire's). */
function wireBytes(url: string, gzip: boolean): Promise<{ bytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const h = await startHarness({ dashboard: {}, heartbeatMs: 5_000 });
const browser = await launchChromium();
try {
  // JavaScript shipped: every module script index.html names.
  const index = await (await fetch(`${h.url}/ui/`)).text();
  const scripts = [...index.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  for (const src of scripts) {
    const plain = await wireBytes(new URL(src, h.url).href, false);
    const packed = await wireBytes(new URL(src, h.url).href, true);
    if (packed.encoding !== 'gzip') throw new Error(`${src} was not sent gzipped to a client that accepts gzip`);
    raw += plain.bytes;
    gz += packed.bytes;
  }
  console.log(`JavaScript shipped (${scripts.length} file${scripts.length === 1 ? '' : 's'}): ${kb(raw)} raw, ${kb(gz)} gzipped`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${h.url}/ui/`);
  await signInThroughForm(page, h.adminToken);

  /** Median time from a fresh navigation (session cookie set) to `count` rows in the fleet table. */
  async function firstRender(p: Page, count: number): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const started = performance.now();
      await p.reload();
      await p.locator(`tbody tr:nth-child(${count})`).waitFor({ timeout: 30_000 });
      times.push(performance.now() - started);
    }
    return times;
  }

  let seeded = 0;
  const seedTo = async (count: number) => {
    for (; seeded < count; seeded++) await h.store.create(serverManifest(`srv-${String(seeded).padStart(4, '0')}`, { team: `team-${seeded % 7}` }));
  };
  await seedTo(4);
  const small = await firstRender(page, 4);
  await seedTo(1000);
  const large = await firstRender(page, 1000);
  console.log(`fleet first render, 4 servers: median ${ms(median(small))} of ${LOADS} loads (${small.map(ms).join(', ')})`);
  console.log(`fleet first render, 1,000 servers: median ${ms(median(large))} of ${LOADS} loads (${large.map(ms).join(', ')}); ${(median(large) / median(small)).toFixed(1)}× the 4-server page`);

  // Registry write → page: an apply through the HTTP API changes one row's team; time until the row shows it.
  const lags: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const name = `srv-${String(i * 37).padStart(4, '0')}`;
    const team = `moved-${i}`;
    const started = performance.now();
    await h.admin.apply({ ...serverManifest(name, { team }) });
    await page.locator(`tr[data-server="${name}"] td`, { hasText: team }).first().waitFor({ timeout: 10_000 });
    lags.push(performance.now() - started);
  }
  console.log(`registry write (apply over HTTP) → row shown, 1,000 servers in the page: median ${ms(median(lags))} of ${WRITES}, max ${ms(Math.max(...lags))}`);
  await context.close();
} finally {
  await browser.close();
  await h.close();
}
