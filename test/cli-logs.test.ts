/**
 * `berth logs` against a real `berth up`: a server (a shell script that prints a
 * line to each stream, then runs the HTTP test fixture) is applied; `berth logs`
 * run in a subfolder finds the state folder upward and prints the server's own
 * lines (stdout to stdout, stderr to stderr), `--tail` cuts, `--since` keeps the
 * lines written since (each line is timed), `--timestamps` shows RFC 3339 times,
 * `-f` prints a line the server writes later,
 * and a name that would walk out of logs/ or a server never started here is
 * refused with the ECS hint.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { berth, fixtureManifest, getServer, HTTP_FIXTURE, NODE, startBerthUp, tempDir, waitFor, waitReady, type BerthUp } from './e2e-harness.ts';
import { runBerth, spawnBerth } from './cli-services-harness.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('berth logs (local runtime)', () => {
  it('prints a server’s own lines from the nearest state folder, with --tail, --since and -f', async () => {
    const { dir, remove } = tempDir('logs');
    cleanups.push(remove);
    const stateDir = join(dir, '.berth');
    const up: BerthUp = await startBerthUp({ stateDir, examples: false, cwd: dir, extraArgs: ['--sandbox', 'off'] });
    cleanups.push(() => up.stop());
    const trigger = join(dir, 'say-more');
    const script = join(dir, 'talker.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho "out one"\necho "out two"\necho "err one" >&2\n(while [ ! -f ${JSON.stringify(trigger)} ]; do sleep 0.1; done; echo "out later") &\nexec ${JSON.stringify(NODE)} ${JSON.stringify(HTTP_FIXTURE)}\n`,
    );
    chmodSync(script, 0o755);
    const file = join(dir, 'talker.yaml');
    writeFileSync(file, fixtureManifest('talker').replace('      command: node', `      command: ${JSON.stringify(script)}`).replace(/      args: \[.*\]\n/, ''));
    const applied = await berth(up, ['apply', '-f', file]);
    expect(applied.code, applied.stderr).toBe(0);
    const approved = await berth(up, ['approve', 'server', 'talker', '--stage', 'approved-dev']);
    expect(approved.code, approved.stderr).toBe(0);
    await waitReady(up, 'talker').catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify((await getServer(up, 'talker'))?.status)}`);
    });

    const sub = join(dir, 'some', 'sub');
    mkdirSync(sub, { recursive: true });
    const all = await runBerth(['logs', 'talker'], { cwd: sub });
    expect(all.code, all.stderr).toBe(0);
    // The fixture itself then says where it listens.
    expect(all.stdout).toMatch(/^out one\nout two\nlistening \d+\n$/);
    expect(all.stderr).toBe('err one\n');

    // The last two lines of both streams together. Lines are timed per chunk Berth read, so
    // "out two" may share the later time of "listening"; "out one" is older than both either way.
    const tail = await runBerth(['logs', 'talker', '--tail', '2', '--state-dir', stateDir]);
    const tailLines = `${tail.stdout}${tail.stderr}`.split('\n').filter(Boolean);
    expect(tailLines).toHaveLength(2);
    expect(tailLines.some((l) => /^listening \d+$/.test(l))).toBe(true);
    expect(tailLines).not.toContain('out one');

    // The registry of the same `berth up` serves the same lines to the dashboard (its log source is this reader).
    const served = await fetch(`${up.registryUrl}/apis/berth.dev/v1alpha1/mcpservers/talker/logs?tail=3`, { headers: { authorization: `Bearer ${up.token}` } });
    expect(served.status).toBe(200);
    const body = (await served.json()) as { source: string; lines: { time?: string; stream: string; line: string }[] };
    expect(body.source).toContain('local runtime');
    expect(body.lines).toHaveLength(3);
    // Timed per line as berth logs --timestamps shows them, so the route keeps the newest of both streams by time:
    // "listening" is the last line written. (Which of the echoes come with it depends on when Berth read them:
    // lines read in one chunk share its time.)
    for (const l of body.lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const times = body.lines.map((l) => Date.parse(l.time!));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(body.lines).toEqual(expect.arrayContaining([expect.objectContaining({ stream: 'stdout', line: expect.stringMatching(/^listening \d+$/) })]));

    // The lines were written seconds ago: a 1 ms window keeps none.
    await new Promise((r) => setTimeout(r, 50));
    const since = await runBerth(['logs', 'talker', '--since', '1ms'], { cwd: sub });
    expect(since.code).toBe(0);
    expect(since.stdout).toBe('');
    expect((await runBerth(['logs', 'talker', '--since', '10m'], { cwd: sub })).stdout).toMatch(/^out one\n/);

    const stamped = await runBerth(['logs', 'talker', '--timestamps'], { cwd: sub });
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out one\n\S+ out two\n\S+ listening \d+\n$/);
    expect(Date.parse(stamped.stdout.split(' ')[0]!)).toBeGreaterThan(Date.now() - 60_000);

    // Every line is timed by when it was written: a moment between two lines splits them exactly.
    await new Promise((r) => setTimeout(r, 20));
    const moment = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const follow = spawnBerth(['logs', 'talker', '-f', '--tail', '1'], { cwd: sub });
    cleanups.push(() => follow.stop('SIGKILL'));
    // The last line already there is printed first; only then does the server write another.
    await follow.waitForLine(/^listening \d+$/, 15_000);
    writeFileSync(trigger, '');
    expect(await follow.waitForLine(/out later/, 15_000)).toBe('out later');
    expect(follow.lines.filter((l) => /out one/.test(l))).toEqual([]); // --tail 1 held
    const afterMoment = await runBerth(['logs', 'talker', '--since', moment], { cwd: sub });
    expect(afterMoment).toMatchObject({ code: 0, stdout: 'out later\n', stderr: '' });
    const stopped = await follow.stop('SIGINT');
    expect(stopped.code).toBe(130);
  }, 60_000);

  it('refuses a name that walks out of logs/ and a server never started here, naming the CloudWatch log group for ECS', async () => {
    const { dir, remove } = tempDir('logs-refuse');
    cleanups.push(remove);
    const stateDir = join(dir, '.berth');
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    writeFileSync(join(stateDir, 'admin-token.stdout.log'), 'secret\n');
    const traversal = await runBerth(['logs', '../admin-token', '--state-dir', stateDir]);
    expect(traversal.code).toBe(1);
    expect(traversal.stdout).toBe('');
    expect(traversal.stderr).toMatch(/not a server name/);
    const missing = await runBerth(['logs', 'nowhere', '--state-dir', stateDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no output files for "nowhere"/);
    expect(missing.stderr).toMatch(/A server run on ECS logs to CloudWatch: `berth logs nowhere --provider ecs --environment ENV`/);
    // A .berth/ without client.json (no berth up recorded itself there) is not a state folder to read.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const noFolder = await runBerth(['logs', 'quote'], { cwd: elsewhere });
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toMatch(/no \.berth\/ state folder with a client\.json in .*elsewhere or above; .*--state-dir DIR\. A server run on ECS logs to CloudWatch/);
  });
});
