/**
 * The store never lies, over HTTP against a real registry whose SQLite file lives
 * on a small real tmpfs (mounted by the test; needs root, else skipped with a
 * message):
 * every acknowledged write (2xx) has its audit record, every failed write is a
 * 503 problem naming the cause with Retry-After, /readyz says not ready, nothing
 * stored before is lost; after space is freed, readiness and writes come back by
 * themselves (the write probe).
 *
 * Read-only is proven in `registry-store-readonly.test.ts` (the registry as
 * `nobody` over a root-owned file) and against real SQLite errors in
 * `src/registry/store-unavailable.test.ts`: Linux refuses to remount a filesystem
 * read-only while the registry holds its files open for writing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/client/wire.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const TMPFS_SIZE = '3m';

/** Mounts a tmpfs of `size` at a new folder, or returns undefined when this machine does not let us. */
function mountTmpfs(size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch {
    rmdirSync(dir);
    return undefined;
  }
}

const mountPoint = mountTmpfs(TMPFS_SIZE);
if (mountPoint) console.log(`store failure tests: using a real ${TMPFS_SIZE} tmpfs at ${mountPoint} (mount -t tmpfs), filled by a file`);
else console.log('store failure tests SKIPPED: cannot mount a tmpfs here (needs root and mount rights)');

interface Answer {
  status: number;
  type: string;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

describe.skipIf(!mountPoint)('registry on a full disk (real tmpfs)', () => {
  let h: Harness;
  const dir = mountPoint!;

  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${h.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${h.adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const ready = async (): Promise<Answer> => call('GET', '/readyz');
  /** Polls /readyz until it answers `status` (the probe runs every 100 ms here); fails the test after 20 s. */
  async function untilReadyz(status: number): Promise<Answer> {
    for (let i = 0; ; i++) {
      const r = await ready();
      if (r.status === status) return r;
      if (i > 200) throw new Error(`/readyz still answers ${r.status}, wanted ${status}: ${JSON.stringify(r.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  /** The manifest of the i-th write: a long description so the disk fills in a few hundred writes. */
  const manifest = (prefix: string, i: number) => serverManifest(`${prefix}-${i}`, { description: `${prefix} ${i} `.repeat(60) });

  /**
   * Writes until `failures` writes in a row failed (at most 2,000); every answer is
   * either 201 with its audit record committed, or a 503 problem of `type`.
   */
  async function writeUntilRefused(prefix: string, type: string): Promise<{ acknowledged: string[]; refused: number }> {
    const acknowledged: string[] = [];
    let refused = 0;
    let inARow = 0;
    for (let i = 0; i < 2000 && inARow < 5; i++) {
      const res = await call('POST', `${BASE}/mcpservers`, manifest(prefix, i));
      if (res.status === 201) {
        acknowledged.push(`${prefix}-${i}`);
        inARow = 0;
        continue;
      }
      refused++;
      inARow++;
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.type).toBe(`https://berth.dev/problems/${type}`);
      expect(res.retryAfter).toMatch(/^\d+$/);
      expect(String(res.body.detail)).toContain(join(dir, 'registry.db'));
    }
    return { acknowledged, refused };
  }

  /** Every acknowledged create has exactly one `create` audit record with the object's version. */
  async function expectAudited(names: string[]): Promise<void> {
    const audit = await h.store.queryAudit({ action: 'create', limit: 1000 });
    const byName = new Map<string, AuditEntry[]>();
    for (const e of audit) byName.set(e.name!, [...(byName.get(e.name!) ?? []), e]);
    for (const name of names) {
      const stored = await h.store.get('MCPServer', name);
      expect(stored, `${name} was acknowledged but is not stored`).toBeDefined();
      const records = byName.get(name) ?? [];
      expect(records, `${name} was acknowledged without an audit record`).toHaveLength(1);
      expect(records[0]!.details?.resourceVersion).toBe(stored!.metadata.resourceVersion);
    }
  }

  beforeAll(async () => {
    h = await startHarness({ dir, storeProbeIntervalMs: 100 });
  });
  afterAll(async () => {
    await h?.server.close();
    await h?.store.close();
    execFileSync('umount', [dir]);
    rmdirSync(dir);
  });

  it('disk full: acknowledged writes are audited, refused ones are 503 problems, /readyz follows, and writes come back after space is freed', async () => {
    for (let i = 0; i < 5; i++) expect((await call('POST', `${BASE}/mcpservers`, manifest('seed', i))).status).toBe(201);
    // Fill what is left of the filesystem with a file we can delete later.
    const filler = join(dir, 'filler');
    const chunk = Buffer.alloc(64 * 1024, 1);
    writeFileSync(filler, '');
    try {
      for (;;) writeFileSync(filler, chunk, { flag: 'a' });
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    // Give a little back, so some writes still fit and the filesystem fills up under them.
    truncateSync(filler, Math.max(0, statSync(filler).size - 256 * 1024));
    const before = await h.store.list('MCPServer', { limit: 1000 });
    const { acknowledged, refused } = await writeUntilRefused('full', 'store-disk-full');
    console.log(`disk full: ${acknowledged.length} writes acknowledged after the filler, ${refused} refused with 503`);
    expect(refused).toBeGreaterThanOrEqual(5);
    await expectAudited(acknowledged);

    // Updates through server-side apply on the full disk: refused as 503 problems, and nothing changes.
    for (let i = 0; i < 5; i++) {
      const name = `seed-${i}`;
      const before = await h.store.get('MCPServer', name);
      const auditBefore = (await h.store.queryAudit({ name, limit: 100 })).length;
      const res = await call('POST', `${BASE}/mcpservers/${name}/apply`, serverManifest(name, { description: `changed ${i} `.repeat(200) }));
      if (res.status === 200) {
        const after = await h.store.get('MCPServer', name);
        const [latest] = await h.store.queryAudit({ name, action: 'update', limit: 1 });
        expect(latest?.details?.resourceVersion, `${name} was updated without its audit record`).toBe(after!.metadata.resourceVersion);
        continue;
      }
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.type).toBe('https://berth.dev/problems/store-disk-full');
      expect(await h.store.get('MCPServer', name)).toEqual(before);
      expect((await h.store.queryAudit({ name, limit: 100 })).length).toBe(auditBefore);
    }

    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ type: 'https://berth.dev/problems/not-ready', reason: 'disk-full' });
    expect(String(notReady.body.detail)).toMatch(/database refuses writes \(disk-full\)/);
    expect(String(notReady.body.detail)).not.toContain(dir); // /readyz is open: no paths
    expect(notReady.retryAfter).toMatch(/^\d+$/);

    // Nothing stored before is lost, and reads keep working while the disk is full.
    for (const obj of before.items) expect((await call('GET', `${BASE}/mcpservers/${obj.metadata.name}`)).status).toBe(200);

    rmSync(filler);
    await untilReadyz(200);
    const again = await call('POST', `${BASE}/mcpservers`, manifest('after', 1));
    expect(again.status).toBe(201);
    await expectAudited(['after-1']);
    expect(await h.store.checkIntegrity()).toEqual([]);
  });
});
