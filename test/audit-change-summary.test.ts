/**
 * The audit log says which fields a write changed, through a real `berth registry`
 * process over HTTP and the real CLI binary: apply, change the image and an env
 * value, and the update's record names `spec.runtime.image` old → new and the env
 * key as `(changed)` — its value, old or new, appears nowhere in the audit (JSON
 * or table); a delete is recorded with what it removed; `berth audit` and
 * `berth describe` show the changes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { berth, startRegistry, stop, type RegistryProcess } from './support/berth-process.ts';

// Env values are hidden whatever they look like (the secret lint keeps literal secrets out of manifests; these are plain).
const OLD_SECRET = 'eurozone-marker';
const NEW_SECRET = 'dollarzone-marker';

function shopYaml(o: { image: string; currency: string; team: string }): string {
  return `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: shop
  labels:
    team: ${o.team}
spec:
  description: Shop
  owner:
    team: shop
  environment: dev
  lifecycle: approved-dev
  risk: low
  dataClassification: internal
  runtime:
    image: ${o.image}
    transport: streamable-http
    port: 8080
    env:
      CURRENCY: ${o.currency}
      LOG_LEVEL: info
  tools:
    - name: buy
      scopes: [shop.write]
`;
}

describe('audit change summary over HTTP', () => {
  let dir: string;
  let reg: RegistryProcess;
  let env: Record<string, string>;
  let admin: HttpRegistryClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-audit-diff-'));
    reg = await startRegistry(join(dir, 'state'));
    const token = (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
    env = { BERTH_SERVER: reg.url, BERTH_TOKEN: token };
    admin = new HttpRegistryClient({ baseUrl: reg.url, token });
  });
  afterAll(async () => {
    await stop(reg);
    await rm(dir, { recursive: true, force: true });
  });

  it('an update names the image and a label old → new and the env key as (changed), never their values', async () => {
    await writeFile(join(dir, 'shop.yaml'), shopYaml({ image: 'ghcr.io/acme/shop:1.0', currency: OLD_SECRET, team: 'red' }));
    expect((await berth(['apply', '-f', 'shop.yaml'], env, dir)).code).toBe(0);
    const [created] = await admin.queryAudit({ kind: 'MCPServer', name: 'shop', limit: 1 });
    expect(created!.action).toBe('create');
    const createChanges = created!.details!['changes'] as string[];
    expect(createChanges).toContain('spec.runtime.image: ∅ → "ghcr.io/acme/shop:1.0"');
    expect(createChanges).toContain('spec.runtime.env.CURRENCY: (changed)');

    await writeFile(join(dir, 'shop.yaml'), shopYaml({ image: 'ghcr.io/acme/shop:1.1', currency: NEW_SECRET, team: 'blue' }));
    const applied = await berth(['apply', '-f', 'shop.yaml'], env, dir);
    expect(applied.stdout).toBe('mcpserver/shop configured\n');
    const [updated] = await admin.queryAudit({ kind: 'MCPServer', name: 'shop', limit: 1 });
    expect(updated!.action).toBe('update');
    expect(updated!.details!['changes']).toEqual([
      'metadata.labels.team: "red" → "blue"',
      'spec.runtime.env.CURRENCY: (changed)',
      'spec.runtime.image: "ghcr.io/acme/shop:1.0" → "ghcr.io/acme/shop:1.1"',
    ]);

    const json = await berth(['audit', '--object', 'mcpserver/shop', '-o', 'json'], env, dir);
    expect(json.code).toBe(0);
    const table = await berth(['audit', '--object', 'mcpserver/shop'], env, dir);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+ACTOR\s+ACTION\s+OBJECT\s+GEN\s+CHANGES$/m);
    expect(table.stdout).toContain('spec.runtime.image: "ghcr.io/acme/shop:1.0" → "ghcr.io/acme/shop:1.1"');
    expect(table.stdout).toContain('spec.runtime.env.CURRENCY: (changed)');
    const described = await berth(['describe', 'mcpserver', 'shop'], env, dir);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('metadata.labels.team: "red" → "blue"');
    for (const out of [json.stdout, table.stdout, described.stdout]) {
      expect(out).not.toContain(OLD_SECRET);
      expect(out).not.toContain(NEW_SECRET);
    }
  });

  it('a delete records what it removed; a no-op apply records nothing', async () => {
    const before = await admin.queryAudit({ kind: 'MCPServer', name: 'shop', limit: 100 });
    expect((await berth(['apply', '-f', 'shop.yaml'], env, dir)).stdout).toBe('mcpserver/shop unchanged\n');
    expect(await admin.queryAudit({ kind: 'MCPServer', name: 'shop', limit: 100 })).toEqual(before);

    const deleted = await berth(['delete', 'mcpserver', 'shop'], env, dir);
    expect(deleted.code).toBe(0);
    const [record] = await admin.queryAudit({ kind: 'MCPServer', name: 'shop', limit: 1 });
    expect(record!.action).toBe('delete');
    const changes = record!.details!['changes'] as string[];
    // No reconciler runs here, so no finalizer holds the object: it is removed, and every field goes to ∅.
    expect(record!.details!['removed']).toBe(true);
    expect(changes).toContain('spec.runtime.image: "ghcr.io/acme/shop:1.1" → ∅');
    expect(changes).toContain('spec.runtime.env.CURRENCY: (changed)');
    expect(JSON.stringify(record)).not.toContain(NEW_SECRET);
    const table = await berth(['audit', '--object', 'mcpserver/shop', '--action', 'delete'], env, dir);
    expect(table.stdout).toMatch(/delete\s+mcpserver\/shop\s+\S+\s+.*→/);
  });
});
