/**
 * Entry point of the stdio bridge process the local provider runs for each stdio
 * server:
 *   node stdio-bridge-main.ts --host 127.0.0.1 --port 4100 --path /mcp \
 *     [--max-sessions 8] [--max-memory-mib 512] [--idle-timeout-s 300] -- <command> [args…]
 * Every session's stdio server gets this process's environment (which the
 * provider already reduced to the allow-list plus the manifest's env) and its
 * stderr. The limits (stdio-limits.ts) default as the manifest's do; BERTH_SERVER_NAME,
 * which the provider sets, names the server in log lines.
 * Logs go to stderr as pino JSON. SIGTERM/SIGINT end every session, then exit.
 *
 * Like src/cli, this is a process entry point, so it reads argv and env.
 */
import pino from 'pino';
import { logOptions } from '../../kit/log-options.ts';
import { startStdioBridge } from './stdio-bridge.ts';
import { parseStdioLimitFlags, type StdioLimits } from './stdio-limits.ts';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const flags = sep === -1 ? argv : argv.slice(0, sep);
const [command, ...args] = sep === -1 ? [] : argv.slice(sep + 1);
const flag = (name: string) => {
  const i = flags.indexOf(`--${name}`);
  return i === -1 ? undefined : flags[i + 1];
};
const serverName = process.env['BERTH_SERVER_NAME'];
const logger = pino(logOptions('stdio-bridge', process.env['BERTH_LOG_LEVEL'] ?? 'info'), pino.destination(2)).child(serverName ? { server: serverName } : {});
const usage = 'usage: stdio-bridge-main.ts --host H --port P --path /mcp [--max-sessions N] [--max-memory-mib M] [--idle-timeout-s S] -- <command> [args…]';
if (!command) {
  logger.error({}, usage);
  process.exit(2);
}
let limits: StdioLimits;
try {
  limits = parseStdioLimitFlags((name) => flag(name.slice(2)));
} catch (err) {
  logger.error({ err }, `${(err as Error).message}; ${usage}`);
  process.exit(2);
}
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;

const bridge = await startStdioBridge({
  command,
  args,
  env,
  cwd: process.cwd(),
  host: flag('host') ?? '127.0.0.1',
  port: Number(flag('port') ?? 0),
  mcpPath: flag('path') ?? '/mcp',
  logger,
  limits,
});
logger.info({ url: bridge.url, command, ...limits }, `stdio bridge for ${command} listening on ${bridge.url}`);

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void bridge.close().finally(() => process.exit(0));
  });
}
