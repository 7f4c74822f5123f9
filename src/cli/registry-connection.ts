/**
 * How the reconciler and the gateway of a `berth` process reach the registry:
 * the one place in the services' wiring that picks and builds a registry client
 * (in-process through the API handler, acting as the part's own principal, when
 * the registry runs in this process; HTTP with a token otherwise) and checks,
 * before anything starts, that the registry answers and the token may do what
 * the part needs.
 */
import { ForbiddenError, RegistryUnreachableError, UnauthorizedError } from '../client/errors.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import { GATEWAY_PRINCIPAL, RECONCILER_PRINCIPAL } from '../registry/in-process.ts';
import type { RunningRegistry } from '../registry/server.ts';
import { CommandFailure, ExitCode, type CommandIo } from './command.ts';
import { connectRegistry, describeClientError, type ClientFlags } from './config.ts';

/** A registry client and where it leads, for messages. */
export interface RegistryConnection {
  client: RegistryClient;
  /** The registry's base URL, or `in-process`. */
  url: string;
}

/** Where the registry is: running in this process (and which part asks), or over HTTP (client flags and environment). */
export type RegistryWhereabouts =
  | { local: RunningRegistry; part: 'reconciler' | 'gateway' }
  | {
      flags: ClientFlags;
      /**
       * What the token must allow: `gateway` (reads servers and policies, reviews
       * agent keys, files approvals, appends call records) or `admin` — the
       * reconciler's needs, which a controller or an admin token meets: it writes
       * status, finalizers and audit records and holds `lease` as `holderId`.
       */
      needs: { role: 'gateway' } | { role: 'admin'; lease: string; holderId: string };
    };

/**
 * The registry client for `where`.
 * @throws CommandFailure (exit 3) when the registry does not answer or refuses the token
 */
export async function connectRegistryClient(where: RegistryWhereabouts, io: Pick<CommandIo, 'env' | 'cwd'>): Promise<RegistryConnection> {
  if ('local' in where) {
    // Least privilege in one process too: the gateway's client may only do what a gateway does.
    return { client: where.local.clientFor(where.part === 'reconciler' ? RECONCILER_PRINCIPAL : GATEWAY_PRINCIPAL), url: 'in-process' };
  }
  const client = await connectRegistry(where.flags, io);
  try {
    await client.list('MCPServer', { limit: 1 });
    // Releasing a lease this fresh holder cannot hold changes nothing, but needs the controller (or admin) role.
    if (where.needs.role === 'admin') await client.releaseLease(where.needs.lease, where.needs.holderId);
    // Reviewing a key that cannot exist changes nothing, but needs the gateway (or admin) role.
    else await client.reviewToken({ tokenId: 'tok_000000000000', hash: '0'.repeat(64) });
  } catch (err) {
    if (err instanceof RegistryUnreachableError) throw new CommandFailure(ExitCode.Unreachable, err.message, { cause: err });
    if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
      if (where.needs.role === 'gateway') {
        const why = err instanceof UnauthorizedError ? describeClientError(err) ?? err.message : `the token is not a gateway token (${err.status} ${err.message})`;
        throw new CommandFailure(ExitCode.Unreachable, `${why}; the gateway reviews agent keys, files approvals and writes the call audit: pass --token with a gateway token (berth token create --role gateway)`, { cause: err });
      }
      const why = err instanceof UnauthorizedError ? 'the registry refused the token' : 'the token is neither a controller nor an admin token';
      throw new CommandFailure(
        ExitCode.Unreachable,
        `${why} (${err.status} ${err.message}); the reconciler writes status, finalizers, audit records and a lease: pass --token with a controller token (berth token create --role controller)`,
        { cause: err },
      );
    }
    throw err;
  }
  return { client, url: client.baseUrl };
}
