/**
 * `berth registry` with tokens a deployment generated (BERTH_BOOTSTRAP_ADMIN_TOKEN /
 * BERTH_BOOTSTRAP_GATEWAY_TOKEN, what infra/'s registry task receives from Secrets Manager):
 * the first start on an empty store stores them (hashes only) and writes no token file; a later
 * start ignores whatever the variables say; a malformed one is refused without being echoed.
 * Real processes, a real SQLite file, real HTTP.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, spawnBerth, tempDir } from './cli-services-harness.ts';

const { track, later } = cleanupAfterEach();
const ADMIN = 'berth_tok_bootstrapadm_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v';
const GATEWAY = 'berth_tok_bootstrapgwy_' + 'Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2H1g0F9e';
const OTHER_ADMIN = 'berth_tok_otheradmin00_' + 'x'.repeat(43);

async function start(dir: string, env: Record<string, string>) {
  const p = track(spawnBerth(['registry', '--port', '0', '--state-dir', join(dir, 'state'), '--log-level', 'info'], { env: { BERTH_LOG_FORMAT: 'json', ...env } }));
  const line = await p.waitForLine(/^registry listening on http/);
  return Object.assign(p, { url: /(http:\/\/\S+)/.exec(line)![1]! });
}

const listTokens = (url: string, token: string) => fetch(`${url}/apis/berth.dev/v1alpha1/tokens`, { headers: { authorization: `Bearer ${token}` } });

describe('berth registry: bootstrap tokens given by the deployment', () => {
  it('stores the given admin and gateway tokens on the first start, writes no file, and ignores new ones later', async () => {
    const { dir, remove } = tempDir('berth-bootstrap-');
    later(remove);
    const first = await start(dir, { BERTH_BOOTSTRAP_ADMIN_TOKEN: ADMIN, BERTH_BOOTSTRAP_GATEWAY_TOKEN: GATEWAY });
    expect(existsSync(join(dir, 'state', 'admin-token'))).toBe(false);
    const res = await listTokens(first.url, ADMIN);
    expect(res.status).toBe(200);
    const body = JSON.stringify(await res.json());
    expect(body).toContain('tok_bootstrapadm');
    expect(body).toContain('tok_bootstrapgwy');
    expect(body).not.toContain(ADMIN.slice(-43)); // only hashes are kept
    expect((await listTokens(first.url, GATEWAY)).status).toBe(403); // authenticated as a gateway, which may not list tokens
    expect((await listTokens(first.url, ADMIN.slice(0, -1) + 'z')).status).toBe(401);
    const logs = first.lines.join('\n') + first.stderr();
    expect(logs).toContain('stored the bootstrap admin token the deployment gave');
    expect(logs).not.toContain(ADMIN.slice(-43));
    await first.stop();

    const second = await start(dir, { BERTH_BOOTSTRAP_ADMIN_TOKEN: OTHER_ADMIN });
    expect((await listTokens(second.url, ADMIN)).status).toBe(200);
    expect((await listTokens(second.url, OTHER_ADMIN)).status).toBe(401); // the store held tokens: nothing new was taken
    await second.stop();
  });

  it('refuses a malformed token, naming the variable and never printing its value', async () => {
    const { dir, remove } = tempDir('berth-bootstrap-');
    later(remove);
    const secretish = 'not-a-token-but-secret-9f8e7d';
    const p = track(spawnBerth(['registry', '--port', '0', '--state-dir', join(dir, 'state')], { env: { BERTH_BOOTSTRAP_ADMIN_TOKEN: secretish } }));
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr()).toContain('BERTH_BOOTSTRAP_ADMIN_TOKEN is not a Berth token');
    expect(p.stderr() + p.lines.join('\n')).not.toContain(secretish);
    const q = track(spawnBerth(['registry', '--port', '0', '--state-dir', join(dir, 'state')], { env: { BERTH_BOOTSTRAP_GATEWAY_TOKEN: GATEWAY } }));
    expect((await q.exited).code).toBe(2);
    expect(q.stderr()).toContain('without BERTH_BOOTSTRAP_ADMIN_TOKEN');
  });
});
