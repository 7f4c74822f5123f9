/**
 * Issuer discovery: from an issuer identifier to the URL of its signing keys.
 * The metadata document is fetched by the kit's {@link fetchIssuerMetadata}
 * (OpenID Connect Discovery, then RFC 8414; accepted only when its `issuer` is
 * the configured one); this adds the gateway's reading of it.
 */
import { fetchIssuerMetadata } from '../../kit/issuer-metadata.ts';
import { checkFetchableUrl } from './oidc-config.ts';
import { TokenRejectedError } from './token-rejected.ts';

/**
 * Fetches the issuer's metadata and returns its `jwks_uri`. Anything wrong —
 * the issuer unreachable, a server error, a document for another issuer, a
 * `jwks_uri` that is not https — throws {@link TokenRejectedError}
 * `issuer-unreachable` with the details in `cause`.
 * @example const jwks = await discoverJwksUri('https://idp.example.com', fetch, signal);
 */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch, signal: AbortSignal): Promise<URL> {
  try {
    const meta = await fetchIssuerMetadata(issuer, { fetch: fetchImpl, signal });
    if (typeof meta['jwks_uri'] !== 'string') throw new Error(`the discovery document of ${issuer} names no jwks_uri`);
    return checkFetchableUrl('jwks_uri', meta['jwks_uri']);
  } catch (cause) {
    throw new TokenRejectedError('issuer-unreachable', 'the token issuer could not be reached to check the token', { cause });
  }
}
