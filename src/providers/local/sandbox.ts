/**
 * The sandbox every local server runs in: bubblewrap (`bwrap`) gives each server
 * process its own user namespace (an unprivileged uid/gid inside), its own PID
 * namespace with a fresh /proc (Berth's /proc/<pid>/environ is not there), a
 * minimal /dev, a private /tmp, and a read-only view of only the folders it
 * needs; the state folder (admin token, database, keys, logs) is never in it.
 * The network is shared: servers listen on the port Berth gives them.
 *
 * The operator chooses with `--sandbox auto|bwrap|off`; `auto` uses bwrap when
 * a trial run shows it can create the namespaces here, else runs servers
 * unsandboxed and says so. Detection runs once per provider.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** What the operator asked for. */
export type SandboxMode = 'auto' | 'bwrap' | 'off';

/** The modes `--sandbox` accepts, for flag parsing and messages. */
export const SANDBOX_MODES: readonly SandboxMode[] = ['auto', 'bwrap', 'off'];

/** What the provider actually does, and why. */
export type SandboxStatus =
  | { kind: 'bwrap'; bwrapPath: string }
  /** `reason` says why servers run unsandboxed, e.g. "--sandbox off" or "bwrap cannot create namespaces here: …". */
  | { kind: 'off'; reason: string };

/** The uid and gid a sandboxed server has inside its user namespace (nobody/nogroup). */
export const SANDBOX_UID = 65534;

/** One line for people: what is and is not isolated. Printed by `berth up` and logged at start. */
export const SANDBOX_SCOPE =
  'each server has its own user namespace (uid 65534) and PID namespace, a fresh /proc, a minimal /dev, a private /tmp, ' +
  'read-only system folders, its working directory and its command\'s installation, and no view of the state folder or Berth\'s environment; ' +
  'NOT isolated: the network (loopback included) and CPU/memory use (no limits)';

/** Raised when `--sandbox bwrap` was asked for and bwrap cannot run here. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** System folders bound read-only into every sandbox (those that exist). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * Files of /etc a program needs to resolve names, verify TLS and know users and
 * time; the rest of /etc (shadow, credentials of other software) stays out.
 */
const ETC_ENTRIES = [
  '/etc/resolv.conf', '/etc/hosts', '/etc/host.conf', '/etc/nsswitch.conf', '/etc/gai.conf', '/etc/passwd', '/etc/group',
  '/etc/localtime', '/etc/timezone', '/etc/ssl', '/etc/ca-certificates', '/etc/pki', '/etc/alternatives', '/etc/ld.so.cache',
  '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/mime.types', '/etc/os-release',
];

/** What one sandbox shows of the machine. */
export interface SandboxView {
  /** The server's working directory (bound read-only; the sandbox starts in it). */
  cwd: string;
  /** More folders (or files) bound read-only: the command's installation, Node's, Berth's own package for the stdio bridge. */
  readOnly: string[];
  /**
   * What must not be visible even inside a bound folder: the state folder, a
   * database or secrets folder kept elsewhere. A folder is covered by an empty
   * tmpfs, a file by /dev/null.
   */
  hidden: string[];
}

/**
 * The bwrap arguments (before `--`) for a view. Pure apart from checking which
 * paths exist (bwrap refuses to bind a missing one). Order matters: binds first,
 * the hidden folders' empty tmpfs last, so nothing bound later can uncover them.
 *
 * @example sandboxArgs({ cwd: '/srv/quote', readOnly: ['/opt/node'], hidden: ['/srv/.berth'] })
 * // ['--unshare-user', '--uid', '65534', …, '--ro-bind', '/srv/quote', '/srv/quote', …, '--chdir', '/srv/quote']
 */
export function sandboxArgs(view: SandboxView): string[] {
  const args = [
    '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--cap-drop', 'ALL',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
  ];
  // Shortest first, so a folder inside one already bound is skipped rather than mounted twice.
  const wanted = [...SYSTEM_DIRS, ...view.readOnly, view.cwd].flatMap(withRealPaths).sort((a, b) => a.length - b.length);
  const bound: string[] = [];
  for (const path of wanted) {
    if (path === sep || bound.some((b) => within(path, b))) continue;
    bound.push(path);
    args.push(...mountOf(path));
  }
  for (const e of ETC_ENTRIES) if (existsSync(e)) args.push(...mountOf(e));
  for (const h of view.hidden) {
    for (const path of withRealPaths(h)) {
      // Covered when it overlaps something bound (inside it, or holding it: a manifest's cwd inside the
      // state folder); a path apart from every bind is not visible anyway.
      if (!bound.some((b) => within(path, b) || within(b, path))) continue;
      if (isDir(path)) args.push('--tmpfs', path);
      else if (existsSync(path)) args.push('--ro-bind', '/dev/null', path);
    }
  }
  args.push('--chdir', view.cwd);
  return args;
}

/**
 * Chooses the sandbox once: `off` → off; otherwise a trial run of bwrap around
 * `nodePath -e 0` with the same isolation servers get. `auto` falls back to off
 * with the reason; `bwrap` throws {@link SandboxUnavailableError} saying how to fix it.
 */
export function detectSandbox(mode: SandboxMode, opts: { nodePath: string; searchPath?: string }): SandboxStatus {
  if (mode === 'off') return { kind: 'off', reason: '--sandbox off was given' };
  const bwrapPath = findOnPath('bwrap', opts.searchPath ?? '/usr/bin:/bin:/usr/local/bin');
  let problem: string | undefined;
  if (!bwrapPath) {
    problem = 'bwrap (bubblewrap) is not installed; install it with `apt-get install bubblewrap`';
  } else {
    const view: SandboxView = { cwd: '/', readOnly: [installRoot(opts.nodePath)], hidden: [] };
    const trial = spawnSync(bwrapPath, [...sandboxArgs(view), '--', opts.nodePath, '-e', '0'], { encoding: 'utf8', timeout: 10_000, env: {} });
    if (trial.error || trial.status !== 0) {
      const said = (trial.stderr || trial.error?.message || `exit ${trial.status}`).trim().split('\n')[0];
      problem = `bwrap cannot create namespaces here (${said}); allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or AppArmor's apparmor_restrict_unprivileged_userns=0) or run Berth where they are allowed`;
    }
  }
  if (!problem) return { kind: 'bwrap', bwrapPath: bwrapPath! };
  if (mode === 'bwrap') throw new SandboxUnavailableError(`--sandbox bwrap: ${problem}`);
  return { kind: 'off', reason: problem };
}

/**
 * Where a program is installed, to bind it read-only: the folder above `bin/`
 * or `shims/` (node_modules/node for its bin/node, ~/.pyenv for a pyenv shim,
 * a virtualenv for its bin/python), else the program's own folder. Never a home
 * folder (`/root`, `/home/<name>`, or one of `homes`): `~/bin/tool` binds
 * `~/bin`, not the home with its keys and credentials.
 */
export function installRoot(program: string, homes: readonly string[] = []): string {
  const dir = dirname(realpathOr(program));
  const name = basename(dir);
  if (name !== 'bin' && name !== 'shims') return dir;
  const above = dirname(dir);
  const isHome = above === sep || above === '/root' || /^\/home\/[^/]+$/.test(above) || homes.some((h) => h !== '' && resolve(h) === above);
  return isHome ? dir : above;
}

/**
 * The absolute path of `command` as a server's spawn would find it: absolute as
 * given, relative to `cwd` when it holds a slash, else the first match on `searchPath`.
 */
export function resolveCommand(command: string, cwd: string, searchPath: string | undefined): string | undefined {
  if (isAbsolute(command)) return command;
  if (command.includes('/')) return resolve(cwd, command);
  return findOnPath(command, searchPath ?? '');
}

function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The path and, when it differs, its real path (a symlinked node_modules or working directory resolves inside the sandbox too). */
function withRealPaths(p: string): string[] {
  if (!existsSync(p)) return [];
  const out = [p];
  const real = realpathOr(p);
  if (real !== p) out.push(real);
  const nm = join(p, 'node_modules');
  if (isDir(p) && isSymlink(nm) && existsSync(nm)) out.push(realpathOr(nm));
  return out;
}

/** True when `path` is `dir` or inside it. */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}

/** A symlink stays a symlink (its target is bound too, by withRealPaths); anything else is bound read-only. */
function mountOf(path: string): string[] {
  return isSymlink(path) ? ['--symlink', realpathOr(path), path] : ['--ro-bind', path, path];
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
