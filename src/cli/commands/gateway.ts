/**
 * `berth gateway`: the MCP gateway as its own process (an ECS service in
 * production, several behind the ALB), following the registry over HTTP. It
 * needs only a read token and no database credentials. Wiring only.
 *
 * Start: the registry must answer (exit 3 otherwise), then the route table is
 * filled from a first list before the port opens, so the first agent request
 * never sees an empty table. Stop (SIGTERM / SIGINT): stop accepting, let
 * in-flight requests finish for a grace period, stop following.
 */
import pino from 'pino';
import { followRegistry, RouteTable, startGateway } from '../../gateway/index.ts';
import { UnauthorizedError, ForbiddenError, RegistryUnreachableError } from '../../client/errors.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, connectRegistry, DEFAULT_SERVER, describeClientError, durationFlag, parseFlags } from '../config.ts';

const usage = `Usage: berth gateway [--port 8080] [--host 127.0.0.1] [--server URL --token T] [--log-level info]

Serves MCP traffic for every Ready server at /mcp/<name> (or the server's own path),
following the registry's watch: a status change reaches the route table within a second.
Logs are JSON lines on stdout.

Options:
  --port N          port to listen on (default 8080; 0 = any free port)
  --host ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --grace D         how long in-flight requests may finish on stop (default 5s)
  --log-level L     trace, debug, info, warn, error (default info)
  -s, --server URL  registry address (default: BERTH_SERVER, config file, ${DEFAULT_SERVER})
  --token TOKEN     API token with read access (default: BERTH_TOKEN, config file, ./.berth/admin-token for a local registry)
  -h, --help        show this help

Exit codes: 0 stopped, 1 cannot listen, 2 bad usage, 3 registry unreachable or token refused.`;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];


const command: Command = {
  name: 'gateway',
  summary: 'run the MCP gateway on its own, following a registry',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      server: { type: 'string', short: 's' },
      port: { type: 'string' },
      host: { type: 'string' },
      grace: { type: 'string' },
      'log-level': { type: 'string' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; berth gateway takes only options`);
    const port = Number(values.port ?? '8080');
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be 0–65535 (got "${values.port}")`);
    const host = values.host ?? '127.0.0.1';
    const closeGraceMs = durationFlag(values.grace, '--grace', 5_000);
    const level = values['log-level'] ?? 'info';
    if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be trace, debug, info, warn or error (got "${level}")`);
    const logger = pino({ level, base: { component: 'gateway', pid: process.pid }, redact: { paths: ['*.token', '*.authorization', 'req.headers.authorization'], censor: '[redacted]' } }, io.stdout);

    const client = await connectRegistry(values, io);
    try {
      await client.list('MCPServer', { limit: 1 });
    } catch (err) {
      if (err instanceof RegistryUnreachableError || err instanceof UnauthorizedError || err instanceof ForbiddenError) {
        io.stderr.write(`berth gateway: ${describeClientError(err)}\n`);
        return ExitCode.Unreachable;
      }
      throw err;
    }

    const routeTable = new RouteTable();
    const following = followRegistry(client, routeTable, { logger: logger.child({ part: 'routes' }) });
    const stopFollowing = (): Promise<void> => following.stop();
    // Open the port once the table holds the first list (or when stopped before that).
    await Promise.race([following.synced(), new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }))]);
    if (io.signal.aborted) {
      await stopFollowing();
      return ExitCode.Ok;
    }

    let gateway;
    try {
      gateway = await startGateway({ routeTable, host, port, logger, closeGraceMs });
    } catch (err) {
      await stopFollowing();
      io.stderr.write(`berth gateway: cannot listen on ${host}:${port}: ${err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err)}; choose another --port\n`);
      return ExitCode.Failed;
    }
    io.stderr.write(`gateway listening on ${gateway.url} (servers at ${gateway.url}/mcp/<name>; registry ${client.baseUrl})\n`);

    if (!io.signal.aborted) await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    logger.info('stopping: no new connections; in-flight requests may finish');
    await gateway.close();
    await stopFollowing();
    logger.info('gateway stopped');
    return ExitCode.Ok;
  },
};

export default command;
