/**
 * The registry API without a socket, for parts that run in the registry's own
 * process (`berth up`'s reconciler and gateway) and for tests: the same hono app
 * the network reaches, called directly with a principal instead of a token.
 *
 * @example
 * const registry = openInProcessRegistry({ store, logger });
 * const client = registry.clientFor(RECONCILER_PRINCIPAL);
 * await client.list('MCPServer');
 * registry.close();
 */
import type { RemoteAddressPolicy } from '../manifest/remote-address.ts';
import { pino, type Logger } from 'pino';
import { InProcessRegistryClient, type RegistryHandler } from '../client/in-process-client.ts';
import type { Principal } from './auth/authenticate.ts';
import { createRegistryApp } from './api/app.ts';
import { IN_PROCESS_PRINCIPAL, type ApiApp } from './api/context.ts';
import { createRegistryMetrics } from './api/metrics.ts';
import type { Store } from './store.ts';

/** The principal of an in-process reconciler: the controller, which writes status, finalizers, audit and leases, and nothing else. */
export const RECONCILER_PRINCIPAL: Principal = { tokenId: 'system:reconciler', role: 'controller' };
/** The principal of an in-process gateway: reads servers and policies, and what a gateway does (see `mayActAsGateway`). */
export const GATEWAY_PRINCIPAL: Principal = { tokenId: 'system:gateway', role: 'gateway' };

/**
 * The API app's request handler acting as `principal`. Requests go through the
 * same routes, authorization, validation and error handler as network requests.
 */
export function inProcessHandler(app: ApiApp, principal: Principal): RegistryHandler {
  const env = { [IN_PROCESS_PRINCIPAL]: principal };
  return async (request) => app.fetch(request, env);
}

/** Options of {@link openInProcessRegistry}. */
export interface InProcessRegistryOptions {
  store: Store;
  logger?: Logger;
  /** Idle time before a watch yields a bookmark; default 15 s. */
  heartbeatMs?: number;
  /** Which addresses `spec.remote.url` may name (`--allow-remote`); default: the default rule, no allow-list. */
  remoteAddresses?: RemoteAddressPolicy;
}

/** An API app over a store with no socket; see the module comment. */
export interface InProcessRegistry {
  /** A client acting as `principal`. */
  clientFor(principal: Principal): InProcessRegistryClient;
  /** Ends watch streams and route claims' following; does not close the store. */
  close(): void;
}

/** Builds the API over `store` for in-process clients. */
export function openInProcessRegistry(opts: InProcessRegistryOptions): InProcessRegistry {
  const shutdown = new AbortController();
  const app = createRegistryApp({
    store: opts.store,
    logger: opts.logger ?? pino({ level: 'silent' }),
    metrics: createRegistryMetrics(opts.store),
    shutdownSignal: shutdown.signal,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.remoteAddresses !== undefined ? { remoteAddresses: opts.remoteAddresses } : {}),
  });
  return {
    clientFor: (principal) => new InProcessRegistryClient(inProcessHandler(app, principal)),
    close: () => shutdown.abort(new Error('in-process registry closed')),
  };
}
