/**
 * The gateway as a hardened edge: the first thing every request meets, before
 * anything of it is read, authenticated or forwarded, governed or not.
 *
 * 1. `/-/healthz` and `/-/readyz` are answered at once, whatever the Host:
 *    orchestrators probe an instance by its address, and the answers say nothing.
 * 2. The `Host` must be one of the gateway's names ({@link AllowedHosts}); else
 *    421 Misdirected Request, naming the host and the flag that allows it.
 * 3. A present `Origin` must be allowed ({@link OriginPolicy}); else 403.
 * 4. With CORS configured, a preflight is answered here (204), and the answer to
 *    any other request from an allowed origin carries the CORS headers (cors.ts).
 * 5. The rest of `/-/` (`/-/metrics`) is answered here.
 * Every answer is counted by status class, every refusal by reason (edge-metrics.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendError } from '../error-response.ts';
import { GatewayErrorCode } from '../json-rpc.ts';
import type { RouteTable } from '../route-table.ts';
import { AllowedHosts } from './allowed-hosts.ts';
import { parseAuthority, authorityKey } from './authority.ts';
import { answerPreflight, decorateCorsResponse, isPreflight } from './cors.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import { OriginPolicy } from './origin-policy.ts';
import { isOwnPath, isProbePath, serveOwnEndpoint, type OwnEndpointsState } from './own-endpoints.ts';

/** The edge's configuration (from `--public-url`, `--allowed-host`, `--cors-origin` and `--host`). */
export interface EdgeOptions {
  /** The gateway's public URLs: their hosts are allowed, their origins are the gateway's own. */
  publicUrls?: readonly string[];
  /** More allowed hosts: `name`, `name:port`, `*.domain[:port]`. */
  allowedHosts?: readonly string[];
  /** Origins browser pages may call from (`https://app.example.com`, `*`, `null`); CORS is off without any. */
  corsOrigins?: readonly string[];
  /** The address or name the gateway listens on; `startGateway` sets it. */
  listenHost?: string;
}

/** What the edge needs besides its options. */
export interface EdgeParts {
  routeTable: RouteTable;
  metrics: EdgeMetrics;
  logger: Logger;
}

/** The edge of one proxy; see the module comment. */
export class Edge {
  readonly #hosts: AllowedHosts;
  readonly #origins: OriginPolicy;
  readonly #cors: boolean;
  readonly #metrics: EdgeMetrics;
  readonly #own: OwnEndpointsState;
  readonly #counted: (this: ServerResponse) => void;

  /** @throws Error naming the entry when a public URL, allowed host or CORS origin is malformed. */
  constructor(opts: EdgeOptions, parts: EdgeParts) {
    const { routeTable, metrics, logger } = parts;
    this.#hosts = new AllowedHosts({ ...opts, listenHost: opts.listenHost ?? '', routeHost: (name) => routeTable.hasHost(name) });
    this.#origins = new OriginPolicy(opts);
    this.#cors = (opts.corsOrigins ?? []).length > 0;
    this.#metrics = metrics;
    this.#own = { routesLoaded: () => routeTable.synced, metrics: metrics.open, onMetricsError: (err) => logger.warn({ err }, 'collecting the gateway metrics failed') };
    // One listener function for every response: counting allocates nothing per request.
    this.#counted = function (this: ServerResponse) {
      metrics.responded(this);
    };
  }

  /**
   * Screens a request for `pathname` (no query): true when the edge answered it
   * (a probe, a refusal, a preflight, `/-/metrics`), false when the proxy carries on.
   */
  screen(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    res.on('close', this.#counted);
    const own = isOwnPath(pathname);
    if (own && isProbePath(pathname)) {
      serveOwnEndpoint(req, res, pathname, this.#own);
      return true;
    }
    const host = req.headers.host;
    if (!this.#hosts.allows(host, req.socket)) {
      this.#metrics.rejected('host');
      req.resume();
      // 421: this connection reached a server that is not the one the client named; it may retry elsewhere.
      sendError(res, 421, GatewayErrorCode.Rejected, hostRefusal(host), null, { connection: 'close' });
      return true;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const why = this.#origins.refusal(origin, host);
      if (why !== undefined) {
        this.#metrics.rejected('origin');
        req.resume();
        sendError(res, 403, GatewayErrorCode.Rejected, `${why}; nothing was forwarded`, null);
        return true;
      }
      if (this.#cors) {
        if (isPreflight(req)) {
          answerPreflight(req, res, origin);
          return true;
        }
        decorateCorsResponse(res, origin);
      }
    }
    if (own) {
      serveOwnEndpoint(req, res, pathname, this.#own);
      return true;
    }
    return false;
  }
}

/** The 421's message: which host was refused and which flag allows it. */
function hostRefusal(host: string | undefined): string {
  if (host === undefined) return 'the request has no Host header; HTTP/1.1 requires one naming the gateway';
  const parsed = parseAuthority(host);
  if (parsed === undefined) return `Host "${host.slice(0, 200)}" is not a host name; send the gateway's host name (and port)`;
  const shown = authorityKey(parsed);
  return (
    `Host "${shown}" is not a name of this gateway, so the request was refused and nothing was forwarded (the guard against DNS rebinding); ` +
    `if clients reach the gateway by that name, the operator adds it with --allowed-host ${shown} (or --public-url)`
  );
}
