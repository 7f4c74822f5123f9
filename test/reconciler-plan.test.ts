/**
 * `berth plan` end to end: the real command through bin's `main`, against a real
 * registry HTTP server over a real SQLite store, observing through the real local
 * and remote providers. It must explain every decision and write nothing.
 */
import { PassThrough } from 'node:stream';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli/bin.ts';
import type { CommandIo } from '../src/cli/command.ts';
import { systemClock } from '../src/kit/clock.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { createLocalProvider } from '../src/providers/local/index.ts';
import { createRemoteProvider } from '../src/providers/remote/index.ts';
import { createReconciler } from '../src/reconciler/reconcile.ts';
import { startRegistryServer } from '../src/registry/server.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';
import { openRegistry, serverManifest, tempDir, testLogger, waitFor } from './fixtures/reconciler/helpers.ts';
import { approveInStore } from './support/approvals.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: CommandIo = { stdin: new PassThrough(), stdout, stderr, env: { PATH: process.env['PATH'] }, cwd, signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('berth plan', () => {
  it('prints each server’s decision with reasons and actions, as text and JSON, and writes nothing', async () => {
    const tmp = tempDir('plan');
    cleanups.push(tmp.remove);
    const stateDir = join(tmp.dir, '.berth');
    mkdirSync(stateDir);
    const { store, close } = await openRegistry(tmp.dir);
    cleanups.push(close);
    const registry = await startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir, logger: testLogger() });
    cleanups.push(() => registry.close());

    await store.create(serverManifest('alpha'));
    await store.create(serverManifest('beta', { lifecycle: 'draft' }));
    await store.create(serverManifest('delta', { environment: 'production' }));
    await store.create(serverManifest('gamma', { runtime: undefined, remote: { url: 'http://127.0.0.1:9/mcp', transport: 'streamable-http' } }));
    for (const name of ['alpha', 'delta', 'gamma']) await approveInStore(store, name);
    // Requested by its team, approved by nobody.
    await store.create(serverManifest('omega'));
    const versionBefore = await store.currentVersion();

    const text = await run(['plan', '--server', registry.url], tmp.dir);
    if (process.env['BERTH_TEST_LOG']) console.log(text.out);
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out).toContain('MCPServer/alpha (generation 1): deploy with local');
    expect(text.out).toContain("why: lifecycle stage 'approved-dev' allows deployment to dev; runtime 'local' handles it");
    expect(text.out).toContain('+ start process alpha [local]: not running');
    expect(text.out).toContain('MCPServer/beta (generation 1): not deployed');
    expect(text.out).toContain("why: lifecycle stage 'draft' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it");
    expect(text.out).toContain("why: lifecycle stage 'approved-dev' is not deployed to production; request approved-production and ask an approver to approve it");
    expect(text.out).toMatch(/MCPServer\/omega \(generation 1\): not deployed\n {2}why: requested approved-dev, effective security-review: no approval of spec [0-9a-f]{8} for approved-dev; ask an approver: berth approve server omega --stage approved-dev/);
    expect(text.out).toContain('MCPServer/gamma (generation 1): deploy with remote');
    expect(text.out).toContain('+ track remote gamma [remote]: ');
    expect(text.out).toContain('nothing to remove: no runtime holds anything for it');
    expect(text.out).toMatch(/Plan: 2 of 5 server\(s\) to change, 0 skipped\./);

    const json = await run(['plan', '-s', registry.url, '-o', 'json', '--environment', 'dev', '--detailed-exitcode'], tmp.dir);
    expect(json.code).toBe(2); // changes pending, as terraform plan -detailed-exitcode
    const report = JSON.parse(json.out) as { environment: string; changes: number; servers: Array<{ name: string; decision: { kind: string; cause?: string; provider?: string; reason: string }; actions: Array<{ provider: string; op: string }> }> };
    expect(report.environment).toBe('dev');
    const byName = Object.fromEntries(report.servers.map((s) => [s.name, s]));
    expect(byName['alpha']?.decision).toMatchObject({ kind: 'deploy', provider: 'local' });
    expect(byName['alpha']?.actions).toEqual([expect.objectContaining({ provider: 'local', op: 'start' })]);
    expect(byName['beta']?.decision).toMatchObject({ kind: 'retire', cause: 'not-deployed' });
    expect(byName['beta']?.actions).toEqual([]);
    expect(byName['delta']?.decision).toMatchObject({ kind: 'skip', cause: 'other-environment' });
    expect(byName['gamma']?.decision).toMatchObject({ kind: 'deploy', provider: 'remote' });
    expect(byName['omega']?.decision).toMatchObject({ kind: 'retire', cause: 'not-deployed' });
    expect(report.changes).toBe(2);
    expect(byName['alpha']).toMatchObject({ result: 'changes' });
    expect(byName['delta']).toMatchObject({ result: 'no-changes' });

    // Nothing was written to the registry and nothing was started.
    expect(await store.currentVersion()).toBe(versionBefore);
    const local = createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath });
    expect(await local.listManaged()).toEqual([]);
    await local.close();
  }, 30_000);

  it('a converged local system (a reconciler in another process runs it) plans "no changes" and exits 0 with --detailed-exitcode; a spec change exits 2', async () => {
    const tmp = tempDir('plan-converged');
    cleanups.push(tmp.remove);
    const stateDir = join(tmp.dir, '.berth');
    mkdirSync(stateDir);
    const { store, registry: client, close } = await openRegistry(tmp.dir);
    cleanups.push(close);
    const registry = await startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir, logger: testLogger() });
    cleanups.push(() => registry.close());
    // The reconciler that converged the system, set up as `berth plan` sets up its own providers.
    const env = { PATH: process.env['PATH'] };
    // Unsandboxed on both sides (this test is about plan, not the sandbox; sandbox.test.ts covers that).
    const local = createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: env, defaultCwd: tmp.dir, sandbox: 'off' });
    const remote = createRemoteProvider({ logger: testLogger(), remoteAddresses: LOOPBACK_REMOTES });
    cleanups.push(() => local.close(), () => remote.close());
    const reconciler = createReconciler({ registry: client, providers: [local, remote], logger: testLogger(), clock: systemClock });
    const ready = async (name: string): Promise<MCPServer> =>
      waitFor(`${name} Ready`, async () => {
        await reconciler.reconcile(name);
        const s = (await store.get('MCPServer', name)) as MCPServer | undefined;
        return s?.status?.phase === 'Ready' ? s : undefined;
      });

    await store.create(serverManifest('alpha'));
    await approveInStore(store, 'alpha');
    await store.create(serverManifest('beta', { lifecycle: 'draft' }));
    const alpha = await ready('alpha');
    await store.create(serverManifest('gamma', { runtime: undefined, remote: { url: alpha.status!.endpoint!, transport: 'streamable-http' } }));
    await approveInStore(store, 'gamma');
    await ready('gamma');
    await reconciler.reconcile('beta');

    const plan = await run(['plan', '--server', registry.url, '--state-dir', stateDir, '--sandbox', 'off', '--detailed-exitcode'], tmp.dir);
    if (process.env['BERTH_TEST_LOG']) console.log(plan.out);
    expect(plan.err).not.toMatch(/"level":50|error/i); // only the warning that --sandbox off was asked for
    expect(plan.out).toMatch(/MCPServer\/alpha \(generation 1\): deploy with local\n {2}why: [^\n]*\n {2}no changes: the runtime already matches; a reconciler that starts now only resumes watching it\n {2}= adopt process alpha \[local\]/);
    expect(plan.out).toMatch(/MCPServer\/gamma \(generation 1\): deploy with remote\n {2}why: [^\n]*\n {2}no changes: [^\n]*\n {2}= track remote gamma \[remote\]/);
    expect(plan.out).toContain('Plan: 0 of 3 server(s) to change, 0 skipped.');
    expect(plan.code).toBe(0);

    // A spec change is a change: exit 2.
    const cur = (await store.get('MCPServer', 'alpha')) as MCPServer;
    await store.update({ ...cur, spec: { ...cur.spec, runtime: { ...cur.spec.runtime!, local: { ...cur.spec.runtime!.local!, env: { GREETING: 'changed' } } } } });
    await approveInStore(store, 'alpha'); // the env is part of what runs: approved again
    const changed = await run(['plan', '--server', registry.url, '--state-dir', stateDir, '--sandbox', 'off', '--detailed-exitcode', '-o', 'json'], tmp.dir);
    expect(changed.code).toBe(2);
    const report = JSON.parse(changed.out) as { changes: number; servers: Array<{ name: string; result: string }> };
    expect(report.changes).toBe(1);
    expect(report.servers.find((s) => s.name === 'alpha')?.result).toBe('changes');
    expect(report.servers.find((s) => s.name === 'gamma')?.result).toBe('no-changes');
  }, 30_000);

  it('a server that can\'t be planned gets its own error line, the others are still planned, and the exit code is 1', async () => {
    const tmp = tempDir('plan-errors');
    cleanups.push(tmp.remove);
    const stateDir = join(tmp.dir, '.berth');
    mkdirSync(stateDir);
    // The local runtime's state file is unreadable: every local server fails to observe; remote ones don't care.
    writeFileSync(join(stateDir, 'local-runtime.json'), '{ not json');
    const { store, close } = await openRegistry(tmp.dir);
    cleanups.push(close);
    const registry = await startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir, logger: testLogger() });
    cleanups.push(() => registry.close());
    await store.create(serverManifest('alpha'));
    await store.create(serverManifest('gamma', { runtime: undefined, remote: { url: 'http://127.0.0.1:9/mcp', transport: 'streamable-http' } }));
    for (const name of ['alpha', 'gamma']) await approveInStore(store, name);

    for (const flags of [[], ['--detailed-exitcode']]) {
      const r = await run(['plan', '--server', registry.url, ...flags], tmp.dir);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/MCPServer\/alpha \(generation 1\): deploy with local\n {2}why: [^\n]*\n {2}! can't be planned: observing it through the local runtime: .*local-runtime\.json is not a local runtime state file/);
      expect(r.out).toContain('+ track remote gamma [remote]: start health-checking http://127.0.0.1:9/mcp');
      expect(r.out).toMatch(/! can't list what the local runtime holds \(orphans may be missing from this plan\): /);
      expect(r.out).toContain("Plan: 1 of 2 server(s) to change, 0 skipped, 2 can't be planned.");
    }
    const json = await run(['plan', '--server', registry.url, '-o', 'json'], tmp.dir);
    const report = JSON.parse(json.out) as { errors: number; servers: Array<{ name: string; result: string; error?: string }>; listingErrors: string[] };
    expect(report.servers.map((s) => [s.name, s.result])).toEqual([['alpha', 'error'], ['gamma', 'changes']]);
    expect(report.servers[0]?.error).toMatch(/not a local runtime state file/);
    expect(report.listingErrors).toHaveLength(1);
  }, 30_000);

  it('says so when the registry is unreachable, and rejects bad flags with usage', async () => {
    const tmp = tempDir('plan-bad');
    cleanups.push(tmp.remove);
    const unreachable = await run(['plan', '--server', 'http://127.0.0.1:9'], tmp.dir);
    expect(unreachable.code).toBe(3);
    expect(unreachable.err).toMatch(/^berth plan: /);
    const bad = await run(['plan', '-o', 'yaml'], tmp.dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('-o must be text or json (got "yaml")');
  }, 30_000);
});
