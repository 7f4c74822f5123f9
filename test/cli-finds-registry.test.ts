/**
 * Issue 17, items 1 and 2: the CLI finds the registry its `berth up` runs (from any
 * subfolder, on any port) and never sends that registry's admin token anywhere else;
 * a first start that fails before applying the examples is finished by the next start.
 * Real `berth up` processes, a real second HTTP server recording every Authorization
 * header it receives, real CLI runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, NODE, cleanupAfterEach, spawnBerth, tempDir, type CliResult } from './cli-services-harness.ts';
import { killLeftovers } from './e2e-harness.ts';

const { track, later } = cleanupAfterEach();

/** `berth <args>` in `cwd` with only `env` for the Berth variables (none inherited), `input` on stdin. */
function run(args: string[], cwd: string, env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BERTH_')));
  return new Promise((resolve) => {
    const child = execFile(NODE, [BIN, ...args], { cwd, env: { ...base, HOME: cwd, XDG_CONFIG_HOME: join(cwd, '.no-user-config'), ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(input ?? '');
  });
}

/** An HTTP server that answers 401 to everything and records the Authorization header of each request. */
async function recordingServer(): Promise<{ url: string; seen: Array<string | undefined>; server: Server }> {
  const seen: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(401, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'recorder' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('the CLI finds its registry (issue 17, item 1)', () => {
  it('reads <state-dir>/client.json from any subfolder, on a non-default port, and sends the state folder token to no other server', async () => {
    const tmp = tempDir('finds');
    later(tmp.remove);
    const project = join(tmp.dir, 'project');
    const sub = join(project, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    const up = track(spawnBerth(['up', '--no-examples', '--registry-port', '0', '--gateway-port', '0', '--log-level', 'warn'], { cwd: project }));
    later(async () => void (await killLeftovers(join(project, '.berth'))));
    const line = await up.waitForLine(/^\s+registry\s+http/);
    const registryUrl = /(http:\/\/\S+)/.exec(line)![1]!;
    const adminToken = readFileSync(join(project, '.berth', 'admin-token'), 'utf8').trim();

    const client = JSON.parse(readFileSync(join(project, '.berth', 'client.json'), 'utf8')) as { server: string; tokenFile: string };
    expect(client).toEqual({ server: registryUrl, tokenFile: join(project, '.berth', 'admin-token') });
    expect(statSync(join(project, '.berth', 'client.json')).mode & 0o777).toBe(0o600);

    // From a subfolder, with nothing set: the registry up runs, with its admin token (the issue: 7070 and 401).
    const fromSub = await run(['get', 'servers'], sub);
    expect(fromSub.stderr).toBe('No objects found.\n');
    expect(fromSub.code).toBe(0);

    const recorder = await recordingServer();
    later(() => new Promise<void>((r) => recorder.server.close(() => r())));
    // Another server by flag: the state folder's token is not sent there; with no other token, none is.
    const other = await run(['get', 'servers', '--server', recorder.url], sub);
    expect(other.code).not.toBe(0);
    // Another server by flag with BERTH_TOKEN: that token, never the admin token.
    await run(['get', 'servers', '--server', recorder.url], sub, { BERTH_TOKEN: 'berth_tok_other' });
    // BERTH_SERVER yields to the nearest state folder (its own registry answers, with its own token).
    const envServer = await run(['get', 'servers'], sub, { BERTH_SERVER: recorder.url });
    expect(envServer.code).toBe(0);
    expect(recorder.seen.length).toBe(2);
    expect(recorder.seen).toEqual([undefined, 'Bearer berth_tok_other']);
    expect(recorder.seen.some((a) => a?.includes(adminToken))).toBe(false);

    // The same registry named explicitly (-s, as every client command takes it) still gets its own token.
    expect((await run(['get', 'servers', '-s', registryUrl], sub)).code).toBe(0);
    expect((await run(['audit', '-s', recorder.url], sub)).code).not.toBe(0);
    expect(recorder.seen.slice(2)).toEqual([undefined]);

    // Tokens from a file or stdin, outside any state folder; argv works but warns about `ps`.
    const outside = join(tmp.dir, 'outside');
    mkdirSync(outside);
    const tokenFile = join(outside, 'token');
    writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
    const fromFile = await run(['get', 'servers', '--server', registryUrl, '--token-file', tokenFile], outside);
    expect(fromFile.stderr).toBe('No objects found.\n');
    expect(fromFile.code).toBe(0);
    const fromStdin = await run(['get', 'servers', '--server', registryUrl, '--token', '-'], outside, {}, `${adminToken}\n`);
    expect(fromStdin.stderr).toBe('No objects found.\n');
    expect(fromStdin.code).toBe(0);
    const fromArgv = await run(['get', 'servers', '--server', registryUrl, '--token', adminToken], outside);
    expect(fromArgv.code).toBe(0);
    expect(fromArgv.stderr).toMatch(/--token on the command line is visible to other users in `ps`/);
    const noToken = await run(['get', 'servers', '--server', registryUrl], outside);
    expect(noToken.code).toBe(3);

    expect((await up.stop('SIGTERM')).code).not.toBeNull();
  }, 60_000);
});

describe('an unfinished first start is finished by the next (issue 17, item 2)', () => {
  it('a start that failed on a taken gateway port leaves the examples to the next start, which applies them and --once succeeds', async () => {
    const tmp = tempDir('first-start');
    later(tmp.remove);
    const stateDir = join(tmp.dir, '.berth');
    later(async () => void (await killLeftovers(stateDir)));
    const busy = createTcpServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = (busy.address() as AddressInfo).port;

    const failed = track(spawnBerth(['up', '--state-dir', stateDir, '--registry-port', '0', '--gateway-port', String(busyPort), '--once']));
    const first = await failed.exited;
    expect(first.code).toBe(1);
    expect(failed.stderr()).toMatch(/could not start/);
    expect(existsSync(join(stateDir, 'first-start-pending'))).toBe(true);
    await new Promise<void>((r) => busy.close(() => r()));

    const next = track(spawnBerth(['up', '--state-dir', stateDir, '--registry-port', '0', '--gateway-port', String(busyPort), '--once']));
    const second = await next.exited;
    const out = next.lines.join('\n');
    expect(out, next.stderr()).toMatch(/finishing an earlier first start/);
    expect(out).toMatch(/mcpserver\/quote created/);
    expect(out).toMatch(/agent key/);
    expect(second.code, `${out}\n${next.stderr()}`).toBe(0);
    expect(existsSync(join(stateDir, 'first-start-pending'))).toBe(false);

    // A third start is a plain restart: nothing is applied again.
    const third = track(spawnBerth(['up', '--state-dir', stateDir, '--registry-port', '0', '--gateway-port', '0', '--once']));
    expect((await third.exited).code).toBe(0);
    expect(third.lines.join('\n')).not.toMatch(/Applying/);
  }, 120_000);
});
