/**
 * Wrapping a server's process in its sandbox: the bwrap command line around the
 * command launch.ts built, with what that server needs bound read-only. Pure
 * apart from looking up paths (which exist, where a command is installed).
 */
import { existsSync } from 'node:fs';
import { ProviderError } from '../provider.ts';
import type { LaunchConfig, LaunchSettings, ProcessCommand } from './launch.ts';
import { installRoot, resolveCommand, sandboxArgs } from './sandbox.ts';

/**
 * The process to spawn for `cmd` under the provider's sandbox; `cmd` itself when
 * the sandbox is off. Inside, the server sees read-only: the system folders, its
 * working directory, the installation of its command and of Node, and (stdio
 * servers, whose bridge is part of Berth) Berth's own package; HOME and TMPDIR
 * point at its private /tmp. The state folder is covered wherever it would show.
 * @throws ProviderError spawn_failed (retryable: it may be installed later) when the command cannot be found
 *
 * @example sandboxedCommand(processCommandOf(config, port, settings), config, settings)
 * // { command: '/usr/bin/bwrap', args: ['--unshare-user', …, '--', '/usr/bin/node', 'server.js'], … }
 */
export function sandboxedCommand(cmd: ProcessCommand, config: LaunchConfig, settings: LaunchSettings): ProcessCommand {
  const sandbox = settings.sandbox;
  if (sandbox.kind === 'off') return cmd;
  const homes = settings.parentEnv.HOME !== undefined ? [settings.parentEnv.HOME] : [];
  const readOnly = [installRoot(settings.nodePath, homes)];
  const program = resolveCommand(config.command, config.cwd, cmd.env.PATH);
  // bwrap itself would start and only then fail to run it: say so here, as an unsandboxed spawn would.
  if (!program || !existsSync(program)) {
    throw new ProviderError(
      `could not start ${config.name}: ${config.command} was not found (PATH ${cmd.env.PATH ?? 'unset'}); check spec.runtime.local.command and that it is installed`,
      { code: 'spawn_failed', retryable: true },
    );
  }
  readOnly.push(installRoot(program, homes));
  if (config.bridged) readOnly.push(settings.packageRoot);
  const args = sandboxArgs({ cwd: config.cwd, readOnly, hidden: [settings.stateDir, ...settings.hidden] });
  return {
    ...cmd,
    command: sandbox.bwrapPath,
    args: [...args, '--', cmd.command, ...cmd.args],
    // The only writable place inside; a HOME outside the sandbox would not exist there.
    env: { ...cmd.env, HOME: '/tmp', TMPDIR: '/tmp' },
  };
}
