/**
 * Prune acts only on the caller's team's objects: team `other` labelling its own
 * server with team `platform`'s `berth.dev/source` can neither get it pruned by
 * platform's pipeline nor make that pipeline fail. The real CLI against a real
 * registry, with publisher tokens of the two teams.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { serverManifest, serverYaml, startHarness, type Harness } from './registry-api-harness.ts';
import { berth } from './support/berth-process.ts';

let h: Harness;
let platform: Record<string, string>;
let other: HttpRegistryClient;

beforeAll(async () => {
  h = await startHarness();
  platform = { BERTH_SERVER: h.url, BERTH_TOKEN: await h.token('publisher', { team: 'platform' }) };
  other = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('publisher', { team: 'other' }) });
}, 30_000);

afterAll(async () => {
  await h?.close();
});

describe('apply --prune across teams', () => {
  it("another team's objects carrying this team's source label are left alone, and this team's prune still works", async () => {
    const dir = join(h.dir, 'platform-repo');
    await mkdir(dir);
    await writeFile(join(dir, 'a1.yaml'), serverYaml('a1', { team: 'platform' }));
    await writeFile(join(dir, 'a2.yaml'), serverYaml('a2', { team: 'platform' }));
    const first = await berth(['apply', '-f', dir, '--source', 'shop', '--prune'], platform, h.dir);
    expect(first.code, first.stderr).toBe(0);

    // Team "other" labels its own server with platform's source.
    await other.apply(serverManifest('squatter', { team: 'other', labels: { 'berth.dev/source': 'shop' } }));

    // Platform removes a2 from its folder and prunes: a2 goes, the squatter stays, nothing fails.
    await rm(join(dir, 'a2.yaml'));
    const second = await berth(['apply', '-f', dir, '--source', 'shop', '--prune'], platform, h.dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('mcpserver/a2 pruned');
    expect(second.stdout).not.toContain('squatter');
    expect(second.stderr).toBe('berth apply: leaving 1 objects labelled with source "shop" alone: they belong to other teams, and prune acts only on your team\'s objects\n');
    expect(await h.admin.get('MCPServer', 'squatter')).toBeDefined();
    expect(await h.admin.get('MCPServer', 'a2')).toBeUndefined();

    // Emptying the folder: the "refusing to prune all" guard counts platform's objects only (a1), not the squatter.
    await rm(join(dir, 'a1.yaml'));
    await writeFile(join(dir, 'a3.yaml'), serverYaml('a3', { team: 'platform' }));
    const third = await berth(['apply', '-f', dir, '--source', 'shop', '--prune'], platform, h.dir);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('refusing to prune all 1 objects of source "shop"');
    const forced = await berth(['apply', '-f', dir, '--source', 'shop', '--prune', '--force'], platform, h.dir);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('mcpserver/a1 pruned');
    expect(await h.admin.get('MCPServer', 'squatter')).toBeDefined();
  });
});
