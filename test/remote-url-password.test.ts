/**
 * A password in a remote server's URL (issue 14, item 5): the registry refuses
 * such a manifest (secret lint), and one that got into the store anyway (written
 * before the lint, or straight to the database) never has its password copied
 * into status or the reconciler's log. Runs `berth reconciler` as a process with
 * its log in a real file, against a real registry, then greps both.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MCPServer } from '../src/manifest/types.ts';
import { runHttpServer } from './fixtures/mcp-servers/harness.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';
import { waitFor } from './support/wait.ts';
import { approveInStore } from './support/approvals.ts';

const PASSWORD = 'pw-hunter2-9f3k';
const BIN = join(import.meta.dirname, '..', 'src', 'cli', 'bin.ts');

let h: Harness;
let upstream: Awaited<ReturnType<typeof runHttpServer>>;
const dir = mkdtempSync(join(tmpdir(), 'berth-url-pw-'));

beforeAll(async () => {
  h = await startHarness({ remoteAddresses: { allow: ['127.0.0.1'] } });
  upstream = await runHttpServer({});
}, 30_000);

afterAll(async () => {
  await upstream?.stop();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function withPasswordUrl(): MCPServer {
  const base = serverManifest('crm');
  const u = new URL(upstream.url);
  return { ...base, spec: { ...base.spec, remote: { url: `http://bot:${PASSWORD}@127.0.0.1:${u.port}${u.pathname}`, transport: 'streamable-http' } } };
}

describe('a password in spec.remote.url', () => {
  it('is refused by the registry, naming the field and not the password', async () => {
    const res = await fetch(`${h.url}/apis/berth.dev/v1alpha1/mcpservers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(withPasswordUrl()),
    });
    const body = await res.text();
    expect(res.status).toBe(422);
    expect(body).toContain('spec.remote.url');
    expect(body).toContain('a URL with a password in it');
    expect(body).not.toContain(PASSWORD);
  });

  it('already stored: never reaches status or the reconciler log file', async () => {
    await h.store.create(withPasswordUrl() as never);
    await approveInStore(h.store, (withPasswordUrl() as { metadata: { name: string } }).metadata.name);
    const logFile = join(dir, 'reconciler.log');
    const fd = openSync(logFile, 'w');
    const child = spawn(
      process.execPath,
      [BIN, 'reconciler', '--server', h.url, '--token', h.adminToken, '--state-dir', join(dir, 'state'), '--allow-remote', '127.0.0.1', '--resync', '1s', '--log-level', 'trace'],
      { stdio: ['ignore', fd, fd] },
    );
    try {
      const status = await waitFor(
        'status with a health check of crm',
        async () => {
          const s = (await h.store.get('MCPServer', 'crm')) as MCPServer | undefined;
          return s?.status?.conditions?.some((c) => c.type === 'Ready') && s.status.health ? s.status : undefined;
        },
        20_000,
        100,
      );
      const shown = JSON.stringify(status);
      expect(shown).toContain(`127.0.0.1:${new URL(upstream.url).port}`); // the URL is there, without its userinfo
      expect(shown).not.toContain(PASSWORD);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      closeSync(fd);
    }
    const log = readFileSync(logFile, 'utf8');
    expect(log.split('\n').length).toBeGreaterThan(3); // it did log: trace level, a tracked server, status writes
    expect(log).toContain(`start health-checking http://127.0.0.1:${new URL(upstream.url).port}`); // the URL was logged, cut
    expect(log).not.toContain(PASSWORD);
  }, 40_000);
});
