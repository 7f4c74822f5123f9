/**
 * `berth gateway`: the MCP gateway as its own process (an ECS service in
 * production, several behind the ALB), following the registry over HTTP. It
 * needs a gateway token (it reviews agent keys, files approvals and writes the
 * call audit through the registry) and no database credentials.
 *
 * Start: the registry must answer (exit 3 otherwise), then the route table is
 * filled from a first list before the port opens, so the first agent request
 * never sees an empty table. Stop (SIGTERM / SIGINT): stop accepting, let
 * in-flight requests finish for a grace period, stop following. Flag parsing
 * only; src/cli/runtime.ts does the wiring.
 */
import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, DEFAULT_SERVER, durationFlag, parseFlags, portFlag } from '../config.ts';
import { connectionCap, openFileLimit } from '../descriptor-limit.ts';
import { GATEWAY_EDGE_FLAGS, GATEWAY_EDGE_USAGE, gatewayEdgeSettings } from '../gateway-edge-flags.ts';
import { GATEWAY_AUTH_FLAGS, GATEWAY_AUTH_USAGE, gatewayAuthSettings } from '../gateway-flags.ts';
import { GATEWAY_LIMIT_FLAGS, gatewayLimitSettings, gatewayLimitUsage } from '../gateway-limit-flags.ts';
import { GATEWAY_HEADER_FLAGS, GATEWAY_HEADER_USAGE, trustedProxiesFromFlags } from '../gateway-header-flags.ts';
import { SECRET_FLAGS, secretFlagsUsage, secretResolverFromFlags } from '../secret-flags.ts';
import { REMOTE_ADDRESS_FLAGS, REMOTE_ADDRESS_USAGE, allowRemoteFromFlags } from '../remote-address-flags.ts';
import { SessionKeys } from '../../gateway/index.ts';
import { createLogger, logLevel } from '../logger.ts';
import { runRuntime } from '../runtime.ts';
import { readSessionKeyFile } from '../session-key-file.ts';

/** Descriptors `berth gateway` keeps for itself beyond client and upstream connections (registry client, metrics, logs). */
const RESERVED_DESCRIPTORS = 64;

/** The default --max-connections of this process. */
const defaultMaxConnections = connectionCap(openFileLimit(), RESERVED_DESCRIPTORS);

const usage = `Usage: berth gateway [--port 8080] [--host 127.0.0.1] [--session-key-file FILE] [--server URL --token T] [--log-level info]

Serves MCP traffic for every Ready server at /mcp/<name> (or the server's own path),
following the registry's watch: a status change reaches the route table within a second.
Answers GET /-/healthz (alive), /-/readyz (routes loaded) and /-/metrics (Prometheus,
no server names) itself, without a token.
Logs go to stdout: JSON lines (readable lines on a terminal).

Options:
  --port N          port to listen on (default 8080; 0 = any free port)
  --host ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --grace D         how long in-flight requests may finish on stop (default 5s)
  --metrics-port N  also serve every metric, by server and tool, at http://H:N/metrics (0 = any free
                    port); none without it
  --metrics-host H  interface of the metrics port (default 127.0.0.1)
  --session-key-file FILE
                    keys sealing session ids, one per line (32 random bytes, base64 or hex; the
                    first seals, every line opens): give every replica the same file so any of
                    them serves any session; without it, a random key (sessions end on restart)
${GATEWAY_AUTH_USAGE}
${GATEWAY_EDGE_USAGE}
${gatewayLimitUsage(defaultMaxConnections)}
${GATEWAY_HEADER_USAGE}
${secretFlagsUsage('none: file: references fail')}
${REMOTE_ADDRESS_USAGE}
  --log-level L     trace, debug, info, warn, error (default: BERTH_LOG_LEVEL, else info)
  -s, --server URL  registry address (default: BERTH_SERVER, config file, ${DEFAULT_SERVER})
  --token TOKEN     a gateway token (berth token create --role gateway; default: BERTH_TOKEN, config file;
                    on the command line it shows in \`ps\`)
  --token-file F    read the token from file F (- = standard input)
  -h, --help        show this help

Exit codes: 0 stopped, 1 cannot listen, 2 bad usage, 3 registry unreachable or token refused.`;

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
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      'session-key-file': { type: 'string' },
      ...GATEWAY_AUTH_FLAGS,
      ...GATEWAY_EDGE_FLAGS,
      ...GATEWAY_LIMIT_FLAGS,
      ...GATEWAY_HEADER_FLAGS,
      ...SECRET_FLAGS,
      ...REMOTE_ADDRESS_FLAGS,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; berth gateway takes only options`);
    const port = portFlag(values.port, 8080, '--port');
    const host = values.host ?? '127.0.0.1';
    const closeGraceMs = durationFlag(values.grace, '--grace', 5_000);
    const auth = { ...gatewayAuthSettings(values), ...gatewayEdgeSettings(values) };
    const limits = gatewayLimitSettings(values, defaultMaxConnections);
    const trustedProxies = trustedProxiesFromFlags(values);
    const resolveSecret = secretResolverFromFlags(values, io);
    const allowRemote = allowRemoteFromFlags(values);
    const metricsPort = values['metrics-port'] === undefined ? undefined : portFlag(values['metrics-port'], 0, '--metrics-port');
    if (metricsPort === undefined && values['metrics-host'] !== undefined) throw new UsageError('--metrics-host needs --metrics-port');
    const metrics = metricsPort === undefined ? {} : { metrics: new Registry(), metricsServer: { host: values['metrics-host'] ?? '127.0.0.1', port: metricsPort } };
    const keyFile = values['session-key-file'] === undefined ? undefined : await readSessionKeyFile(resolve(io.cwd, values['session-key-file']), '--session-key-file');
    const sessionKeys = keyFile === undefined ? {} : { sessionKeys: new SessionKeys(keyFile.keys) };
    const level = logLevel(values['log-level'], io.env);
    const { logger, flush } = createLogger({ component: 'gateway', level, destination: { stream: io.stdout }, env: io.env });
    if (keyFile?.readableByOthers) logger.warn({ file: values['session-key-file'] }, 'the session key file is readable by other users; make it readable by this one only (chmod 600)');
    try {
      return await runRuntime({ logger, io, gateway: { host, port, closeGraceMs, portFlag: '--port', trustedProxies, ...auth, ...metrics, limits, ...sessionKeys }, remoteRegistry: values, resolveSecret, allowRemote }, (rt) => {
        io.stderr.write(`gateway listening on ${rt.gatewayUrl} (servers at ${rt.gatewayUrl}/mcp/<name>; registry ${rt.registryConnection?.url})\n`);
        if (rt.metricsUrl !== undefined) io.stderr.write(`gateway metrics at ${rt.metricsUrl}\n`);
      });
    } finally {
      flush();
    }
  },
};

export default command;
