/**
 * Starts the gateway's HTTP server: the proxy (proxy.ts) on a node:http server
 * held to the edge's limits (limits.ts). A request must arrive within the
 * header and body timeouts, counted by node:http itself (`headersTimeout`,
 * `requestTimeout`: they cover receiving the request only, so a response
 * streaming for hours is never cut); a connection that never sends a byte is
 * held to the header timeout too. A kept-alive connection is closed when idle
 * for the idle timeout (`keepAliveTimeout`). Timed-out and unparsable requests
 * get a JSON-RPC error and a closed connection (client-error.ts), and the
 * connection caps close connections over them at once (connection-guard.ts).
 * The listen address is the edge's too (its name, or the address connections
 * arrive at, is an allowed Host).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { clientErrorHandler } from './client-error.ts';
import { guardConnections, type ConnectionCounts } from './connection-guard.ts';
import { DEFAULT_EDGE_LIMITS, type EdgeLimits } from './limits.ts';
import { createProxy, type ProxyOptions } from './proxy.ts';
import type { RouteTable } from './route-table.ts';
import type { GatewayStep } from './pipeline.ts';

/** Options of {@link startGateway}. */
export interface GatewayOptions extends Omit<ProxyOptions, 'routeTable' | 'logger' | 'steps' | 'sseKeepaliveMs'> {
  routeTable: RouteTable;
  /** Interface to listen on, e.g. "127.0.0.1" or "0.0.0.0". */
  host: string;
  /** Port; 0 picks a free one (see the returned `url`). */
  port: number;
  logger: Logger;
  steps?: readonly GatewayStep[];
  /** How long `close()` lets open streams finish before cutting them. Default 5 s. */
  closeGraceMs?: number;
  /** The edge's limits; each one absent is its default ({@link DEFAULT_EDGE_LIMITS}). Per-server limits are the route table's. */
  limits?: Partial<EdgeLimits>;
}

/** A running gateway. */
export interface RunningGateway {
  /** Base URL, e.g. "http://127.0.0.1:8080"; a server is at `${url}/mcp/<name>`. */
  url: string;
  /** The port actually bound. */
  port: number;
  /** Client connections open now and refused so far (a live view). */
  connections: ConnectionCounts;
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
  const limits: EdgeLimits = { ...DEFAULT_EDGE_LIMITS, ...opts.limits };
  const proxy = createProxy({ ...opts, edge: { ...opts.edge, listenHost: opts.host }, sseKeepaliveMs: limits.sseKeepaliveMs });
  const server = http.createServer(
    {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.headerTimeoutMs + limits.bodyTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // How often node:http looks for requests over those timeouts: a timeout is late by at most this.
      connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(Math.min(limits.headerTimeoutMs, limits.bodyTimeoutMs) / 4))),
      noDelay: true,
    },
    proxy.handle,
  );
  const counts = guardConnections(server, limits, opts.logger, proxy.metrics);
  proxy.metrics.countConnections(() => counts.open);
  server.on('clientError', clientErrorHandler(limits, () => proxy.metrics.timedOut()));
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
    connections: counts,
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
