/**
 * Starts the gateway's HTTP server: the proxy (proxy.ts) on a node:http server
 * tuned for long-lived streams (no request timeout; SSE streams may last hours).
 * The listen address is the edge's too (its name, or the address connections
 * arrive at, is an allowed Host), and the server's open connections are counted
 * in the metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createProxy, type ProxyOptions } from './proxy.ts';
import type { RouteTable } from './route-table.ts';
import type { GatewayStep } from './pipeline.ts';

/** Options of {@link startGateway}. */
export interface GatewayOptions extends Omit<ProxyOptions, 'routeTable' | 'logger' | 'steps'> {
  routeTable: RouteTable;
  /** Interface to listen on, e.g. "127.0.0.1" or "0.0.0.0". */
  host: string;
  /** Port; 0 picks a free one (see the returned `url`). */
  port: number;
  logger: Logger;
  steps?: readonly GatewayStep[];
  /** How long `close()` lets open streams finish before cutting them. Default 5 s. */
  closeGraceMs?: number;
}

/** A running gateway. */
export interface RunningGateway {
  /** Base URL, e.g. "http://127.0.0.1:8080"; a server is at `${url}/mcp/<name>`. */
  url: string;
  /** The port actually bound. */
  port: number;
  /**
   * Stops accepting connections, closes idle ones, lets in-flight requests finish
   * for up to `closeGraceMs`, then cuts whatever is left (long SSE streams) and
   * closes the upstream pools. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts the gateway.
 * @example
 * const gw = await startGateway({ routeTable, host: '127.0.0.1', port: 0, logger });
 * console.log(`gateway at ${gw.url}`); … await gw.close();
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const proxy = createProxy({ ...opts, edge: { ...opts.edge, listenHost: opts.host } });
  const server = http.createServer(
    {
      requestTimeout: 0, // SSE streams are long-lived by design
      headersTimeout: 30_000,
      keepAliveTimeout: 65_000,
      noDelay: true,
    },
    proxy.handle,
  );
  proxy.countConnectionsOf(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new Error(`gateway could not listen on ${opts.host}:${opts.port}`, { cause })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  const url = `http://${hostForUrl}:${port}`;
  opts.logger.info({ url }, 'gateway listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 5_000);
        server.close(() => {
          clearTimeout(grace);
          void proxy.close().then(resolve, resolve);
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
