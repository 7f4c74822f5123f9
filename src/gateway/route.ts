/**
 * Turns one MCPServer object into the gateway's view of it: where it is routed,
 * where traffic goes, and — when it must not get traffic — why, in words the
 * 503 response can carry.
 */
import { redactUserinfo } from '../kit/redact.ts';
import type { MCPServer } from '../manifest/types.ts';
import { unroutableReason } from '../manifest/routability.ts';
import { serverRoute, type ServerRoute } from '../manifest/route.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './limits.ts';
import { routeHeaderRules, type RouteHeaderRules } from './route-headers.ts';

/** Moved to the manifest room (the registry's access matrix shares it); re-exported for the gateway's callers. */
export { unroutableReason };

/** A parsed upstream URL, split once so the hot path never parses URLs. */
export interface UpstreamTarget {
  /** The endpoint as written in status, for logs and messages. */
  url: string;
  /** Path (and query) of the MCP endpoint on the upstream, e.g. "/mcp". */
  path: string;
  /** Value for the upstream `Host` header. */
  host: string;
  /** Scheme, host and port, e.g. "http://127.0.0.1:8080": the connection pool's key. */
  origin: string;
  /** A server hosted elsewhere (`spec.remote`): its connections' addresses are checked (upstream.ts). */
  guarded: boolean;
}

/**
 * The gateway's view of one server: its route (the manifest's route rule, see
 * src/manifest/route.ts), where traffic goes, and what its traffic is held to
 * ({@link ServerLimits}: the manifest's `spec.gateway`, else the gateway's
 * defaults). Immutable: a change makes a new Route.
 */
export interface Route extends ServerRoute, ServerLimits {
  /** Upstream endpoints; one today, several once servers have replicas. Empty when not routable. */
  targets: readonly UpstreamTarget[];
  /** True when traffic may flow. */
  routable: boolean;
  /**
   * When not routable: why, as a sentence naming the server and its condition,
   * e.g. `server "quote" is not Ready: Progressing/Starting — process starting`.
   */
  reason?: string;
  /** resourceVersion of the object this route was built from. */
  resourceVersion: string;
  /** The object itself, for the decisions that read its manifest (tools, scopes, access). */
  server: MCPServer;
  /** Credentials added upstream and the Set-Cookie opt-in, read from the manifest once (route-headers.ts). */
  headerRules: RouteHeaderRules;
}

/**
 * Parses an upstream endpoint URL.
 * @throws Error naming the server when the URL is not http(s).
 */
export function parseTarget(server: string, endpoint: string, guarded = false): UpstreamTarget {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch (cause) {
    throw new Error(`server "${server}" has an invalid status.endpoint ${JSON.stringify(redactUserinfo(endpoint))}`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`server "${server}" has status.endpoint ${redactUserinfo(endpoint)} with unsupported protocol ${u.protocol}; use http or https`);
  }
  return { url: redactUserinfo(endpoint), path: (u.pathname || '/') + u.search, host: u.host, origin: u.origin, guarded };
}


/**
 * Builds the Route for a server (routable or not), its limits from the manifest's
 * `spec.gateway` or else `defaults`, its header rules from the manifest. Never
 * throws: a bad endpoint makes it unroutable.
 * @example routeFromServer(quote, { maxRequestBodyBytes: 4 * 1024 * 1024, upstreamTimeoutMs: 60_000 })
 */
export function routeFromServer(server: MCPServer, defaults: ServerLimits = DEFAULT_SERVER_LIMITS): Route {
  const traffic = server.spec.gateway;
  const timeoutSeconds = traffic?.upstreamTimeoutSeconds;
  const base = {
    ...serverRoute(server),
    resourceVersion: server.metadata.resourceVersion ?? '0',
    server,
    maxRequestBodyBytes: traffic?.maxRequestBodyBytes ?? defaults.maxRequestBodyBytes,
    upstreamTimeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1_000 : defaults.upstreamTimeoutMs,
    headerRules: routeHeaderRules(server),
  };
  const reason = unroutableReason(server);
  if (reason) return { ...base, targets: [], routable: false, reason };
  try {
    return { ...base, targets: [parseTarget(base.name, server.status!.endpoint!, server.spec.remote !== undefined)], routable: true };
  } catch (e) {
    return { ...base, targets: [], routable: false, reason: (e as Error).message };
  }
}
