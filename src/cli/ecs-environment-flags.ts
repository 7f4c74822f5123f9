/**
 * `--environment ENV [--config FILE]`, the flags that pick one ECS environment
 * from its config file: parsed and checked alike wherever a command reads ECS
 * (`berth logs --provider ecs`, `berth registry --logs-provider ecs`), so the
 * same mistake gets the same message everywhere.
 */
import type { Environment } from '../manifest/types.ts';
import { UsageError } from './command.ts';
import { environmentFlag } from './config.ts';
import { DEFAULT_ECS_CONFIG_FILE } from './ecs-wiring.ts';

/** parseFlags options for {@link ecsEnvironmentFromFlags}. */
export const ECS_ENVIRONMENT_FLAGS = {
  environment: { type: 'string' },
  config: { type: 'string' },
} as const;

/** Which environment of which config file to read. */
export interface EcsEnvironmentChoice {
  environment: Environment;
  /** Relative to the command's cwd; default {@link DEFAULT_ECS_CONFIG_FILE}. */
  configFile: string;
}

/**
 * The choice, when `ecs` is true (the command's provider flag, named `providerFlag`,
 * says ecs); otherwise undefined, refusing `--environment` / `--config` given
 * without it. @throws UsageError naming the flag that is missing or wrong
 */
export function ecsEnvironmentFromFlags(values: { environment?: string | undefined; config?: string | undefined }, ecs: boolean, providerFlag: string): EcsEnvironmentChoice | undefined {
  if (!ecs) {
    if (values.environment !== undefined || values.config !== undefined) throw new UsageError(`--environment and --config choose an ECS environment: add ${providerFlag} ecs`);
    return undefined;
  }
  const environment = environmentFlag(values.environment);
  if (environment === undefined) throw new UsageError(`${providerFlag} ecs needs --environment: a config file describes one AWS environment at a time`);
  return { environment, configFile: values.config ?? DEFAULT_ECS_CONFIG_FILE };
}
