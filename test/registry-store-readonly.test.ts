/**
 * A read-only database, for real: `berth registry` (the real binary) runs as the
 * unprivileged user `nobody` over a registry.db owned by root with mode 0644
 * (needs root to set up, else skipped with a message). Writes are 503 problems
 * naming the cause and the remedy, /readyz says not ready with the reason, reads
 * keep working, nothing is written (no audit record either); once the file is
 * writable by the registry's user and it is restarted, writes and readiness come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, NODE, REPO } from './cli-services-harness.ts';

const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('read-only store test SKIPPED: it needs root to run the registry as another user over a root-owned file');
else console.log('read-only store test: registry runs as nobody (setpriv) over a root-owned 0644 registry.db');

const BASE = '/apis/berth.dev/v1alpha1';
const POLICY = { apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'p' }, spec: { subjects: [{ agent: 'a' }], allow: ['x.read'] } };

/** Starts `berth registry` (as `nobody` when asked) and resolves with its URL once it listens. */
function startRegistry(stateDir: string, asNobody: boolean): Promise<{ child: ChildProcess; url: string }> {
  const args = [BIN, 'registry', '--state-dir', stateDir, '--port', '0'];
  const child = asNobody
    ? spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', NODE, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(NODE, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stdout!.resume();
    createInterface({ input: child.stderr! }).on('line', (line) => {
      err += `${line}\n`;
      const m = /registry listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`registry exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(!isRoot)('registry over a read-only database (real file permissions)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-readonly-'));
  const stateDir = join(dir, 'state');
  const running: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of running) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes are 503 read-only problems, /readyz says so, reads work; writable and restarted, it recovers', async () => {
    // First start as root: creates the database and the admin token.
    const first = await startRegistry(stateDir, false);
    running.push(first.child);
    await stop(first.child);
    const token = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
    const db = join(stateDir, 'registry.db');
    // The state folder (and the WAL files) belong to nobody, the database file to root, read-only for others.
    chmodSync(dir, 0o755);
    for (const f of [stateDir, join(stateDir, 'admin-token'), `${db}-wal`, `${db}-shm`]) {
      try {
        chownSync(f, NOBODY.uid, NOBODY.gid);
      } catch {
        /* the WAL files may be gone after a clean stop */
      }
    }
    chownSync(db, 0, 0);
    chmodSync(db, 0o644);

    const ro = await startRegistry(stateDir, true);
    running.push(ro.child);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${ro.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });

    const write = await call('POST', `${BASE}/accesspolicies`, POLICY);
    expect(write.status).toBe(503);
    expect(write.headers.get('content-type')).toBe('application/problem+json');
    expect(write.headers.get('retry-after')).toMatch(/^\d+$/);
    const problem = (await write.json()) as { type: string; detail: string };
    console.log(`read-only: ${problem.type}: ${problem.detail}`);
    expect(problem.type).toBe('https://berth.dev/problems/store-read-only');
    expect(problem.detail).toContain(`${db} is read-only`);
    expect(problem.detail).toMatch(/then restart the registry/);

    const ready = await fetch(`${ro.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ type: 'https://berth.dev/problems/not-ready', reason: 'read-only' });

    const list = await call('GET', `${BASE}/accesspolicies`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    const audit = await call('GET', `${BASE}/audit?action=create`);
    expect(((await audit.json()) as { items: unknown[] }).items).toEqual([]);
    await stop(ro.child);

    // Writable by the registry's user, and restarted: writes and readiness are back.
    chownSync(db, NOBODY.uid, NOBODY.gid);
    const rw = await startRegistry(stateDir, true);
    running.push(rw.child);
    expect((await fetch(`${rw.url}/readyz`)).status).toBe(200);
    const created = await fetch(`${rw.url}${BASE}/accesspolicies`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(POLICY) });
    expect(created.status).toBe(201);
    const records = await fetch(`${rw.url}${BASE}/audit?action=create`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await records.json()) as { items: { name: string }[] }).items.map((e) => e.name)).toEqual(['p']);
  });
});
