/**
 * `--secrets-dir`, taken by the commands that resolve the servers' header
 * secrets (`berth up`, `berth gateway`, `berth reconciler`: the gateway sends the
 * headers, the remote runtime's health checks too), and the resolver built from
 * it and the process's environment (secret-resolver.ts); AWS ARNs are read
 * through Secrets Manager and SSM (src/providers/ecs/secret-resolver.ts).
 */
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { SecretResolver } from '../gateway/index.ts';
import type { CommandIo } from './command.ts';
import { createSecretResolver } from './secret-resolver.ts';

/** The flags, for `parseFlags`. */
export const SECRET_FLAGS = {
  'secrets-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link SECRET_FLAGS}; `fallback` names the default folder, if any. */
export function secretFlagsUsage(fallback: string): string {
  return `  --secrets-dir DIR       folder the servers' file:<path> header secrets are read under
                          (default ${fallback}); env:BERTH_SECRET_<NAME> ones come from
                          the environment`;
}

/**
 * The resolver of this process: `env:` from `io.env`, `file:` under `--secrets-dir`
 * (relative to the working folder; `fallbackDir` when the flag is absent).
 * @example const resolveSecret = secretResolverFromFlags(values, io, join(stateDir, 'secrets'));
 */
export function secretResolverFromFlags(values: { 'secrets-dir'?: string | undefined }, io: Pick<CommandIo, 'env' | 'cwd'>, fallbackDir?: string): SecretResolver {
  const dir = values['secrets-dir'] !== undefined ? resolve(io.cwd, values['secrets-dir']) : fallbackDir;
  return createSecretResolver({ env: io.env, secretsDir: dir, resolveArn: lazyAwsResolver() });
}

/**
 * Reads `arn:` references through Secrets Manager and SSM clients of the ARN's
 * region (default credential chain; AWS_ENDPOINT_URL honoured). The SDKs are
 * loaded on the first ARN, so a machine that uses none never loads them.
 */
function lazyAwsResolver(): (arn: string) => Promise<string> {
  let resolver: Promise<(arn: string) => Promise<string>> | undefined;
  return async (arn) => {
    resolver ??= Promise.all([import('../providers/ecs/secret-resolver.ts'), import('./aws-clients.ts')]).then(([aws, clients]) =>
      aws.createAwsSecretResolver({ clientsFor: clients.createSecretClients }),
    );
    return (await resolver)(arn);
  };
}
