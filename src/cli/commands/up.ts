/**
 * `berth up` (= `npm start`): the whole control plane on one machine — the store
 * (SQLite under ./.berth unless --store names another), registry API, reconciler
 * with the local runtime, and the gateway. On the first start of a state folder
 * applies examples/, approves the stages its servers request (as the bootstrap
 * admin, recorded like any approval) and writes an agent key for the examples'
 * agent; prints where everything is and a live summary, and stops every child
 * process on Ctrl-C.
 * src/cli/runtime.ts does the wiring.
 */
import { GATEWAY_EDGE_FLAGS, GATEWAY_EDGE_USAGE, gatewayEdgeSettings } from '../gateway-edge-flags.ts';
import { GATEWAY_AUTH_FLAGS, GATEWAY_AUTH_USAGE, gatewayAuthSettings } from '../gateway-flags.ts';
import { GATEWAY_LIMIT_FLAGS, gatewayLimitSettings, gatewayLimitUsage } from '../gateway-limit-flags.ts';
import { connectionCap, openFileLimit } from '../descriptor-limit.ts';
import { GATEWAY_HEADER_FLAGS, GATEWAY_HEADER_USAGE, trustedProxiesFromFlags } from '../gateway-header-flags.ts';
import { SECRET_FLAGS, secretFlagsUsage, secretResolverFromFlags } from '../secret-flags.ts';
import { allowCommandsFrom, pathsToHide, SANDBOX_FLAGS, sandboxLine, sandboxModeFrom, sandboxUsage } from '../sandbox-flag.ts';
import { SandboxUnavailableError } from '../../providers/local/index.ts';
import { ProviderUnavailableError } from '../../registry/dashboard/oidc/provider.ts';
import { REMOTE_ADDRESS_FLAGS, REMOTE_ADDRESS_USAGE, allowRemoteFromFlags } from '../remote-address-flags.ts';
import { OIDC_LOGIN_FLAGS, OIDC_LOGIN_USAGE, oidcLoginFromFlags } from '../oidc-login-flags.ts';
import { DASHBOARD_FLAGS, DASHBOARD_USAGE, dashboardFromFlags } from '../dashboard-flags.ts';
import { Registry } from 'prom-client';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../../kit/errors.ts';
import type { RunningReconciler } from '../../reconciler/index.ts';
import { SessionKeys } from '../../gateway/index.ts';
import { HttpRegistryClient } from '../../client/http-client.ts';
import type { Store } from '../../registry/store.ts';
import type { ApprovableStage, MCPServerSpec } from '../../manifest/types.ts';
import { CommandFailure, ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { objectRef, parseFlags, portFlag, wholeNumberFlag } from '../config.ts';
import { DEFAULT_MAX_WATCHERS_PER_TOKEN } from '../../registry/api/watch-slots.ts';
import { localHolderId } from '../stale-lease.ts';
import { createLogger, logLevel } from '../logger.ts';
import { startRuntime, type Runtime } from '../runtime.ts';
import { ensureUpSessionKeyFile } from '../session-key-file.ts';
import { resolveStoreChoice, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-config.ts';
import { formatSummary, summarizeFleet } from '../summary.ts';
import { writeClientFile } from '../state-folder.ts';
import { loadValidManifests } from './apply.ts';

/**
 * Descriptors `berth up` keeps for everything but the gateway's client and upstream
 * connections: the registry and its clients, SQLite, the reconciler, the local
 * servers' pipes, logs (about 40 with the four examples, measured).
 */
const RESERVED_DESCRIPTORS = 128;

/** The default --max-connections of this process: the gateway shares its descriptors with every other part. */
const defaultMaxConnections = connectionCap(openFileLimit(), RESERVED_DESCRIPTORS);

const usage = `Usage: berth up [--state-dir DIR] [--host H] [--registry-port N] [--gateway-port N] [--store URL [--store-ca FILE]]
                [--examples DIR | --no-examples] [--sandbox auto|bwrap|off] [--allow-command GLOB]… [--max-watchers-per-token 16]

Runs the registry, the reconciler with the local runtime, and the gateway in one
process. On the first start of a state folder it applies the example manifests,
approves the stages the example servers request as the bootstrap admin (recorded
like any berth approve), and writes an agent key for their agent (sales-copilot)
to <state-dir>/agent-key.
Ctrl-C stops everything, including every MCP server process it started.

Options:
  --state-dir DIR      database, admin token (and the examples' agent key), the gateway's session key,
                       runtime state and logs (default ./.berth)
${STORE_FLAGS_USAGE}
  --host H             interface to listen on (default 127.0.0.1)
  --registry-port N    registry API port (default 7070; 0 = any free port)
  --gateway-port N     gateway port (default 8080; 0 = any free port)
  --max-watchers-per-token N
                       most watch streams one token may hold open on the registry (default 16)
${DASHBOARD_USAGE}
${GATEWAY_AUTH_USAGE}
${OIDC_LOGIN_USAGE}
${GATEWAY_EDGE_USAGE}
${gatewayLimitUsage(defaultMaxConnections)}
${GATEWAY_HEADER_USAGE}
${secretFlagsUsage('<state-dir>/secrets')}
${sandboxUsage(23)}
${REMOTE_ADDRESS_USAGE}
  --examples DIR       manifests applied on first start; repeatable (default examples/manifests and
                       examples/policies; examples/remote is left out: it needs the internet)
  --no-examples        apply nothing and create no example agent key on first start
  --log-level L        trace|debug|info|warn|error (default: BERTH_LOG_LEVEL, else info); logs go to
                       <state-dir>/berth.log
  --reset-admin-token  recovery when no admin token works (the last one revoked, the file lost): write a
                       new admin token to <state-dir>/admin-token and revoke the earlier bootstrap ones
                       (audited; needs write access to the state folder)
  --once               start, wait until every server is Ready or 60 s pass, print the summary, stop
                       (exit 0 when all are Ready, 1 otherwise)

Environment: none is required. BERTH_LOG_LEVEL sets --log-level, BERTH_STORE --store.`;

/** What the first start applies: runnable on this machine without the internet. */
const DEFAULT_EXAMPLES = ['examples/manifests', 'examples/policies'];

/** The agent the example policies name (examples/policies/sales-copilot.yaml); the first start makes it a key. */
const EXAMPLE_AGENT = 'sales-copilot';

/**
 * Marks a state folder whose first start did not get as far as applying the examples
 * (a port was taken, Ctrl-C came first): the registry already minted its admin token,
 * so without the marker the next start would take itself for a restart and apply nothing.
 */
const FIRST_START_PENDING = 'first-start-pending';

/** Lease the embedded reconciler campaigns for (the reconciler's default for all environments). */
const RECONCILER_LEASE = 'berth-reconciler';

/** The parts of a started `berth up` (it runs all of them). */
interface RunningSystem {
  registryUrl: string;
  gatewayUrl: string;
  adminTokenFile: string;
  firstStart: boolean;
  /** The example agent's key, when this (first) start created it. */
  agentKeyFile?: string;
  store: Store;
  reconciler: RunningReconciler;
}

/** The runtime's parts, or undefined when it was stopped before the gateway opened. */
function runningSystem(rt: Runtime): RunningSystem | undefined {
  const { registryUrl, gatewayUrl, adminTokenFile, agentKeyFile, store, reconciler } = rt;
  if (!registryUrl || !gatewayUrl || !adminTokenFile || !store || !reconciler) return undefined;
  return { registryUrl, gatewayUrl, adminTokenFile, firstStart: rt.firstStart, ...(agentKeyFile !== undefined ? { agentKeyFile } : {}), store, reconciler };
}

/** The stage an example's requested lifecycle needs approved, if any. */
function stageToApprove(spec: MCPServerSpec): ApprovableStage | undefined {
  switch (spec.lifecycle) {
    case 'approved-dev':
      return 'approved-dev';
    case 'approved-production':
    case 'monitored':
      return 'approved-production';
    case 'deprecated':
      return spec.environment === 'production' ? 'approved-production' : 'approved-dev';
    default:
      return undefined;
  }
}

/**
 * Applies manifests through the registry API, as a pipeline would, then — this
 * being the examples on a first start — approves the stage each server requests
 * as the bootstrap admin, through the same endpoint and record as `berth approve`
 * (so `berth describe` shows who approved them). Prints one line per object and approval.
 */
async function applyExamples(sys: RunningSystem, paths: string[], io: CommandIo): Promise<boolean> {
  const objects = await loadValidManifests(paths, io, 'up');
  if (!objects) return false;
  const token = (await readFile(sys.adminTokenFile, 'utf8')).trim();
  const client = new HttpRegistryClient({ baseUrl: sys.registryUrl, token });
  for (const obj of objects) {
    const { result } = await client.apply(obj);
    io.stdout.write(`  ${objectRef(obj.kind, obj.metadata.name)} ${result}\n`);
  }
  for (const obj of objects) {
    const stage = obj.kind === 'MCPServer' ? stageToApprove(obj.spec) : undefined;
    if (stage === undefined) continue;
    const { effective } = await client.decideStage(obj.metadata.name, { stage, decision: 'approved', note: 'example applied by berth up on first start' });
    io.stdout.write(`  ${objectRef(obj.kind, obj.metadata.name)} approved for ${stage} by the bootstrap admin (spec ${effective.spec8}; effective ${effective.effective})\n`);
  }
  return true;
}

async function currentSummary(sys: RunningSystem) {
  const { items } = await sys.store.list('MCPServer', { limit: 500 });
  return summarizeFleet(items, new Date());
}

const command: Command = {
  name: 'up',
  summary: 'run the whole system on this machine (registry, reconciler, local runtime, gateway)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      'state-dir': { type: 'string' },
      ...STORE_FLAGS,
      host: { type: 'string' },
      'registry-port': { type: 'string' },
      'gateway-port': { type: 'string' },
      'max-watchers-per-token': { type: 'string' },
      examples: { type: 'string', multiple: true },
      'no-examples': { type: 'boolean' },
      'log-level': { type: 'string' },
      once: { type: 'boolean' },
      'reset-admin-token': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...GATEWAY_AUTH_FLAGS,
      ...GATEWAY_EDGE_FLAGS,
      ...GATEWAY_LIMIT_FLAGS,
      ...GATEWAY_HEADER_FLAGS,
      ...SECRET_FLAGS,
      ...SANDBOX_FLAGS,
      ...REMOTE_ADDRESS_FLAGS,
      ...OIDC_LOGIN_FLAGS,
      ...DASHBOARD_FLAGS,
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const stateDir = resolve(io.cwd, values['state-dir'] ?? '.berth');
    const host = values.host ?? '127.0.0.1';
    const sandbox = sandboxModeFrom(values);
    const allowCommands = allowCommandsFrom(values);
    const registryPort = portFlag(values['registry-port'], 7070, '--registry-port');
    const gatewayPort = portFlag(values['gateway-port'], 8080, '--gateway-port');
    const maxWatchersPerToken = wholeNumberFlag(values['max-watchers-per-token'], '--max-watchers-per-token', DEFAULT_MAX_WATCHERS_PER_TOKEN, 'watch streams');
    const oidcLogin = await oidcLoginFromFlags(values, io, host);
    // One identity provider per process: with only the dashboard's sign-in configured (no audience), the gateway takes no tokens from it.
    const gatewayValues = oidcLogin !== undefined && values['oidc-audience'] === undefined && values['public-url'] === undefined ? { ...values, 'oidc-issuer': undefined } : values;
    const gatewayAuth = { ...gatewayAuthSettings(gatewayValues), ...gatewayEdgeSettings(values) };
    const gatewayLimits = gatewayLimitSettings(values, defaultMaxConnections);
    const trustedProxies = trustedProxiesFromFlags(values);
    const resolveSecret = secretResolverFromFlags(values, io, join(stateDir, 'secrets'));
    const allowRemote = allowRemoteFromFlags(values);
    const dashboard = dashboardFromFlags(values);
    if (oidcLogin !== undefined && dashboard === undefined) throw new UsageError('--oidc-client-id signs people in to the dashboard, which --no-dashboard turns off: drop one of them');
    const level = logLevel(values['log-level'], io.env);
    const examples = values['no-examples'] ? [] : (values.examples ?? DEFAULT_EXAMPLES).map((p) => resolve(io.cwd, p));
    for (const [i, dir] of examples.entries()) {
      if (values.examples && !existsSync(dir)) throw new UsageError(`--examples ${values.examples[i]}: no such file or folder`);
    }

    const store = await resolveStoreChoice(values, io, join(stateDir, 'registry.db'));
    // Servers never see Berth's secrets, wherever the flags put them (the state folder is hidden anyway).
    const hiddenPaths = pathsToHide({
      secretsDir: values['secrets-dir'] !== undefined ? resolve(io.cwd, values['secrets-dir']) : undefined,
      sqlitePath: store.location.adapter === 'sqlite' ? store.location.path : undefined,
    });

    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // Created on first start, so sessions outlive a restart and `berth gateway --session-key-file` replicas can share them.
    const sessionKeys = new SessionKeys((await ensureUpSessionKeyFile(stateDir)).keys);
    const logFile = join(stateDir, 'berth.log');
    const { logger, flush } = createLogger({ component: 'up', level, destination: { file: logFile }, env: io.env });

    io.stdout.write('berth: starting…\n');
    const adminTokenPath = join(stateDir, 'admin-token');
    const pendingMarker = join(stateDir, FIRST_START_PENDING);
    const hadAdminToken = existsSync(adminTokenPath);
    // The registry mints the admin token before a later part can fail (or Ctrl-C comes): the next start finishes the first start's job.
    const markUnfinishedFirstStart = async (): Promise<void> => {
      if (!hadAdminToken && existsSync(adminTokenPath)) await writeFile(pendingMarker, 'examples not applied yet; the next `berth up` applies them\n', { mode: 0o600 });
    };
    let rt: Runtime;
    // One Registry for the registry API's and the reconciler's metrics: the registry's /metrics serves both.
    const metrics = new Registry();
    try {
      rt = await startRuntime({
        logger,
        io,
        registry: { store, host, port: registryPort, stateDir, metrics, maxWatchersPerToken, ...(dashboard ? { dashboard: { ...dashboard, ...(oidcLogin ? { oidc: oidcLogin } : {}) } } : {}), ...(values['no-examples'] ? {} : { bootstrapAgent: EXAMPLE_AGENT }), ...(values['reset-admin-token'] ? { resetAdminToken: true } : {}) },
        // Servers listen where Berth does, but never on every interface.
        reconciler: { runtimes: { kind: 'local', stateDir, host: host === '0.0.0.0' ? '127.0.0.1' : host, sandbox, hiddenPaths, ...(allowCommands ? { allowCommands } : {}) }, leaseName: RECONCILER_LEASE, holderId: localHolderId(), metrics },
        // Agents' open SSE streams would hold shutdown for the default 5 s grace; on one machine a short grace is kinder.
        gateway: { host, port: gatewayPort, closeGraceMs: 1_000, metrics, trustedProxies, sessionKeys, ...gatewayAuth, limits: gatewayLimits },
        resolveSecret,
        allowRemote,
      });
    } catch (err) {
      flush();
      await markUnfinishedFirstStart();
      if (err instanceof CommandFailure && (err.exitCode === ExitCode.Unreachable || err.cause instanceof SandboxUnavailableError || err.cause instanceof ProviderUnavailableError)) throw err;
      io.stderr.write(`berth up: could not start: ${describeError(err)}\n`);
      io.stderr.write('Is another `berth up` running? Choose other ports with --registry-port / --gateway-port.\n');
      return ExitCode.Failed;
    }
    const sys = runningSystem(rt);
    if (!sys) {
      await markUnfinishedFirstStart();
      await rt.stop();
      flush();
      return ExitCode.Ok;
    }
    // Until the examples are applied, a stop of any kind leaves the first start unfinished.
    const firstStart = sys.firstStart || existsSync(pendingMarker);
    const reset = rt.registryServer?.adminTokenReset;
    if (sys.firstStart) await writeFile(pendingMarker, 'examples not applied yet; the next `berth up` applies them\n', { mode: 0o600 });
    const agentKeyFile = sys.agentKeyFile ?? (firstStart && existsSync(join(stateDir, 'agent-key')) ? join(stateDir, 'agent-key') : undefined);
    // Client commands run anywhere under this folder's parent find this registry (and only send its token there).
    await writeClientFile(stateDir, { server: sys.registryUrl, tokenFile: sys.adminTokenFile });
    try {
      io.stdout.write(
        [
          `  registry    ${sys.registryUrl}`,
          ...(dashboard ? [`  dashboard   ${sys.registryUrl}/ui/   (sign in with the admin token, or any reader, publisher or approver token${oidcLogin ? `, or with SSO through ${oidcLogin.issuer}` : ''})`] : []),
          `  store       ${store.location.display}`,
          `  gateway     ${sys.gatewayUrl}   (servers at ${sys.gatewayUrl}/mcp/<name>)`,
          `  admin token ${sys.adminTokenFile}${sys.firstStart ? '   (created now; readable only by you)' : reset ? `   (reset now: new token ${reset.tokenId}; revoked ${reset.revoked.join(', ') || 'none'})` : ''}`,
          ...(agentKeyFile !== undefined ? [`  agent key   ${agentKeyFile}   (agent ${EXAMPLE_AGENT}; send it as Authorization: Bearer)`] : []),
          `  logs        ${logFile}`,
          ...(rt.sandbox ? [`  sandbox     ${sandboxLine(rt.sandbox)}`] : []),
          '',
        ].join('\n'),
      );
      if (rt.sandbox?.kind === 'off') io.stderr.write(`berth up: ${sandboxLine(rt.sandbox)}\n`);
      const present = examples.filter((p) => existsSync(p));
      if (firstStart && present.length > 0) {
        io.stdout.write(
          `Applying ${present.map((p) => relative(io.cwd, p) || '.').join(', ')} and approving the stages the example servers request, as the bootstrap admin (${sys.firstStart ? 'first start' : 'finishing an earlier first start that stopped before this'}; --no-examples skips this):\n`,
        );
        if (!(await applyExamples(sys, present, io))) io.stderr.write('berth up: the examples are invalid; nothing was applied\n');
      }
      if (firstStart) await rm(pendingMarker, { force: true });
      return await watchSummary(sys, io, values.once ?? false);
    } finally {
      io.stdout.write('\nberth: stopping (every server process will be stopped)…\n');
      await rt.stop();
      flush();
      io.stdout.write('berth: stopped\n');
    }
  },
};

/**
 * Prints the summary when it changes (rewriting one line on a TTY) until aborted,
 * or until Ready with --once. It re-reads the fleet only after a registry write
 * (status included), so an idle `berth up` does not list every server four times a second.
 */
async function watchSummary(sys: RunningSystem, io: CommandIo, once: boolean): Promise<number> {
  const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  const started = Date.now();
  await firstPass(sys, io.signal);
  let last = '';
  let seen = -1;
  let allReady = false;
  while (!io.signal.aborted) {
    // Read before listing: a write landing in between is seen on the next turn.
    const version = await sys.store.currentVersion();
    if (version !== seen) {
      seen = version;
      const summary = await currentSummary(sys);
      const line = formatSummary(summary);
      allReady = summary.deployable > 0 && summary.ready === summary.deployable;
      if (line !== last) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        // On a terminal the line must fit its width (read each time: it may have been resized); a wrapped line is never erased.
        const fitted = tty ? formatSummary(summary, ((io.stdout as NodeJS.WriteStream).columns ?? 80) - `[${seconds}s] `.length - 1) : line;
        io.stdout.write(tty ? `\r\x1b[2K[${seconds}s] ${fitted}` : `[${seconds}s] ${line}\n`);
        last = line;
      }
    }
    if (once && (allReady || Date.now() - started > 60_000)) {
      if (tty) io.stdout.write('\n');
      if (!allReady && (await currentSummary(sys)).deployable === 0) {
        io.stderr.write('berth up: no server to deploy in the registry; apply manifests with `berth apply -f examples/manifests` (and approve them), or start a new state folder\n');
      }
      return allReady ? ExitCode.Ok : ExitCode.Failed;
    }
    // Wakes on the next write, on Ctrl-C, or after a second (--once's deadline needs a clock).
    await sys.store.waitForChange(seen, 1000, io.signal);
  }
  return ExitCode.Ok;
}

/** How long the summary waits for the reconciler's first pass before showing stored status anyway. */
const FIRST_PASS_WAIT_MS = 15_000;

/**
 * Waits until the reconciler leads and has been through every server once, so
 * the summary never shows the status a previous run left (after a crash or a
 * forced exit, stored status still says Ready for processes that are gone).
 * Bounded: if another reconciler holds the lease, stored status is all there is.
 */
async function firstPass(sys: RunningSystem, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + FIRST_PASS_WAIT_MS;
  // Unref'd and abortable: a wait left pending must neither keep the process alive nor outlast Ctrl-C.
  const wait = (ms: number) => sleep(ms, undefined, { ref: false, signal }).catch(() => undefined);
  while (!sys.reconciler.isLeader() && Date.now() < deadline && !signal.aborted) await wait(50);
  if (!sys.reconciler.isLeader() || signal.aborted) return;
  await Promise.race([sys.reconciler.idle(), wait(Math.max(0, deadline - Date.now()))]);
}

export default command;
