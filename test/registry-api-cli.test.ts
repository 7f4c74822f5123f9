/**
 * GitOps through the real CLI binary against a real `berth registry` process:
 * apply twice (second all unchanged, no generation bump, no audit entry), prune
 * exactly the removed object, diff exit codes, local validation that sends nothing,
 * and durability: kill -9 of the registry during a 1,000-object apply, restart,
 * re-apply → every object exactly once, integrity clean, watch history consistent.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { hashSecret } from '../src/client/tokens.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import { serverYaml } from './registry-api-harness.ts';
import { berth, startRegistry, stop, type RegistryProcess } from './support/berth-process.ts';

describe('GitOps through the CLI', () => {
  let dir: string;
  let reg: RegistryProcess;
  let env: Record<string, string>;
  let admin: HttpRegistryClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    reg = await startRegistry(join(dir, 'state'));
    const token = (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
    env = { BERTH_SERVER: reg.url, BERTH_TOKEN: token };
    admin = new HttpRegistryClient({ baseUrl: reg.url, token });
    await mkdir(join(dir, 'servers'));
    for (const n of ['alpha', 'bravo', 'charlie']) await writeFile(join(dir, 'servers', `${n}.yaml`), serverYaml(n));
  });
  afterAll(async () => {
    await stop(reg);
    await rm(dir, { recursive: true, force: true });
  });

  it('apply twice: second run all unchanged, no generation bump, no audit entry; diff exits 0', async () => {
    const first = await berth(['apply', '-f', 'servers', '--source', 'repo'], env, dir);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('mcpserver/alpha created\nmcpserver/bravo created\nmcpserver/charlie created\n');
    expect(first.code).toBe(0);
    const before = await admin.listAll('MCPServer');
    const auditBefore = await admin.queryAudit({ limit: 1000 });
    const second = await berth(['apply', '-f', 'servers', '--source', 'repo'], env, dir);
    expect(second.stdout).toBe('mcpserver/alpha unchanged\nmcpserver/bravo unchanged\nmcpserver/charlie unchanged\n');
    expect(second.code).toBe(0);
    expect(await admin.listAll('MCPServer')).toEqual(before);
    expect(await admin.queryAudit({ limit: 1000 })).toEqual(auditBefore);
    expect(before.items.every((o) => o.metadata.generation === 1 && o.metadata.labels?.['berth.dev/source'] === 'repo')).toBe(true);
    const diff = await berth(['diff', '-f', 'servers', '--source', 'repo'], env, dir);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it('diff shows a change as a unified YAML diff and exits 1; apply then reports configured', async () => {
    await writeFile(join(dir, 'servers', 'bravo.yaml'), serverYaml('bravo', { description: 'Bravo, now better' }));
    const diff = await berth(['diff', '-f', 'servers', '--source', 'repo'], env, dir);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('--- live/mcpserver/bravo');
    expect(diff.stdout).toContain('-  description: The bravo server');
    expect(diff.stdout).toContain('+  description: Bravo, now better');
    const apply = await berth(['apply', '-f', 'servers', '--source', 'repo'], env, dir);
    expect(apply.stdout).toContain('mcpserver/bravo configured\n');
    expect((await admin.get('MCPServer', 'bravo'))!.metadata.generation).toBe(2);
  });

  it('remove one file and apply --prune: exactly that object is deleted', async () => {
    await rm(join(dir, 'servers', 'charlie.yaml'));
    const apply = await berth(['apply', '-f', 'servers', '--source', 'repo', '--prune'], env, dir);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toBe('mcpserver/alpha unchanged\nmcpserver/bravo unchanged\nmcpserver/charlie pruned\n');
    expect((await admin.listAll('MCPServer')).items.map((o) => o.metadata.name)).toEqual(['alpha', 'bravo']);
    expect((await admin.queryAudit({ name: 'charlie', limit: 1 }))[0]!.action).toBe('prune');
  });

  it('refuses a prune that would delete every object of the source, unless --force', async () => {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'empty', 'other.yaml'), serverYaml('other-thing'));
    const refused = await berth(['apply', '-f', 'empty', '--source', 'repo', '--prune'], env, dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to prune all 2 objects of source "repo"');
    expect(await admin.get('MCPServer', 'other-thing')).toBeUndefined(); // refused before applying anything
    const capped = await berth(['apply', '-f', 'servers', '--source', 'repo', '--prune', '--max-prune', '0'], env, dir);
    expect(capped.code).toBe(0); // nothing to prune, so the cap does not bite
  });

  it('validates locally first: an invalid manifest gives file:line and sends nothing', async () => {
    await mkdir(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'good.yaml'), serverYaml('delta'));
    await writeFile(join(dir, 'broken', 'bad.yaml'), serverYaml('echo').replace('risk: low', 'risk: extreme'));
    const version = (await admin.list('MCPServer')).resourceVersion;
    const res = await berth(['apply', '-f', 'broken'], env, dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/broken\/bad\.yaml:\d+:\d+\s+MCPServer\/echo\s+spec\.risk/);
    expect(res.stderr).toContain('nothing was sent to the registry');
    expect((await admin.list('MCPServer')).resourceVersion).toBe(version);
  });

  it('get, describe, delete and token commands work; a bad token and a dead server give clear messages', async () => {
    const get = await berth(['get', 'servers'], env, dir);
    expect(get.stdout.split('\n')[0]).toMatch(/^NAME\s+TEAM\s+ENV\s+LIFECYCLE\s+PHASE\s+READY\s+ENDPOINT\s+AGE$/);
    expect(get.stdout).toMatch(/^alpha\s+platform\s+dev\s+approved-dev\s+Pending\s+-\s+-\s+\d+s$/m);
    const yaml = await berth(['get', 'mcp', 'alpha', '-o', 'yaml'], env, dir);
    expect(yaml.stdout).toContain('name: alpha');
    const describe = await berth(['describe', 'server', 'bravo'], env, dir);
    expect(describe.stdout).toContain('Lifecycle:   approved-dev');
    expect(describe.stdout).toMatch(/update\s+mcpserver\/bravo\s+1→2/);
    const created = await berth(['token', 'create', '--role', 'reader', '--expires', '1h'], env, dir);
    const readerToken = created.stdout.trim();
    expect(readerToken).toMatch(/^berth_tok_/);
    const denied = await berth(['delete', 'mcpserver', 'alpha'], { ...env, BERTH_TOKEN: readerToken }, dir);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('403');
    const del = await berth(['delete', 'mcpserver', 'alpha'], env, dir);
    expect(del.stdout).toBe('mcpserver/alpha deleted\n');
    const bad = await berth(['get'], { ...env, BERTH_TOKEN: 'berth_tok_aaaaaaaaaaaa_' + 'b'.repeat(43) }, dir);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('the registry refused the token (401');
    const dead = await berth(['get'], { ...env, BERTH_SERVER: 'http://127.0.0.1:9' }, dir);
    expect(dead.code).toBe(3);
    expect(dead.stderr).toContain('cannot reach the registry at http://127.0.0.1:9');
  });

  it('token list leaves out dashboard sessions that ended, says how many, and shows them with --all', async () => {
    const signIn = async (): Promise<{ cookie: string; csrfToken: string; tokenId: string }> => {
      const res = await fetch(`${reg.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: env.BERTH_TOKEN }) });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { csrfToken: string; tokenId: string };
      return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, ...body };
    };
    const live = await signIn();
    const ended = await signIn();
    const out = await fetch(`${reg.url}/ui/session`, { method: 'DELETE', headers: { cookie: ended.cookie, 'x-berth-csrf': ended.csrfToken } });
    expect(out.status).toBe(204);

    const list = await berth(['token', 'list'], env, dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${live.tokenId}\\s+admin\\s.*dashboard session of tok_`, 'm'));
    expect(list.stdout).not.toContain(ended.tokenId);
    expect(list.stderr).toMatch(/^\d+ ended dashboard sessions? not shown \(--all shows them\)$/m);
    const all = await berth(['token', 'list', '--all'], env, dir);
    expect(all.stdout).toContain(ended.tokenId);
    expect(all.stderr).toBe('');
    const misplaced = await berth(['token', 'revoke', live.tokenId, '--all'], env, dir);
    expect([misplaced.code, misplaced.stderr]).toEqual([2, expect.stringContaining('--all is only for `berth token list`')]);
  });

  it('token create --role agent --agent … --group …, list with AGENT and GROUPS, revoke; usage errors for a missing or misplaced --agent', async () => {
    const created = await berth(['token', 'create', '--role', 'agent', '--agent', 'sales-copilot', '--group', 'sales', '--group', 'emea', '--expires', '30d'], env, dir);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^berth_tok_[a-z0-9]{12}_[A-Za-z0-9]{43}$/);
    const id = /^berth_(tok_[a-z0-9]{12})_/.exec(key)![1]!;
    expect(created.stderr).toContain(`created token ${id} (agent, agent sales-copilot, groups sales,emea, expires `);
    const review = await admin.reviewToken({ tokenId: id, hash: hashSecret(key.slice(`berth_${id}_`.length)) });
    expect(review).toMatchObject({ authenticated: true, agent: 'sales-copilot', groups: ['sales', 'emea'] });

    const list = await berth(['token', 'list'], env, dir);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+ROLE\s+TEAM\s+AGENT\s+GROUPS\s+CREATED\s+EXPIRES\s+REVOKED\s+DESCRIPTION$/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+agent\\s+-\\s+sales-copilot\\s+sales,emea\\s+\\S+\\s+\\d{4}-\\S+\\s+-`, 'm'));
    expect(list.stdout).not.toContain(key);

    const revoked = await berth(['token', 'revoke', id], env, dir);
    expect(revoked.stdout).toBe(`token ${id} revoked\n`);
    expect((await admin.reviewToken({ tokenId: id, hash: hashSecret(key.slice(`berth_${id}_`.length)) })).authenticated).toBe(false);
    expect((await berth(['token', 'list'], env, dir)).stdout).toMatch(new RegExp(`^${id}\\s+agent\\s+-\\s+sales-copilot\\s+.*\\s+\\d{4}-\\S+Z\\s*$`, 'm'));

    const noAgent = await berth(['token', 'create', '--role', 'agent'], env, dir);
    expect([noAgent.code, noAgent.stderr]).toEqual([2, expect.stringContaining('an agent key needs --agent NAME')]);
    const misplaced = await berth(['token', 'create', '--role', 'reader', '--agent', 'sales-copilot'], env, dir);
    expect([misplaced.code, misplaced.stderr]).toEqual([2, expect.stringContaining('--agent and --group are only for --role agent')]);
    const badName = await berth(['token', 'create', '--role', 'agent', '--agent', 'Sales_Copilot'], env, dir);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('agent must be a DNS label');
  });
});

describe('durability over HTTP', () => {
  it('kill -9 during a 1,000-object apply, restart, re-apply: every object exactly once, integrity clean, watch history consistent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-kill-'));
    try {
      const state = join(dir, 'state');
      await mkdir(join(dir, 'many'));
      const N = 1000;
      // 100 files of 10 documents each.
      for (let f = 0; f < N / 10; f++) {
        const docs = Array.from({ length: 10 }, (_, i) => serverYaml(`svc-${String(f * 10 + i).padStart(4, '0')}`));
        await writeFile(join(dir, 'many', `batch-${String(f).padStart(3, '0')}.yaml`), docs.join('---\n'));
      }
      let reg = await startRegistry(state);
      const token = (await readFile(join(state, 'admin-token'), 'utf8')).trim();
      let client = new HttpRegistryClient({ baseUrl: reg.url, token });
      const applying = berth(['apply', '-f', 'many', '--source', 'bulk', '--concurrency', '16'], { BERTH_SERVER: reg.url, BERTH_TOKEN: token }, dir);
      // Kill once a good part is in.
      for (;;) {
        const { resourceVersion } = await client.list('MCPServer', { limit: 1 });
        if (resourceVersion >= 150) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await stop(reg, 'SIGKILL');
      const interrupted = await applying;
      expect(interrupted.code).toBe(3);

      reg = await startRegistry(state);
      client = new HttpRegistryClient({ baseUrl: reg.url, token });
      const again = await berth(['apply', '-f', 'many', '--source', 'bulk', '--concurrency', '16'], { BERTH_SERVER: reg.url, BERTH_TOKEN: token }, dir);
      expect(again.code).toBe(0);
      const lines = again.stdout.trim().split('\n');
      expect(lines).toHaveLength(N);
      expect(lines.filter((l) => l.endsWith(' unchanged')).length).toBeGreaterThan(100);
      const { items } = await client.listAll('MCPServer');
      expect(items).toHaveLength(N);
      expect(new Set(items.map((o) => o.metadata.name)).size).toBe(N);
      expect(items.every((o) => o.metadata.generation === 1)).toBe(true);
      await stop(reg);

      const store = await openSqliteStore({ path: join(state, 'registry.db'), logger: pino({ level: 'silent' }) });
      try {
        expect(await store.checkIntegrity()).toEqual([]);
        const history = await store.changesSince(0, { limit: 5000 });
        const versions = history.map((e) => e.resourceVersion);
        expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
        const inHistory = new Set(versions);
        expect(items.every((o) => inHistory.has(Number(o.metadata.resourceVersion)))).toBe(true);
        expect(history.filter((e) => e.type === 'ADDED')).toHaveLength(N);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
