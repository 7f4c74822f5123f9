/**
 * The bootstrap tokens a deployment generated (the CDK app in infra/ keeps them in Secrets
 * Manager and the registry task receives them as environment variables):
 * `BERTH_BOOTSTRAP_ADMIN_TOKEN` and, optionally, `BERTH_BOOTSTRAP_GATEWAY_TOKEN`, each a
 * `berth_<id>_<secret>` token. `berth registry` stores them on the first start of an empty
 * store instead of minting an admin token into a file; once any token exists they are ignored.
 * Messages name the variable, never its value.
 *
 * @example
 * const given = bootstrapTokensFromEnv(io.env); // undefined when neither is set
 */
import { parseToken } from '../client/tokens.ts';
import type { GivenBootstrapTokens } from '../registry/auth/bootstrap.ts';
import { UsageError } from './command.ts';

/** The environment variables read, for usage text and messages. */
export const BOOTSTRAP_ADMIN_VAR = 'BERTH_BOOTSTRAP_ADMIN_TOKEN';
export const BOOTSTRAP_GATEWAY_VAR = 'BERTH_BOOTSTRAP_GATEWAY_TOKEN';

function read(env: Readonly<Record<string, string | undefined>>, name: string): { id: string; secret: string } | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = parseToken(value.trim());
  if (parsed === undefined) throw new UsageError(`${name} is not a Berth token: expected berth_tok_<12 lower-case letters or digits>_<43 letters or digits>; fix the secret it comes from or unset it`);
  return parsed;
}

/**
 * The given bootstrap tokens, or undefined when none is set.
 * @throws UsageError when a variable is set but malformed, or a gateway token comes without an admin token
 */
export function bootstrapTokensFromEnv(env: Readonly<Record<string, string | undefined>>): GivenBootstrapTokens | undefined {
  const admin = read(env, BOOTSTRAP_ADMIN_VAR);
  const gateway = read(env, BOOTSTRAP_GATEWAY_VAR);
  if (admin === undefined) {
    if (gateway !== undefined) throw new UsageError(`${BOOTSTRAP_GATEWAY_VAR} is set without ${BOOTSTRAP_ADMIN_VAR}: a first start needs an admin token too; set both or neither`);
    return undefined;
  }
  if (gateway !== undefined && gateway.id === admin.id) throw new UsageError(`${BOOTSTRAP_ADMIN_VAR} and ${BOOTSTRAP_GATEWAY_VAR} have the same token id; give each its own`);
  return { admin, ...(gateway !== undefined ? { gateway } : {}) };
}
