/**
 * The issue-14 exploit replayed against a real `berth up`: a manifest whose
 * command is /bin/sh tries to read Berth's /proc/<pid>/environ (cloud keys,
 * tokens), the admin token and the database in the state folder. Under the
 * sandbox every attempt fails, and the examples still become Ready. And with a
 * publisher token alone, the same manifest never starts: its request for
 * approved-dev is not an approval.
 * Skipped, saying why, where bwrap cannot create namespaces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSandbox } from '../src/providers/local/sandbox.ts';
import { execFile } from 'node:child_process';
import { BIN, NODE, REPO, berth, getServer, killLeftovers, listServers, isReady, startBerthUp, tempDir, waitFor, type BerthUp } from './e2e-harness.ts';

const probe = detectSandbox('auto', { nodePath: process.execPath });
if (probe.kind === 'off') console.warn(`berth up sandbox test skipped: ${probe.reason}`);

const SECRETS = { AWS_SECRET_ACCESS_KEY: 'aws-secret-of-berth-e2e', BERTH_TOKEN: 'berth-token-of-berth-e2e' };

/** /bin/sh as a "server": reports READ or DENIED per target, then idles. $1: Berth's pid, $2: the state folder. */
const SCRIPT = [
  'for f in /proc/$1/environ $2/admin-token $2/registry.db $2/agent-key; do',
  '  if cat "$f" > /tmp/loot 2>/dev/null; then echo "READ $f"; cat /tmp/loot; echo; else echo "DENIED $f"; fi',
  'done',
  'echo "PIDS $(ls /proc | grep -c "^[0-9]")"',
  'echo "UID $(id -u)"',
  'echo DONE',
  'exec sleep 600',
].join('\n');

function shellManifest(name: string, berthPid: number, stateDir: string): string {
  return [
    'apiVersion: berth.dev/v1alpha1',
    'kind: MCPServer',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  owner:',
    '    team: platform',
    '  environment: dev',
    '  lifecycle: approved-dev',
    '  risk: low',
    '  dataClassification: internal',
    '  runtime:',
    '    image: ghcr.io/acme/shell:1.0.0',
    '    transport: streamable-http',
    '    port: 8080',
    '    local:',
    '      command: /bin/sh',
    `      args: [-c, ${JSON.stringify(SCRIPT)}, sh, "${berthPid}", ${JSON.stringify(stateDir)}]`,
    '  routing:',
    `    path: /mcp/${name}`,
    '',
  ].join('\n');
}

describe.skipIf(probe.kind === 'off')('berth up with the sandbox (real processes)', () => {
  const tmp = tempDir('sandbox');
  const stateDir = join(tmp.dir, 'state');
  let up: BerthUp;

  beforeAll(async () => {
    up = await startBerthUp({ stateDir, env: SECRETS });
  });

  afterAll(async () => {
    await up?.stop();
    await killLeftovers(stateDir);
    tmp.remove();
  });

  it('says what the sandbox isolates, and the examples become Ready in it', async () => {
    expect(up.lines.find((l) => /^\s+sandbox\s/.test(l))).toMatch(/sandbox\s+bwrap: .*PID namespace.*NOT isolated: the network/);
    const servers = await waitFor('every example Ready', async () => {
      const all = await listServers(up);
      return all.length >= 4 && all.every(isReady) ? all : undefined;
    }, 30_000);
    console.log(`examples Ready under the sandbox: ${servers.map((s) => s.metadata.name).join(', ')}`);
  });

  it('a /bin/sh server cannot read Berth\'s environ, the admin token, the database or the agent key', async () => {
    const file = join(tmp.dir, 'shell.yaml');
    writeFileSync(file, shellManifest('shell-probe', up.child.pid!, stateDir));
    expect((await berth(up, ['apply', '-f', file])).code).toBe(0);
    // Approved (the admin acting as approver): the sandbox, not the approval, is what this test is about.
    expect((await berth(up, ['approve', 'server', 'shell-probe', '--stage', 'approved-dev'])).code).toBe(0);
    const log = join(stateDir, 'logs', 'shell-probe.stdout.log');
    const report = await waitFor('the shell\'s report', () => {
      try {
        const text = readFileSync(log, 'utf8');
        return text.includes('DONE') ? text : undefined;
      } catch {
        return undefined;
      }
    }, 20_000);
    console.log(`/bin/sh server under berth up reported:\n${report.trim()}`);
    expect(report).not.toMatch(/^READ /m);
    for (const target of [`/proc/${up.child.pid}/environ`, `${stateDir}/admin-token`, `${stateDir}/registry.db`, `${stateDir}/agent-key`]) {
      expect(report).toContain(`DENIED ${target}`);
    }
    for (const secret of [...Object.values(SECRETS), up.token]) expect(report).not.toContain(secret);
    expect(report).toMatch(/^UID 65534$/m);
    // Its own PID namespace: bwrap's init, sh, and the pipeline that counted (the machine has hundreds).
    expect(Number(/^PIDS (\d+)$/m.exec(report)?.[1])).toBeLessThanOrEqual(6);
  });

  it('a publisher token alone never runs a command: its /bin/sh manifest asking for approved-dev stays unapproved and starts nothing', async () => {
    const minted = await berth(up, ['token', 'create', '--role', 'publisher', '--team', 'platform']);
    expect(minted.code).toBe(0);
    const publisher = { registryUrl: up.registryUrl, token: minted.stdout.trim() };
    const file = join(tmp.dir, 'publisher-shell.yaml');
    writeFileSync(file, shellManifest('publisher-shell', up.child.pid!, stateDir));
    expect((await berth(publisher, ['apply', '-f', file])).code).toBe(0);
    // The publisher cannot approve its own request either.
    const self = await berth(publisher, ['approve', 'server', 'publisher-shell', '--stage', 'approved-dev']);
    expect(self.code).not.toBe(0);
    const unapproved = await waitFor('the reconciler to report the missing approval', async () => {
      const s = await getServer(up, 'publisher-shell');
      const c = s?.status?.conditions?.find((x) => x.reason === 'ApprovalMissing');
      return c !== undefined ? c : undefined;
    }, 20_000);
    expect(unapproved.message).toContain('berth approve server publisher-shell');
    // Two seconds later, still nothing: no output file, and no process in the local runtime's record of what it started.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(() => readFileSync(join(stateDir, 'logs', 'publisher-shell.stdout.log'), 'utf8')).toThrow();
    // The record names every server the runtime started (the examples' quote among them), and not this one.
    const record = await waitFor('the runtime to record the examples', () => {
      const text = readFileSync(join(stateDir, 'local-runtime.json'), 'utf8');
      return text.includes('"quote"') ? text : undefined;
    }, 20_000);
    expect(record).not.toContain('publisher-shell');
  });
});

describe('berth up --sandbox off', () => {
  it('says loudly, in its output and on stderr, that servers run unsandboxed and why', async () => {
    const tmp = tempDir('sandbox-off');
    const stateDir = join(tmp.dir, 'state');
    const up = await startBerthUp({ stateDir, examples: false, extraArgs: ['--sandbox', 'off'] });
    try {
      const expected = "WARNING: local servers run UNSANDBOXED (--sandbox off was given): each can read everything Berth's user can";
      expect(up.lines.find((l) => /^\s+sandbox\s/.test(l))).toContain(expected);
      await waitFor('the warning on stderr', () => up.stderr().includes(`berth up: ${expected}`));
    } finally {
      await up.stop();
      await killLeftovers(stateDir);
      tmp.remove();
    }
  });

  it('refuses an unknown mode as a usage error', async () => {
    const tmp = tempDir('sandbox-bad');
    try {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(NODE, [BIN, 'up', '--state-dir', join(tmp.dir, 's'), '--sandbox', 'maybe'], { cwd: REPO, timeout: 20_000 }, (err, _out, stderr) =>
          resolve({ code: typeof (err as { code?: unknown } | null)?.code === 'number' ? (err as { code: number }).code : err ? 1 : 0, stderr }),
        ),
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--sandbox must be one of auto, bwrap, off (got "maybe")');
    } finally {
      tmp.remove();
    }
  });
});
