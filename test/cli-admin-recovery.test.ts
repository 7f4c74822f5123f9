/**
 * Issue 17, bootstrap recovery: revoking the last admin token is refused (409) with
 * the lock-out and the recovery explained, unless --force; after a forced revoke
 * neither a restart nor deleting `admin-token` recovers, and `berth up
 * --reset-admin-token` does (new token in the file and the store, the old one revoked,
 * both audited). Real `berth up` processes and real CLI runs found through client.json.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, NODE, cleanupAfterEach, spawnBerth, tempDir, type BerthProcess, type CliResult } from './cli-services-harness.ts';
import { killLeftovers } from './e2e-harness.ts';

const { track, later } = cleanupAfterEach();

/** `berth <args>` in `cwd`, with no BERTH_* variable and no user config. */
function run(args: string[], cwd: string): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));
  return new Promise((resolve) => {
    execFile(NODE, [BIN, ...args], { cwd, env: { ...base, HOME: cwd, XDG_CONFIG_HOME: join(cwd, '.no-user-config') }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function up(cwd: string, extra: string[] = []): Promise<BerthProcess> {
  const p = track(spawnBerth(['up', '--no-examples', '--registry-port', '0', '--gateway-port', '0', '--log-level', 'warn', ...extra], { cwd }));
  await p.waitForLine(/^\s+admin token\s+\//);
  return p;
}

function adminIds(list: string): Array<{ id: string; revoked: boolean }> {
  return list
    .split('\n')
    .filter((l) => /^tok_\S+\s+admin\s/.test(l))
    .map((l) => ({ id: l.split(/\s+/)[0]!, revoked: !/\s-\s+bootstrap/.test(l) }));
}

describe('bootstrap admin recovery (issue 17)', () => {
  it('refuses to revoke the last admin token without --force; after a forced revoke only --reset-admin-token recovers', async () => {
    const tmp = tempDir('recovery');
    later(tmp.remove);
    const project = tmp.dir;
    later(async () => void (await killLeftovers(join(project, '.berth'))));
    let berth = await up(project);

    const listed = await run(['token', 'list'], project);
    expect(listed.code, listed.stderr).toBe(0);
    const [admin] = adminIds(listed.stdout);
    expect(admin).toBeDefined();

    const refused = await run(['token', 'revoke', admin!.id], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/last admin token/);
    expect(refused.stderr).toMatch(/berth up --reset-admin-token/);
    expect((await run(['get', 'servers'], project)).code).toBe(0);

    const forced = await run(['token', 'revoke', admin!.id, '--force'], project);
    expect(forced.code, forced.stderr).toBe(0);
    const locked = await run(['get', 'servers'], project);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toMatch(/revoked/);

    // The lock-out the issue found: a restart does not help, nor does deleting admin-token.
    expect((await berth.stop('SIGTERM')).code).toBe(143);
    berth = await up(project);
    expect((await run(['get', 'servers'], project)).code).toBe(3);
    await berth.stop('SIGTERM');
    rmSync(join(project, '.berth', 'admin-token'));
    berth = await up(project);
    expect((await run(['get', 'servers'], project)).code).toBe(3);
    await berth.stop('SIGTERM');

    // The old token was revoked already (forced): nothing more to revoke.
    berth = await up(project, ['--reset-admin-token']);
    expect(berth.lines.join('\n')).toMatch(/reset now: new token tok_\w+; revoked none/);
    expect(readFileSync(join(project, '.berth', 'admin-token'), 'utf8')).toMatch(/^berth_tok_\w+_\w+\n$/);
    expect((await run(['get', 'servers'], project)).code).toBe(0);
    const after = await run(['token', 'list'], project);
    expect(after.code, after.stderr).toBe(0);
    const admins = adminIds(after.stdout);
    expect(admins.filter((a) => !a.revoked).length).toBe(1);
    expect(admins.find((a) => a.id === admin!.id)?.revoked).toBe(true);
    const audit = await run(['audit'], project);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/token\.create/);
    expect((await berth.stop('SIGTERM')).code).toBe(143);
  }, 90_000);
});

describe('--reset-admin-token with a working bootstrap token', () => {
  it('revokes the earlier bootstrap admin token, so a leaked copy of the old file stops working', async () => {
    const tmp = tempDir('reset');
    later(tmp.remove);
    const project = tmp.dir;
    later(async () => void (await killLeftovers(join(project, '.berth'))));
    let berth = await up(project);
    const old = readFileSync(join(project, '.berth', 'admin-token'), 'utf8').trim();
    const [admin] = adminIds((await run(['token', 'list'], project)).stdout);
    await berth.stop('SIGTERM');
    berth = await up(project, ['--reset-admin-token']);
    expect(berth.lines.join('\n')).toMatch(new RegExp(`reset now: new token tok_\\w+; revoked ${admin!.id}`));
    expect((await run(['get', 'servers'], project)).code).toBe(0);
    const url = /(http:\/\/\S+)/.exec(berth.lines.find((l) => /^\s+registry\s+http/.test(l))!)![1]!;
    const withOld = await fetch(`${url}/apis/berth.dev/v1alpha1/mcpservers`, { headers: { authorization: `Bearer ${old}` } });
    expect(withOld.status).toBe(401);
    await berth.stop('SIGTERM');
  }, 60_000);
});
