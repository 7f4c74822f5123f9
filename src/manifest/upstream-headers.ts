/**
 * The rule for the headers a manifest asks the gateway to add upstream
 * (`spec.remote.headers`, `spec.runtime.headers`), written once: which names the
 * gateway keeps for itself. Those describe the connection or the request's route
 * through the proxies, so the gateway sets them (or drops them) and a manifest
 * may not: a credential named `Host` or `Connection` would break the request, and
 * one named `X-Forwarded-For` would let a manifest forge where calls come from.
 */

/** Header names (lower case) the gateway sets or drops itself; a manifest may not add them. */
export const GATEWAY_MANAGED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'last-event-id',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'forwarded',
  // Hop-by-hop (RFC 9110 §7.6.1): they describe one connection and are never forwarded.
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Why the gateway may not add a header called `name` upstream, or undefined when it may.
 * @example managedHeaderReason('Host') // 'the gateway sets `Host` itself …'
 */
export function managedHeaderReason(name: string): string | undefined {
  if (!GATEWAY_MANAGED_HEADERS.has(name.toLowerCase())) return undefined;
  return `the gateway sets or drops \`${name}\` itself (it describes the connection, the request or its route through proxies), so a manifest cannot add it; use the header the server reads its credential from, e.g. \`Authorization\` or \`X-Api-Key\``;
}
