/**
 * The smallest Prometheus endpoint: `GET /metrics` answers one prom-client
 * Registry in the text format; any other path is 404, any other method on
 * /metrics 405. No token (Prometheus convention): what it serves are counts
 * labelled by provider and result, never names, specs or secrets. For processes
 * that have no HTTP API of their own to put /metrics on (`berth reconciler`).
 *
 * @example
 * const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 9464 });
 * server.url; // "http://127.0.0.1:9464/metrics"
 * await server.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  /** 0 picks a free port (see `url`). */
  port: number;
  /** Told when collecting fails (the scrape gets 500). */
  onError?: (err: unknown) => void;
}

/** A listening metrics server. */
export interface RunningMetricsServer {
  /** Where to scrape, e.g. "http://127.0.0.1:9464/metrics" (the real port when 0 was asked for). */
  url: string;
  /** Stops listening and resolves once open connections have ended. Idempotent. */
  close(): Promise<void>;
}

/** The metrics server could not listen (address in use, not permitted, …); the cause says why. */
export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
}

/** Starts serving `registry` at /metrics; resolves once listening, rejects with {@link MetricsServerError}. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server = createServer((req, res) => void answer(req, res, opts));
  // Scrapes are small and quick; a connection that dawdles is cut.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new MetricsServerError(`cannot serve metrics on ${opts.host}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}/metrics`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection alive between scrapes; don't wait for it to give up.
        server.closeIdleConnections();
      })),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://metrics').pathname;
  if (path !== '/metrics') return reply(res, 404, 'not found: only /metrics is served here\n');
  if (req.method !== 'GET') return reply(res, 405, 'method not allowed: use GET\n', { allow: 'GET' });
  try {
    const text = await opts.registry.metrics();
    reply(res, 200, text, { 'content-type': opts.registry.contentType });
  } catch (err) {
    opts.onError?.(err);
    reply(res, 500, 'collecting metrics failed\n');
  }
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
