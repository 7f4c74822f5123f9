/**
 * The ECS runtime built from an environment config file: the one place that
 * reads `berth.config.yaml`, picks the environment, builds the SDK clients and
 * the ECS provider. Shared by `berth plan --provider ecs` and
 * `berth reconciler --provider ecs`, so both see AWS exactly alike.
 *
 * @example
 * const { ecs, providers, config } = await wireEcsRuntime({ configFile: 'infra/environments/production.yaml', environment: 'production', cwd, logger });
 * // providers = [ecs, remote]: servers hosted elsewhere are health-checked, not deployed
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { parse, YAMLError } from 'yaml';
import { describeYamlError } from '../manifest/yaml-source.ts';
import { createEcsProvider, EcsConfigError, parseEcsEnvironment, type EcsClients, type EcsEnvironmentConfig, type EcsProvider, type EcsProviderOptions } from '../providers/ecs/index.ts';
import type { SecretRef } from '../manifest/types.ts';
import type { RuntimeProvider } from '../providers/provider.ts';
import { createRemoteProvider } from '../providers/remote/index.ts';
import type { RemoteAddressPolicy } from '../manifest/remote-address.ts';
import { createAwsClients } from './aws-clients.ts';

/** Where the environment config is looked for when no --config is given. */
export const DEFAULT_ECS_CONFIG_FILE = 'berth.config.yaml';

/**
 * Reads `file` (YAML or JSON; relative to `cwd`) and returns environment `environment`.
 * Every problem is an {@link EcsConfigError} whose message names the file (and the
 * field, when one is wrong) and says how to fix it.
 */
export async function loadEcsEnvironment(file: string, environment: string, cwd: string): Promise<EcsEnvironmentConfig> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EcsConfigError(path, `cannot be read (${(err as Error).message}); pass --config with the path of the environment config (see infra/environments/production.yaml)`, { cause: err });
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    if (!(err instanceof YAMLError)) throw new EcsConfigError(path, `is not valid YAML: ${(err as Error).message}`, { cause: err });
    const { line, column, message } = describeYamlError(err, text);
    throw new EcsConfigError(`${path}:${line}:${column}`, `is not valid YAML: ${message}`, { cause: err });
  }
  return parseEcsEnvironment(data, environment, path);
}

/** Options of {@link wireEcsRuntime}. */
export interface EcsWiringOptions {
  /** Environment config file, relative to `cwd`. */
  configFile: string;
  /** The `environments.<name>` entry to serve. */
  environment: string;
  cwd: string;
  logger: Logger;
  /**
   * SDK clients to use. Default: {@link createAwsClients} for the config's region
   * (default credential chain, AWS_ENDPOINT_URL honoured). Tests inject clients
   * routed into the AWS fake.
   */
  clients?: EcsClients;
  /** Reads `spec.remote.headers` secrets for the remote runtime's health checks. */
  resolveSecret?: (ref: SecretRef) => Promise<string>;
  /** Which addresses the remote runtime's probes may connect to (`--allow-remote`); default: the default rule. */
  remoteAddresses?: RemoteAddressPolicy;
  /** Further provider options (clock, delay, limits) — tests and benchmarks. */
  provider?: Omit<Partial<EcsProviderOptions>, 'clients' | 'config' | 'logger'>;
}

/** The ECS runtime of one environment. */
export interface EcsWiring {
  config: EcsEnvironmentConfig;
  ecs: EcsProvider;
  /** In preference order for the reconciler: ECS first, then remote (servers hosted elsewhere). */
  providers: RuntimeProvider[];
}

/**
 * Loads the environment's settings and builds the ECS provider (plus the remote
 * provider) over `opts.clients` or fresh SDK clients. Reads only the config file;
 * makes no AWS call. Throws {@link EcsConfigError} for a bad config.
 */
export async function wireEcsRuntime(opts: EcsWiringOptions): Promise<EcsWiring> {
  const config = await loadEcsEnvironment(opts.configFile, opts.environment, opts.cwd);
  const clients = opts.clients ?? createAwsClients(config.region);
  const ecs = createEcsProvider({ ...opts.provider, clients, config, logger: opts.logger.child({ provider: 'ecs', environment: config.environment }) });
  const remote = createRemoteProvider({
    logger: opts.logger.child({ provider: 'remote' }),
    ...(opts.resolveSecret !== undefined ? { resolveSecret: opts.resolveSecret } : {}),
    ...(opts.remoteAddresses !== undefined ? { remoteAddresses: opts.remoteAddresses } : {}),
  });
  return { config, ecs, providers: [ecs, remote] };
}
