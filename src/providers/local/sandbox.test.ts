import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalProvider, type LocalProvider } from './index.ts';
import { detectSandbox, installRoot, sandboxArgs, type SandboxMode } from './sandbox.ts';
import { HOSTILE, STDIO_SERVER, callText, connectClient, desiredServer, pidsWithTag, providerTestScope, tempDir, testLogger, waitFor, waitReady } from '../../../test/fixtures/mcp-servers/harness.ts';

const scope = providerTestScope(afterEach);
const probe = detectSandbox('auto', { nodePath: process.execPath });
if (probe.kind === 'off') console.warn(`sandbox tests skipped: ${probe.reason}`);

function provider(stateDir: string, sandbox: SandboxMode): LocalProvider {
  return scope.track(createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, stopGraceMs: 2000, sandbox }));
}

type Report = Record<'berthEnviron' | 'adminToken' | 'stateDirListing' | 'otherServerFile' | 'ownDirWrite' | 'tmpWrite', string> & { visiblePids: number; uid: number };

/**
 * The issue-14 exploit as a server: Berth (this test process) holds the state
 * folder with an admin token; a server with a cwd of its own and one whose cwd
 * holds the state folder (as `berth up`'s ./.berth does) try to read it, Berth's
 * /proc/<pid>/environ and another server's folder. Returns what each reported.
 */
async function runHostile(sandbox: SandboxMode): Promise<{ own: Report; parent: Report; p: LocalProvider }> {
  const root = tempDir('berth-sandbox-test-');
  const stateDir = join(root, 'state');
  const own = join(root, 'a');
  const other = join(root, 'b');
  for (const d of [stateDir, own, other]) mkdirSync(d);
  writeFileSync(join(stateDir, 'admin-token'), 'ADMIN-TOKEN-OF-BERTH\n', { mode: 0o600 });
  writeFileSync(join(other, 'secret.txt'), 'OTHER-SERVER-SECRET\n');
  // A server's code lives in its working directory: the sandbox shows nothing else of the machine's folders.
  copyFileSync(HOSTILE, join(own, 'hostile.ts'));
  const p = provider(stateDir, sandbox);
  // The tag (an argument the script ignores) lets the scope kill these servers afterwards: closing a provider leaves its processes running for adoption.
  const args = [join(own, 'hostile.ts'), String(process.pid), stateDir, other, scope.tag(`hostile-${sandbox}`)];
  const servers = [
    desiredServer('hostile-own', { transport: 'streamable-http', healthCheck: { path: '/healthz' }, local: { command: 'node', args, cwd: own } }),
    desiredServer('hostile-parent', { transport: 'streamable-http', healthCheck: { path: '/healthz' }, local: { command: 'node', args, cwd: root } }),
  ];
  for (const d of servers) await p.apply(p.plan(d, await p.observe(d.name)));
  for (const d of servers) await waitReady(p, d, 20_000);
  const reportOf = (name: string) =>
    waitFor(`${name}'s report`, () => {
      let text = '';
      try {
        text = readFileSync(join(stateDir, 'logs', `${name}.stdout.log`), 'utf8');
      } catch {
        return undefined;
      }
      const line = text.split('\n').find((l) => l.startsWith('HOSTILE-REPORT '));
      return line ? (JSON.parse(line.slice('HOSTILE-REPORT '.length)) as Report) : undefined;
    });
  return { own: await reportOf('hostile-own'), parent: await reportOf('hostile-parent'), p };
}

describe.skipIf(probe.kind === 'off')('local sandbox (bwrap)', () => {
  it('a hostile server cannot read Berth\'s environ, the admin token, the state folder or another server\'s folder', async () => {
    const { own, parent, p } = await runHostile('bwrap');
    console.log(`sandboxed hostile server reported: ${JSON.stringify(own)}`);
    for (const r of [own, parent]) {
      expect(r.berthEnviron).not.toMatch(/^ok:/);
      expect(r.adminToken).not.toMatch(/^ok:/);
      expect(r.stateDirListing === 'ok:' || !r.stateDirListing.startsWith('ok:')).toBe(true); // covered by an empty tmpfs, or absent
      expect(r.ownDirWrite).toBe('EROFS');
      expect(r.tmpWrite).toBe('ok:written');
      expect(r.uid).toBe(65534);
      // Its own PID namespace: bwrap's init and the server itself, nothing of the machine.
      expect(r.visiblePids).toBeLessThanOrEqual(3);
    }
    expect(own.otherServerFile).toBe('ENOENT');
    expect(own.stateDirListing).toBe('ENOENT');
    expect(parent.stateDirListing).toBe('ok:'); // its cwd holds the state folder: shown empty
    // Ready all the same: the network is shared, the port Berth chose is served.
    const o = await p.observe('hostile-own');
    expect(o.summary?.sandbox).toBe('bwrap');
  }, 30_000);

  it('the same server unsandboxed reads all of it (so the test above would see a leak)', async () => {
    const { own, parent } = await runHostile('off');
    expect(own.berthEnviron).toMatch(/^ok:\w+=/);
    expect(own.adminToken).toBe('ok:ADMIN-TOKEN-OF-BERTH\n');
    expect(own.otherServerFile).toBe('ok:OTHER-SERVER-SECRET\n');
    expect(parent.adminToken).toBe('ok:ADMIN-TOKEN-OF-BERTH\n');
    expect(own.visiblePids).toBeGreaterThan(3);
  }, 30_000);

  it('a stdio server runs behind the bridge inside the sandbox: Ready, tools answer, and retiring leaves no process', async () => {
    const tag = scope.tag('sandbox-stdio');
    const p = provider(tempDir(), 'bwrap');
    const d = desiredServer('stdio-boxed', { transport: 'stdio', local: { command: 'node', args: [STDIO_SERVER, tag] } });
    await p.apply(p.plan(d, await p.observe(d.name)));
    const ready = await waitReady(p, d, 20_000);
    const { client } = await connectClient(ready.endpoint!);
    expect(await callText(client, 'echo', { text: 'inside' })).toBe('inside');
    expect(await callText(client, 'getEnv', { name: 'HOME' })).toBe('/tmp');
    await client.close();
    await p.apply(p.plan(undefined, await p.observe(d.name)));
    await waitFor('no process left', () => pidsWithTag(tag).length === 0);
  }, 30_000);

  it('a sandboxed server restarts when the sandbox is turned off, saying why', async () => {
    const stateDir = tempDir();
    const root = tempDir();
    copyFileSync(HOSTILE, join(root, 'hostile.ts'));
    const d = desiredServer('flip', { transport: 'streamable-http', healthCheck: { path: '/healthz' }, local: { command: 'node', args: ['hostile.ts', '1', stateDir, root, scope.tag('flip')], cwd: root } });
    const a = provider(stateDir, 'bwrap');
    await a.apply(a.plan(d, await a.observe(d.name)));
    await waitReady(a, d, 20_000);
    await a.release();
    const b = provider(stateDir, 'off');
    const plan = b.plan(d, await b.observe(d.name));
    expect(plan.actions.map((x) => x.op)).toEqual(['restart']);
    expect(plan.actions[0]?.reason).toMatch(/^sandbox changed from bwrap to off; /);
  }, 30_000);
});

describe('sandbox choice', () => {
  it('--sandbox bwrap refuses to start where bwrap is missing, saying how to fix it; auto runs unsandboxed and says why', () => {
    const noBwrap = { nodePath: process.execPath, searchPath: tempDir() };
    expect(() => detectSandbox('bwrap', noBwrap)).toThrow(/--sandbox bwrap: bwrap \(bubblewrap\) is not installed; install it with `apt-get install bubblewrap`/);
    expect(detectSandbox('auto', noBwrap)).toEqual({ kind: 'off', reason: expect.stringContaining('not installed') });
    expect(detectSandbox('off', noBwrap)).toEqual({ kind: 'off', reason: '--sandbox off was given' });
  }, 30_000);
});

describe('sandboxArgs (what a sandbox shows)', () => {
  /** The [flag, source, dest] mounts in order, and where each tmpfs goes. */
  const mounts = (args: string[]) => {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--ro-bind' || args[i] === '--symlink') {
        out.push(`${args[i]} ${args[i + 2]}`);
        i += 2;
      } else if (args[i] === '--tmpfs') {
        out.push(`--tmpfs ${args[i + 1]}`);
        i += 1;
      }
    }
    return out;
  };

  it('a state folder inside the working directory is covered after every bind; one apart from all binds is not mounted at all', () => {
    const root = tempDir();
    const state = join(root, '.berth');
    mkdirSync(state);
    const m = mounts(sandboxArgs({ cwd: root, readOnly: [], hidden: [state] }));
    expect(m).toContain(`--ro-bind ${root}`);
    expect(m.at(-1)).toBe(`--tmpfs ${state}`);
    expect(m.indexOf(`--tmpfs ${state}`)).toBeGreaterThan(m.indexOf(`--ro-bind ${root}`));
    const apart = tempDir();
    expect(mounts(sandboxArgs({ cwd: apart, readOnly: [], hidden: [state] }))).not.toContain(`--tmpfs ${state}`);
  });

  it('a working directory inside the state folder (cwd: .berth/logs) is covered too', () => {
    const state = tempDir();
    const logs = join(state, 'logs');
    mkdirSync(logs);
    const m = mounts(sandboxArgs({ cwd: logs, readOnly: [], hidden: [state] }));
    expect(m.at(-1)).toBe(`--tmpfs ${state}`);
  });

  it('a database file kept inside the working directory is covered with /dev/null', () => {
    const root = tempDir();
    const db = join(root, 'registry.db');
    writeFileSync(db, 'x');
    const args = sandboxArgs({ cwd: root, readOnly: [], hidden: [db, `${db}-wal`] });
    expect(args.slice(-5, -2)).toEqual(['--ro-bind', '/dev/null', db]);
    expect(args).not.toContain(`${db}-wal`); // absent files need no cover
  });

  it('never binds the root folder, and binds a folder once even when named inside another', () => {
    const root = tempDir();
    mkdirSync(join(root, 'sub'));
    const args = sandboxArgs({ cwd: '/', readOnly: [root, join(root, 'sub')], hidden: [] });
    expect(mounts(args)).not.toContain('--ro-bind /');
    expect(mounts(args).filter((x) => x.startsWith('--ro-bind') && x.includes(root))).toEqual([`--ro-bind ${root}`]);
  });

  it('a symlinked node_modules is bound at its real place too, so it resolves inside', () => {
    const real = tempDir();
    const app = tempDir();
    symlinkSync(real, join(app, 'node_modules'));
    expect(mounts(sandboxArgs({ cwd: app, readOnly: [], hidden: [] }))).toEqual(expect.arrayContaining([`--ro-bind ${app}`, `--ro-bind ${real}`]));
  });

  it('installRoot: the folder above bin/ or shims/, else the program\'s own folder', () => {
    const root = tempDir();
    for (const d of ['venv/bin', '.pyenv/shims', 'tools']) mkdirSync(join(root, d), { recursive: true });
    for (const f of ['venv/bin/python', '.pyenv/shims/python3', 'tools/run.sh']) writeFileSync(join(root, f), '');
    expect(installRoot(join(root, 'venv/bin/python'))).toBe(join(root, 'venv'));
    expect(installRoot(join(root, '.pyenv/shims/python3'))).toBe(join(root, '.pyenv'));
    expect(installRoot(join(root, 'tools/run.sh'))).toBe(join(root, 'tools'));
    // Never a home folder: ~/bin/tool binds ~/bin only.
    mkdirSync(join(root, 'home/bin'), { recursive: true });
    writeFileSync(join(root, 'home/bin/tool'), '');
    expect(installRoot(join(root, 'home/bin/tool'), [join(root, 'home')])).toBe(join(root, 'home/bin'));
    expect(installRoot('/root/bin/tool')).toBe('/root/bin');
  });
});
