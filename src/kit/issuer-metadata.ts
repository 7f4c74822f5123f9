/**
 * An OpenID Connect / OAuth issuer's metadata document, fetched the one careful
 * way both the gateway (checking agents' access tokens) and the registry
 * (signing people in to the dashboard) need: OpenID Connect Discovery 1.0
 * (`<issuer>/.well-known/openid-configuration`) first, then RFC 8414's
 * locations; no redirects followed; a time limit per document; and a document
 * accepted only when its `issuer` equals the configured one exactly — a
 * provider answering for another issuer is how mix-up attacks start.
 */

/**
 * The JWS algorithms a token signed by an identity provider may use: public-key
 * signatures jose verifies through WebCrypto. Never `none` (unsigned) nor HS*
 * (shared secret: anyone holding the "key" could sign).
 */
export const ASYMMETRIC_JWS_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** How long one metadata document may take before the issuer counts as unreachable. */
export const ISSUER_METADATA_TIMEOUT_MS = 5_000;

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
 * Why `value` is not a URL Berth may fetch security material (keys, metadata,
 * tokens) from, or undefined when it is one: it must be absolute and https, or
 * http on a loopback host — over plain HTTP elsewhere anyone on the path could
 * swap the keys.
 * @example fetchableUrlProblem('http://idp.example.com') // 'http://idp.example.com must use https (plain http only on a loopback address)'
 */
export function fetchableUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not an absolute URL`;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return `${value} must use https (plain http only on a loopback address)`;
  return undefined;
}

/** How {@link fetchIssuerMetadata} reaches the issuer. */
export interface IssuerMetadataOptions {
  fetch: typeof fetch;
  /** Aborts the fetches (the caller closing). */
  signal?: AbortSignal;
  /** Per document; default {@link ISSUER_METADATA_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * Fetches `issuer`'s metadata document. A location answering 404 sends the
 * search on to the next one; anything else wrong — unreachable, a timeout, a
 * server error, not JSON, a document for another issuer — throws an Error whose
 * message names the URL and what was wrong (the network error in `cause`).
 * @example const meta = await fetchIssuerMetadata('https://idp.example.com', { fetch });
 * meta.token_endpoint // 'https://idp.example.com/oauth/token'
 */
export async function fetchIssuerMetadata(issuer: string, opts: IssuerMetadataOptions): Promise<Record<string, unknown>> {
  let notFound: unknown;
  for (const url of discoveryUrls(issuer)) {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? ISSUER_METADATA_TIMEOUT_MS);
    let response: Response;
    try {
      response = await opts.fetch(url, {
        headers: { accept: 'application/json' },
        // A redirect could lead anywhere; providers serve metadata at the well-known URL itself.
        redirect: 'manual',
        signal: opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout]),
      });
    } catch (cause) {
      throw new Error(`fetching ${url}${timeout.aborted ? ` took longer than ${opts.timeoutMs ?? ISSUER_METADATA_TIMEOUT_MS} ms` : ''}`, { cause });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      notFound = new Error(`${url} answered 404`);
      continue;
    }
    return metadataFrom(url, response, issuer);
  }
  throw new Error(`no discovery document for ${issuer}`, { cause: notFound });
}

/** One metadata response's document, after checking it speaks for `issuer`. */
async function metadataFrom(url: string, response: Response, issuer: string): Promise<Record<string, unknown>> {
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
  const meta = (typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  if (meta['issuer'] !== issuer) throw new Error(`${url} describes issuer ${JSON.stringify(meta['issuer'])}, not ${issuer}`);
  return meta;
}
