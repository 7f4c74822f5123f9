/**
 * How the reconciler and the gateway of a `berth` process reach the registry:
 * the one place in the services' wiring that picks and builds a registry client
 * class (in-process over the store when the registry runs in this process, HTTP
 * otherwise) and checks, before anything starts, that the registry answers and
 * the token may do what the part needs. Swap {@link connectRegistryClient} when the
 * client classes change; nothing else in the wiring names them.
 */
import type { RegistryClient } from '../registry/client.ts';
import { RegistryAuthError, RegistryUnreachableError } from '../registry/http-client.ts';
import { InProcessRegistryClient } from '../registry/in-process-client.ts';
import type { Store } from '../registry/store.ts';
import { CommandFailure, ExitCode, type CommandIo } from './command.ts';
import { connectRegistry } from './config.ts';

/** A registry client and where it leads, for messages. */
export interface RegistryConnection {
  client: RegistryClient;
  /** The registry's base URL, or `in-process`. */
  url: string;
}

/** Where the registry is: this process's store, or a registry over HTTP (client flags and environment). */
export type RegistryWhereabouts =
  | { store: Store }
  | {
      flags: { server?: string | undefined; token?: string | undefined };
      /**
       * What the token must allow: `read` (the gateway) or `admin` (the reconciler
       * writes status, audit records and holds `lease` as `holderId`).
       */
      needs: { role: 'read' } | { role: 'admin'; lease: string; holderId: string };
    };

/**
 * The registry client for `where`.
 * @throws CommandFailure (exit 3) when the registry does not answer or refuses the token
 */
export async function connectRegistryClient(where: RegistryWhereabouts, io: Pick<CommandIo, 'env' | 'cwd'>): Promise<RegistryConnection> {
  if ('store' in where) return { client: new InProcessRegistryClient(where.store), url: 'in-process' };
  const client = await connectRegistry(where.flags, io);
  try {
    await client.list('MCPServer', { limit: 1 });
    // Releasing a lease this fresh holder cannot hold changes nothing, but needs the admin role.
    if (where.needs.role === 'admin') await client.releaseLease(where.needs.lease, where.needs.holderId);
  } catch (err) {
    if (err instanceof RegistryUnreachableError) throw new CommandFailure(ExitCode.Unreachable, err.message, { cause: err });
    if (err instanceof RegistryAuthError) {
      if (where.needs.role === 'read') throw new CommandFailure(ExitCode.Unreachable, err.message, { cause: err });
      const why = err.status === 401 ? 'the registry refused the token' : 'the token is not an admin token';
      throw new CommandFailure(
        ExitCode.Unreachable,
        `${why} (${err.message}); the reconciler writes status, audit records and a lease: pass --token with an admin token (berth token create --role admin)`,
        { cause: err },
      );
    }
    throw err;
  }
  return { client, url: client.baseUrl };
}
