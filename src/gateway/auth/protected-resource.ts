/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the gateway, and the
 * `WWW-Authenticate` challenge that points clients at it, as the MCP
 * authorization spec asks: an MCP client that gets a 401 reads
 * `resource_metadata`, learns which authorization server issues tokens for this
 * gateway, and asks it for a token whose audience is the gateway (RFC 8707).
 *
 * The gateway is one protected resource: its public URL. Every MCP route under
 * it shares the one metadata document and the one token audience.
 */

/** The path the metadata document is served at. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/**
 * The metadata document for a gateway at `publicUrl` whose tokens come from `authorizationServers`.
 * @example protectedResourceMetadata('https://mcp.example.com', ['https://login.example.com'])
 * // { resource: 'https://mcp.example.com', authorization_servers: ['https://login.example.com'], bearer_methods_supported: ['header'], … }
 */
export function protectedResourceMetadata(publicUrl: string, authorizationServers: readonly string[]): Record<string, unknown> {
  return {
    resource: publicUrl,
    authorization_servers: [...authorizationServers],
    bearer_methods_supported: ['header'],
    resource_name: 'Berth MCP gateway',
  };
}

/** Where the metadata of a gateway at `publicUrl` is. */
export function resourceMetadataUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${PROTECTED_RESOURCE_PATH}`;
}

/**
 * The `WWW-Authenticate` value of a 401: the metadata URL, and when a presented
 * token was refused, RFC 6750's `error` and `error_description` (which must hold
 * no `"` or `\`; callers pass descriptions without them).
 * @example wwwAuthenticate('https://gw/.well-known/oauth-protected-resource', { error: 'invalid_token', description: 'the token has expired' })
 * // 'Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource", error="invalid_token", error_description="the token has expired"'
 */
export function wwwAuthenticate(metadataUrl: string, refused?: { error: string; description: string }): string {
  const base = `Bearer resource_metadata="${metadataUrl}"`;
  if (refused === undefined) return base;
  return `${base}, error="${refused.error}", error_description="${refused.description.replace(/["\\]/g, "'")}"`;
}
