/**
 * Issuer discovery: from an issuer identifier to the URL of its signing keys.
 * Tries OpenID Connect Discovery 1.0 (`<issuer>/.well-known/openid-configuration`),
 * then OAuth 2.0 Authorization Server Metadata (RFC 8414:
 * `<origin>/.well-known/oauth-authorization-server<issuer path>`), and accepts a
 * document only when its `issuer` equals the configured one exactly: a provider
 * answering for another issuer is how mix-up attacks start.
 */
import { checkFetchableUrl } from './oidc-config.ts';
import { TokenRejectedError } from './token-rejected.ts';

/** Discovery waits this long per document before calling the issuer unreachable. */
const DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * The metadata URLs to try for `issuer`, in order.
 * @example discoveryUrls('https://idp.example.com/realms/acme')
 * // ['https://idp.example.com/realms/acme/.well-known/openid-configuration',
 * //  'https://idp.example.com/.well-known/oauth-authorization-server/realms/acme',
 * //  'https://idp.example.com/.well-known/openid-configuration/realms/acme']
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const urls = [`${url.origin}${path}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
  // The MCP authorization spec also lists OIDC discovery with the path inserted, as RFC 8414 does it.
  if (path !== '') urls.push(`${url.origin}/.well-known/openid-configuration${path}`);
  return urls;
}

/**
 * Fetches the issuer's metadata and returns its `jwks_uri`. A document that is
 * missing (404) sends discovery on to the next URL; anything else wrong — the
 * issuer unreachable, a server error, a document for another issuer, a `jwks_uri`
 * that is not https — throws {@link TokenRejectedError} `issuer-unreachable` with
 * the details in `cause`.
 * @example const jwks = await discoverJwksUri('https://idp.example.com', fetch, signal);
 */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch, signal: AbortSignal): Promise<URL> {
  let notFound: unknown;
  for (const url of discoveryUrls(issuer)) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept: 'application/json' },
        // A redirect could lead anywhere; providers serve metadata at the well-known URL itself.
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(DISCOVERY_TIMEOUT_MS)]),
      });
    } catch (cause) {
      throw unreachable(new Error(`fetching ${url}`, { cause }));
    }
    if (response.status === 404) {
      await response.body?.cancel();
      notFound = new Error(`${url} answered 404`);
      continue;
    }
    try {
      return await jwksUriFrom(url, response, issuer);
    } catch (cause) {
      throw unreachable(cause);
    }
  }
  throw unreachable(new Error(`no discovery document for ${issuer}`, { cause: notFound }));
}

/** The `jwks_uri` of one metadata response, after checking it speaks for `issuer`. */
async function jwksUriFrom(url: string, response: Response, issuer: string): Promise<URL> {
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${url} answered HTTP ${response.status}`);
  }
  let doc: unknown;
  try {
    doc = await response.json();
  } catch (cause) {
    throw new Error(`${url} did not answer JSON`, { cause });
  }
  const meta = (typeof doc === 'object' && doc !== null ? doc : {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (meta.issuer !== issuer) throw new Error(`${url} describes issuer ${JSON.stringify(meta.issuer)}, not ${issuer}`);
  if (typeof meta.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
  return checkFetchableUrl('jwks_uri', meta.jwks_uri);
}

function unreachable(cause: unknown): TokenRejectedError {
  return new TokenRejectedError('issuer-unreachable', 'the token issuer could not be reached to check the token', { cause });
}
