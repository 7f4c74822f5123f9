/**
 * `berth registry --store …` as an operator runs it (the real binary): an
 * unreachable MongoDB fails fast with exit 3 naming the store and the fix, a
 * scheme Berth has no adapter for is a usage error, a password in the URI is
 * never printed, and `sqlite:PATH` serves from that file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBerth, spawnBerth, tempDir } from './cli-services-harness.ts';

describe('berth registry --store', () => {
  const tmp = tempDir('store');
  afterAll(() => tmp.remove());

  it('exits 3 within seconds when MongoDB is unreachable, naming the store and the fix', async () => {
    const started = Date.now();
    const ran = await runBerth(['registry', '--store', 'mongodb://127.0.0.1:1', '--state-dir', join(tmp.dir, 'unreachable')]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ran.code, ran.stderr).toBe(3);
    expect(ran.stderr).toMatch(/^berth registry: cannot reach the MongoDB store mongodb:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(ran.stderr).toMatch(/Is the MongoDB \/ DocumentDB server running/);
    expect(ran.stderr).toMatch(/--store-ca/);
  });

  it('never prints the password of a store URI', async () => {
    const ran = await runBerth(['registry', '--store', 'mongodb://berth:hunter2-secret@127.0.0.1:1/prod?tls=true', '--state-dir', join(tmp.dir, 'password')]);
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain('mongodb://berth:***@127.0.0.1:1/prod?tls=true');
    expect(`${ran.stdout}${ran.stderr}`).not.toContain('hunter2');
  });

  it('refuses a scheme it has no adapter for with a usage error listing the accepted ones', async () => {
    const ran = await runBerth(['registry', '--store', 'redis://x']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/unsupported store scheme "redis:".*mongodb:\/\/.*mongodb\+srv:\/\/.*sqlite:PATH/);
    const fromEnv = await runBerth(['registry'], { env: { BERTH_STORE: 'postgres://u:hunter2@h/db' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/^berth registry: BERTH_STORE: postgres:\/\/u:\*\*\*@h\/db: unsupported store scheme/);
    expect(fromEnv.stderr).not.toContain('hunter2');
  });

  it('checks the CA file and the flags up front', async () => {
    const noCa = await runBerth(['registry', '--store', 'mongodb://127.0.0.1:1', '--store-ca', join(tmp.dir, 'missing.pem')]);
    expect(noCa.code).toBe(2);
    expect(noCa.stderr).toMatch(/--store-ca .*missing\.pem: cannot be read \(ENOENT\)/);
    const both = await runBerth(['registry', '--store', 'sqlite:a.db', '--db', 'b.db']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--db and --store both name the store/);
  });

  it('serves from sqlite:PATH: /readyz answers and the file is there', async () => {
    const db = join(tmp.dir, 'elsewhere', 'registry.db');
    const reg = spawnBerth(['registry', '--port', '0', '--state-dir', join(tmp.dir, 'state'), '--store', `sqlite:${db}`, '--log-level', 'warn']);
    try {
      const line = await reg.waitForLine(/^registry listening on http/);
      expect(line).toContain(`(database ${db})`);
      const url = /(http:\/\/\S+)/.exec(line)![1]!;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect(existsSync(db)).toBe(true);
    } finally {
      expect((await reg.stop()).code).toBe(143);
    }
  });
});
