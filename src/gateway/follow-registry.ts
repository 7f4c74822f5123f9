/**
 * Keeps a {@link RouteTable} in step with the registry: list, then watch from the
 * listed version; relist when the registry says the version is too old
 * (GoneError); reconnect with capped exponential backoff (with jitter) on any
 * other failure. Watch events are applied the moment they arrive, so a status
 * change reaches the table as fast as the registry's watch delivers it.
 */
import type { Logger } from 'pino';
import type { MCPServer } from '../manifest/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { GoneError } from '../registry/store.ts';
import type { RouteTable } from './route-table.ts';

/** Options of {@link followRegistry}. */
export interface FollowRegistryOptions {
  /** Stops following when aborted; the returned promise then resolves. */
  signal: AbortSignal;
  logger: Logger;
  /** First reconnect delay; default 100 ms. */
  initialBackoffMs?: number;
  /** Cap of the reconnect delay; default 5 s. */
  maxBackoffMs?: number;
  /** Waits `ms` or until `signal` aborts; injectable for tests. */
  delay?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called after every successful (re)list, once the table holds it. */
  onSynced?: (resourceVersion: number) => void;
}

/** Sleeps `ms`, resolving early (never rejecting) when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function listAll(client: RegistryClient): Promise<{ items: MCPServer[]; resourceVersion: number }> {
  const items: MCPServer[] = [];
  let page = await client.list('MCPServer');
  items.push(...(page.items as MCPServer[]));
  const resourceVersion = page.resourceVersion;
  while (page.continue) {
    page = await client.list('MCPServer', { continue: page.continue });
    items.push(...(page.items as MCPServer[]));
  }
  return { items, resourceVersion };
}

/**
 * Follows the registry's MCPServer objects into `table` until `opts.signal` aborts.
 * Never rejects: failures are logged and retried with backoff.
 *
 * @example
 * const ac = new AbortController();
 * const following = followRegistry(client, table, { signal: ac.signal, logger });
 * // … later
 * ac.abort(); await following;
 */
export async function followRegistry(client: RegistryClient, table: RouteTable, opts: FollowRegistryOptions): Promise<void> {
  const { signal, logger } = opts;
  const initial = opts.initialBackoffMs ?? 100;
  const cap = opts.maxBackoffMs ?? 5_000;
  const delay = opts.delay ?? abortableDelay;
  let version: number | undefined; // undefined: must (re)list
  let failures = 0;

  while (!signal.aborted) {
    try {
      if (version === undefined) {
        const listed = await listAll(client);
        table.replaceAll(listed.items);
        version = listed.resourceVersion;
        logger.debug({ servers: listed.items.length, resourceVersion: version }, 'route table synced from registry');
        opts.onSynced?.(version);
      }
      for await (const event of client.watch('MCPServer', version, signal)) {
        table.apply(event);
        version = event.resourceVersion;
        failures = 0;
      }
      // The watch ended cleanly (server closed it): watch again from where we are.
      failures = 0;
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof GoneError) {
        logger.info({ resourceVersion: version }, 'watch version too old; relisting MCPServers');
        version = undefined;
        continue;
      }
      const wait = Math.min(cap, initial * 2 ** failures) * (0.5 + Math.random() / 2);
      failures++;
      logger.warn({ err, attempt: failures, retryInMs: Math.round(wait) }, 'following the registry failed; retrying');
      await delay(wait, signal);
    }
  }
}
