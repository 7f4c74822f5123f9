/**
 * `--sandbox auto|bwrap|off`: how the local runtime isolates server processes
 * (see src/providers/local/sandbox.ts), shared by `berth up` and `berth reconciler`,
 * and the lines that tell the operator what was chosen.
 */
import { SANDBOX_MODES, SANDBOX_SCOPE, type SandboxMode, type SandboxStatus } from '../providers/local/sandbox.ts';
import { UsageError } from './command.ts';

/** The flags for parseFlags: `--sandbox` and the repeatable `--allow-command`. */
export const SANDBOX_FLAGS = { sandbox: { type: 'string' }, 'allow-command': { type: 'string', multiple: true } } as const;

/** Its usage lines, the description starting at `column` as in the command's other options; `note` ends them. */
export function sandboxUsage(column: number, note = ''): string {
  // A flag as wide as the column gets its description on the next line.
  const pad = (s: string) => (s.length >= column - 1 ? `${s}\n${' '.repeat(column)}` : s.padEnd(column));
  return `${pad('  --sandbox MODE')}isolation of local server processes: auto (default: bwrap when it works here,
${pad('')}else unsandboxed with a warning), bwrap (refuse to start without it), off
${pad('  --allow-command GLOB')}run only servers whose runtime.local.command matches (repeatable; e.g. node,
${pad('')}'/opt/mcp/**'); others are not started and report Degraded. Default: any command${note}`;
}

/**
 * The operator's command allow-list, or undefined (any command) without the flag.
 * @throws UsageError for an empty glob
 */
export function allowCommandsFrom(values: { 'allow-command'?: string[] | undefined }): string[] | undefined {
  const globs = values['allow-command'];
  if (globs === undefined) return undefined;
  if (globs.some((g) => g.trim() === '')) throw new UsageError('--allow-command needs a command or glob, e.g. --allow-command node');
  return globs;
}

/**
 * The mode the flag names (default auto).
 * @throws UsageError for anything but auto, bwrap or off
 */
export function sandboxModeFrom(values: { sandbox?: string | undefined }): SandboxMode {
  const v = values.sandbox ?? 'auto';
  if (!(SANDBOX_MODES as readonly string[]).includes(v)) throw new UsageError(`--sandbox must be one of ${SANDBOX_MODES.join(', ')} (got "${v}")`);
  return v as SandboxMode;
}

/**
 * Berth's secrets kept outside the state folder, for the sandbox to hide: the
 * secrets folder and a SQLite database with its journal files.
 * @example pathsToHide({ secretsDir: '/etc/berth/secrets', sqlitePath: '/var/lib/berth.db' })
 * // ['/etc/berth/secrets', '/var/lib/berth.db', '/var/lib/berth.db-wal', '/var/lib/berth.db-shm', '/var/lib/berth.db-journal']
 */
export function pathsToHide(where: { secretsDir?: string | undefined; sqlitePath?: string | undefined }): string[] {
  const db = where.sqlitePath;
  return [...(where.secretsDir ? [where.secretsDir] : []), ...(db ? [db, `${db}-wal`, `${db}-shm`, `${db}-journal`] : [])];
}

/**
 * One line for the operator: what the sandbox isolates and what not, or (loudly)
 * that there is none and why.
 * @example sandboxLine({ kind: 'off', reason: '--sandbox off was given' })
 * // 'WARNING: local servers run UNSANDBOXED (--sandbox off was given): …'
 */
export function sandboxLine(status: SandboxStatus): string {
  if (status.kind === 'bwrap') return `bwrap: ${SANDBOX_SCOPE}`;
  return `WARNING: local servers run UNSANDBOXED (${status.reason}): each can read everything Berth's user can, the state folder and its admin token included, and see Berth's environment in /proc`;
}
