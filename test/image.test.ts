/**
 * The container image, proved offline: the repository's Containerfile is built
 * with `podman build` from a Debian base made with mmdebstrap (plus Node 24 from
 * the npm `node` package) and an app tree prepared here, as its build stage would
 * leave it. This machine's engine can build but not run containers, so the image's
 * filesystem is mounted (`podman mount` of a created container) and `berth
 * --version`, the stdio bridge, `berth registry` (answering /readyz, on a read-only
 * root with a /data volume, as `docker run --read-only` would) and `berth health`
 * run from it under chroot as the image's non-root user.
 *
 * Needs podman, mmdebstrap, chroot and root (for chroot); skipped, saying so, otherwise.
 * `.ci/run` installs podman and mmdebstrap from Debian's packages.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { NODE, REPO } from './cli-services-harness.ts';
import { debianBase, gitCommit, hasTool, run, writeAppContext, writeBaseContext } from './support/image-context.ts';

const missing = ['podman', 'mmdebstrap', 'chroot'].filter((t) => !hasTool(t));
const isRoot = process.getuid?.() === 0;
const skipReason = missing.length > 0 ? `${missing.join(', ')} not installed (apt-get install podman mmdebstrap)` : !isRoot ? 'chroot needs root' : undefined;
if (skipReason) console.log(`container image test SKIPPED: ${skipReason}`);

/** The image's user, as the Containerfile says. */
const USER = '10001:10001';

/** Files under `root` (not following links) owned by `uid`, relative to `root`. */
function ownedBy(root: string, uid: number, at = root, out: string[] = []): string[] {
  for (const name of readdirSync(at)) {
    const p = join(at, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.uid === uid) out.push(`/${relative(root, p)}`);
    if (st.isDirectory() && !st.isSymbolicLink()) ownedBy(root, uid, p, out);
  }
  return out;
}

/**
 * As `docker run --read-only --tmpfs /tmp -v <volume>:/data` would: in a private mount
 * namespace the image's root is remounted read-only, `volume` is bound on /data and
 * a tmpfs on /tmp; then chroot as the image's user.
 */
const READ_ONLY_RUN = `set -e
root=$1 volume=$2; shift 2
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount --bind "$volume" "$root/data"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
exec chroot --userspec ${USER} "$root" /usr/local/bin/node "$@"`;

/** True when this machine lets root make a private mount namespace (CI containers may not). */
function canUnshareMounts(): boolean {
  try {
    execFileSync('unshare', ['--mount', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `node <args>` in the image's filesystem as the image's user with its
 * environment: chroot into `rootfs`, read-only with `volume` on /data when `volume` is given.
 */
function inImage(rootfs: string, env: string[], args: string[], volume?: string) {
  const [cmd, cmdArgs] = volume
    ? ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', READ_ONLY_RUN, 'read-only-run', rootfs, volume, ...args]]
    : [join('/usr/sbin', 'chroot'), ['--userspec', USER, rootfs, '/usr/local/bin/node', ...args]];
  const child = spawn(cmd, cmdArgs, {
    // The image's own environment only; its PATH also finds unshare, mount and chroot on the host.
    env: Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr! }).on('line', (l) => out.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe.skipIf(skipReason !== undefined)('the container image (podman build, run from its mounted filesystem)', () => {
  it('builds from the Containerfile; berth --version names the commit; the registry answers /readyz and serves the dashboard as uid 10001 on a read-only root, writing only under /data', async () => {
    const times: Record<string, number> = {};
    let t = Date.now();
    const lap = (name: string): void => {
      times[name] = Date.now() - t;
      t = Date.now();
    };
    // On tmpfs when there is one: the app tree is 10,000 small files, slow to write and remove on a busy disk.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'berth-image-'));
    const remove = (): void => rmSync(dir, { recursive: true, force: true });
    const tag = `localhost/berth-image-test-${randomBytes(4).toString('hex')}`;
    const images = [`${tag}-base`, `${tag}-app`, tag];
    let container: string | undefined;
    try {
      const base = await debianBase();
      lap(base.cached ? 'debian base (cached today)' : 'debian base (mmdebstrap)');
      writeBaseContext(join(dir, 'base'), base.tar, realpathSync(NODE));
      await run('podman', ['build', '--quiet', '--layers=false', '-t', images[0]!, join(dir, 'base')]);
      lap('base image');
      const commit = gitCommit(REPO);
      writeAppContext(join(dir, 'app'), REPO, commit);
      await run('podman', ['build', '--quiet', '--layers=false', '-t', images[1]!, join(dir, 'app')]);
      lap('app tree and image');
      // The repository's own Containerfile; its build stage (npm ci) is not used, so it is not built.
      await run('podman', ['build', '--quiet', '--layers=false', '-f', join(REPO, 'Containerfile'), '--build-arg', `BASE_IMAGE=${images[0]}`, '--build-arg', `APP_SOURCE=${images[1]}`, '-t', tag, REPO]);
      lap('Containerfile build');

      const [config] = JSON.parse(await run('podman', ['image', 'inspect', tag])) as Array<{ Size: number; Config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string; Volumes?: Record<string, unknown> } }>;
      expect(config!.Config.User).toBe(USER);
      expect(config!.Config.Entrypoint).toEqual(['node', '/app/src/cli/bin.ts']);
      expect(config!.Config.WorkingDir).toBe('/data');
      expect(Object.keys(config!.Config.Volumes ?? {})).toEqual(['/data']);

      // The image's filesystem, writable as a container's is: mounted, not exported, so nothing is copied.
      container = (await run('podman', ['create', tag])).trim();
      const rootfs = (await run('podman', ['mount', container])).trim();
      lap('mount');

      // Production dependencies only, no tests, no dev tools, no second Node.
      expect(existsSync(join(rootfs, 'app/node_modules/hono'))).toBe(true);
      for (const dev of ['vitest', 'typescript', 'aws-cdk-lib', 'node']) expect(existsSync(join(rootfs, 'app/node_modules', dev)), `dev dependency ${dev} in the image`).toBe(false);
      expect(existsSync(join(rootfs, 'app/src/cli/bin.test.ts')) || existsSync(join(rootfs, 'app/src/registry/sqlite-store.test.ts'))).toBe(false);

      const env = config!.Config.Env;
      const version = inImage(rootfs, env, ['/app/src/cli/bin.ts', '--version']);
      expect(await version.exited).toBe(0);
      expect(version.out).toEqual([`berth 0.1.0 (commit ${commit})`]);

      // The stdio bridge entry point loads its modules and refuses to start without a command.
      const bridge = inImage(rootfs, env, ['/app/src/providers/local/stdio-bridge-main.ts']);
      expect(await bridge.exited).toBe(2);
      expect(bridge.out.join('\n')).toMatch(/usage: stdio-bridge-main\.ts/);

      // The registry as the image runs it: read-only root, state in the /data volume.
      const readOnly = canUnshareMounts();
      if (!readOnly) console.log('container image test: unshare --mount is refused here, so the registry runs with a writable root (writes are still checked below)');
      const volume = join(dir, 'volume');
      mkdirSync(volume);
      chownSync(volume, 10001, 10001);
      // The root refuses writes (read-only, or at least not the user's); /tmp and /data take them.
      const writes = inImage(
        rootfs,
        env,
        ['-e', "const fs = require('node:fs'); for (const f of ['/app/probe', '/tmp/probe', '/data/probe']) { try { fs.writeFileSync(f, ''); console.log(f, 'ok'); } catch (e) { console.log(f, e.code); } }"],
        readOnly ? volume : undefined,
      );
      expect(await writes.exited).toBe(0);
      expect(writes.out).toEqual([`/app/probe ${readOnly ? 'EROFS' : 'EACCES'}`, '/tmp/probe ok', '/data/probe ok']);
      const registry = inImage(rootfs, env, ['/app/src/cli/bin.ts', 'registry', '--port', '0', '--host', '127.0.0.1', '--state-dir', '/data/.berth'], readOnly ? volume : undefined);
      try {
        const deadline = Date.now() + 20_000;
        let url: string | undefined;
        while (!url && Date.now() < deadline && registry.child.exitCode === null) {
          url = registry.out.map((l) => /^registry listening on (http:\/\/\S+)/.exec(l)?.[1]).find(Boolean);
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(url, `registry did not start:\n${registry.out.join('\n')}`).toBeDefined();
        const ready = await fetch(`${url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready' });
        // The dashboard builds from the image's production packages, on a read-only root.
        const ui = await fetch(`${url}/ui/`);
        expect(ui.status, await ui.clone().text()).toBe(200);
        const script = /src="(\/ui\/assets\/main-[A-Z0-9]+\.js)"/.exec(await ui.text())?.[1];
        expect((await fetch(`${url}${script}`)).status).toBe(200);
        const health = inImage(rootfs, env, ['/app/src/cli/bin.ts', 'health', '--url', `${url}/readyz`]);
        expect(await health.exited).toBe(0);
        const unhealthy = inImage(rootfs, env, ['/app/src/cli/bin.ts', 'health', '--url', `${url}/no-such-probe`]);
        expect(await unhealthy.exited).toBe(1);
        lap('smoke test');
      } finally {
        registry.child.kill('SIGTERM');
        await registry.exited;
        lap('registry stop');
      }
      // Nothing the non-root user owns lies outside /data; the database went to the volume (or /data without one).
      expect(ownedBy(rootfs, 10001).filter((p) => p !== '/data' && !p.startsWith('/data/'))).toEqual([]);
      expect(existsSync(readOnly ? join(volume, '.berth/registry.db') : join(rootfs, 'data/.berth/registry.db'))).toBe(true);

      console.log(`container image: ${(config!.Size / 1e6).toFixed(0)} MB`);
    } finally {
      if (container) await run('podman', ['rm', '--force', container]).catch(() => undefined);
      await run('podman', ['rmi', '--force', '--ignore', ...images]).catch(() => undefined);
      remove();
      lap('clean-up');
      const total = Object.values(times).reduce((a, b) => a + b, 0);
      console.log(`container image test times (ms): ${JSON.stringify(times)}; total ${total} ms`);
    }
  }, 300_000);
});
