/**
 * What one server's manifest says about the headers crossing the gateway: the
 * credentials the gateway adds to every request it forwards (`spec.remote.headers`
 * for a server hosted elsewhere, `spec.runtime.headers` for one Berth runs; one
 * code path for both), and whether the server's `Set-Cookie` reaches clients
 * (`spec.gateway.forwardSetCookie`). Computed once per route, so the hot path
 * reads fields and never the manifest.
 */
import type { MCPServer, SecretRef } from '../manifest/types.ts';

/** A server's header rules. Immutable. */
export interface RouteHeaderRules {
  /** Headers the gateway adds upstream, each from a secret reference (never a value). Empty for most servers. */
  readonly upstreamHeaders: readonly SecretRef[];
  /**
   * Their names in lower case, or undefined when there are none: a client's
   * header of one of these names is never forwarded, and an upstream's response
   * header of one of these names never reaches the client.
   */
  readonly upstreamHeaderNames: readonly string[] | undefined;
  /** Pass the upstream's `Set-Cookie` to clients (off by default). */
  readonly forwardSetCookie: boolean;
}

/** The rules of a server that asks for nothing: one shared object. */
const PLAIN: RouteHeaderRules = Object.freeze({ upstreamHeaders: Object.freeze([]), upstreamHeaderNames: undefined, forwardSetCookie: false });

/**
 * The header rules of `server`.
 * @example
 * routeHeaderRules(crm) // { upstreamHeaders: [{ name: 'Authorization', valueFrom: 'env:CRM_TOKEN' }], upstreamHeaderNames: ['authorization'], forwardSetCookie: false }
 */
export function routeHeaderRules(server: MCPServer): RouteHeaderRules {
  const spec = server.spec;
  const refs = spec.remote?.headers ?? spec.runtime?.headers ?? [];
  const forwardSetCookie = spec.gateway?.forwardSetCookie === true;
  if (refs.length === 0 && !forwardSetCookie) return PLAIN;
  return {
    upstreamHeaders: refs,
    upstreamHeaderNames: refs.length === 0 ? undefined : refs.map((r) => r.name.toLowerCase()),
    forwardSetCookie,
  };
}
