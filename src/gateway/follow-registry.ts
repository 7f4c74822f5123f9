/**
 * Keeps a {@link RouteTable} in step with the registry through the one informer
 * (src/client/informer.ts: list, then watch, relist on "gone", reconnect with
 * backoff). Each change reaches the table the moment the informer sees it, so a
 * status change is routable as fast as the registry's watch delivers it.
 */
import type { Clock } from '../kit/clock.ts';
import { Informer, type InformerLogger, type ListWatchSource } from '../client/informer.ts';
import type { BackoffOptions } from '../kit/backoff.ts';
import type { RouteTable } from './route-table.ts';

/** Options of {@link followRegistry}. */
export interface FollowRegistryOptions {
  logger: InformerLogger;
  clock?: Clock;
  /** Reconnect backoff of the informer. */
  backoff?: Partial<BackoffOptions>;
}

/**
 * Starts following the registry's MCPServers into `table`; returns the running
 * informer (`await informer.synced()` before serving; `await informer.stop()` to stop).
 * Never fails: trouble is logged and retried with backoff.
 * @example
 * const following = followRegistry(client, table, { logger });
 * await following.synced();
 * // … later
 * await following.stop();
 */
export function followRegistry(source: ListWatchSource, table: RouteTable, opts: FollowRegistryOptions): Informer<'MCPServer'> {
  const informer = new Informer({
    source,
    kind: 'MCPServer',
    logger: opts.logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    onEvent: (event) => table.apply(event),
    onSynced: () => table.markSynced(),
  });
  informer.start();
  return informer;
}
