/**
 * What the image test builds from, made offline: a Debian base (mmdebstrap, cached
 * for the day) with Node 24 from the npm `node` package, and the app tree the
 * Containerfile's build stage would make (production node_modules chosen from
 * package-lock.json, sources without tests, build-info.json with the commit).
 * Both become images through copy-only Containerfiles, since this machine's
 * container engine can build but not run containers.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';

/** Runs a tool to completion; rejects with its stderr on failure. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** True when `tool` is on PATH. */
export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A Debian bookworm root with only what Node needs (libc6, libstdc++6, libgcc-s1),
 * unpacked without maintainer scripts (`--variant=extract`): about 15 MB, seconds
 * to make. Cached under `<cacheDir>/debian-base-<date>.tar`, so one run a day
 * downloads it; older days' files are removed.
 * @returns the tarball and whether it came from the cache
 */
export async function debianBase(cacheDir = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'berth-test')): Promise<{ tar: string; cached: boolean }> {
  mkdirSync(cacheDir, { recursive: true });
  const name = `debian-base-${new Date().toISOString().slice(0, 10)}.tar`;
  const tar = join(cacheDir, name);
  if (existsSync(tar)) return { tar, cached: true };
  for (const f of readdirSync(cacheDir)) if (f.startsWith('debian-base-') || f.startsWith('partial-')) rmSync(join(cacheDir, f), { force: true });
  const partial = join(cacheDir, `partial-${name}`); // mmdebstrap picks the output format from the .tar suffix
  await run('mmdebstrap', ['--quiet', '--variant=extract', '--include=libc6,libstdc++6,libgcc-s1', 'bookworm', partial]);
  execFileSync('mv', [partial, tar]);
  return { tar, cached: false };
}

/** Hard-links when it can (same file system), copies otherwise: the node binary is 120 MB. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    cpSync(from, to);
  }
}

/** Context of the base image: the Debian root plus Node at /usr/local/bin/node, as in node:24-bookworm-slim. */
export function writeBaseContext(dir: string, baseTar: string, nodeBinary: string): void {
  mkdirSync(dir, { recursive: true });
  linkOrCopy(baseTar, join(dir, 'base.tar'));
  linkOrCopy(nodeBinary, join(dir, 'node'));
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nADD base.tar /\nCOPY node /usr/local/bin/node\n');
}

/**
 * Context of the app image: `app/` as the Containerfile's build stage leaves /app
 * (production dependencies only, no tests, build-info.json) and an empty `data/`.
 */
export function writeAppContext(dir: string, repo: string, commit: string): void {
  const app = join(dir, 'app');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(app, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(repo, f), join(app, f));
  for (const d of ['schemas', 'examples']) cpSync(join(repo, d), join(app, d), { recursive: true });
  cpSync(join(repo, 'src'), join(app, 'src'), { recursive: true, filter: (p) => !p.endsWith('.test.ts') && !p.endsWith('build-info.json') });
  writeFileSync(join(app, 'src/cli/build-info.json'), `${JSON.stringify({ commit })}\n`);
  // What `npm ci --omit=dev` installs: every lockfile package not marked dev. Each is
  // copied without its own node_modules, which hold separate lockfile entries.
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev) continue;
    const from = join(repo, path);
    if (!existsSync(from)) {
      if (entry.optional) continue; // another platform's optional package
      throw new Error(`${path} is a production dependency in package-lock.json but is not installed; run npm ci`);
    }
    cpSync(from, join(app, path), { recursive: true, dereference: false, filter: (p) => !relative(from, p).split(sep).includes('node_modules') });
  }
  writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\nCOPY app /app\nCOPY data /data\n');
}

/** The commit of the checkout, or `unknown` outside git. */
export function gitCommit(repo: string): string {
  try {
    return execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
