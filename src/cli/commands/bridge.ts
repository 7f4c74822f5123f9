/**
 * `berth bridge [flags] -- <command> [args…]`: Berth's stdio-to-streamable-HTTP
 * bridge as a command of its own. It is the entry point of a stdio server's
 * container on ECS (the ECS provider renders `berth bridge --host 0.0.0.0 --port
 * <port> --path <mcpPath> <limits> -- <runtime.command> <runtime.args>`), so a
 * server image built from Berth's image runs it with nothing else of Berth.
 * It runs the same entry point the local provider runs (stdio-bridge-main.ts) as
 * a child process with this process's environment and stdio, passes SIGTERM /
 * SIGINT on, and exits with the bridge's exit code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError, type Command } from '../command.ts';

const BRIDGE_MAIN = fileURLToPath(new URL('../../providers/local/stdio-bridge-main.ts', import.meta.url));

const usage = `Usage: berth bridge [--host H] [--port P] [--path /mcp] [--max-sessions N] [--max-memory-mib M] [--idle-timeout-s S] -- <command> [args…]

Serves a stdio MCP server as streamable HTTP at http://H:P/path: each MCP session
gets its own <command> process, with this process's environment. Defaults: host
127.0.0.1, port 0 (a free one, printed in the log), path /mcp, 8 sessions, 512 MiB,
300 s idle. Logs go to stderr as JSON. On ECS this is the container's entry point of
every transport: stdio server (see the README's design notes).`;

const command: Command = {
  name: 'bridge',
  summary: 'serve a stdio MCP server as streamable HTTP (the entry point of stdio servers on ECS)',
  usage,
  async run(args, io) {
    const sep = args.indexOf('--');
    if (sep === -1 || sep === args.length - 1) throw new UsageError('give the stdio server\'s command after "--"');
    const child = spawn(process.execPath, [BRIDGE_MAIN, ...args], { stdio: 'inherit', env: { ...io.env }, cwd: io.cwd });
    // The signal says SIGINT or SIGTERM reached this process: let the bridge end its sessions itself.
    const stop = (): void => void child.kill('SIGTERM');
    io.signal.addEventListener('abort', stop, { once: true });
    return new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`starting the stdio bridge (${BRIDGE_MAIN})`, { cause: err })));
      child.once('exit', (code, signal) => {
        io.signal.removeEventListener('abort', stop);
        resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
      });
    });
  },
};

export default command;
