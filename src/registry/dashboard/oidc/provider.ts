/**
 * The identity provider as the sign-in sees it: its endpoints, read once from
 * its discovery document (kept {@link METADATA_MAX_AGE_MS}; a failure is
 * retried on the next sign-in, after {@link DISCOVERY_RETRY_MS}), and its
 * signing keys, kept by jose's remote JWKS (refetched when a token names an
 * unknown key, at most once per cooldown).
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { describeError } from '../../../kit/errors.ts';
import { fetchableUrlProblem, fetchIssuerMetadata } from '../../../kit/issuer-metadata.ts';

/** How long discovered endpoints are used before the document is read again (providers rarely move them). */
export const METADATA_MAX_AGE_MS = 60 * 60_000;

/** After a failed discovery, sign-ins fail from memory this long before the provider is asked again. */
export const DISCOVERY_RETRY_MS = 5_000;

/** How long one JWKS fetch may take. */
const JWKS_TIMEOUT_MS = 5_000;

/** What the sign-in uses of the provider. */
export interface ProviderEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The provider's signing keys, for jose's `jwtVerify`. */
  keys: JWTVerifyGetKey;
}

/**
 * The provider could not be discovered: unreachable, slow, or its document is
 * unusable. The message names the issuer and what was wrong.
 * @example throw new ProviderUnavailableError('https://idp.example.com', 'fetching …/.well-known/openid-configuration: ECONNREFUSED');
 */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  readonly issuer: string;
  constructor(issuer: string, problem: string, options?: { cause?: unknown }) {
    super(`the identity provider ${issuer} cannot be used: ${problem}`, options);
    this.issuer = issuer;
  }
}

/** What {@link providerEndpoints} needs. */
export interface ProviderOptions {
  issuer: string;
  fetch: typeof fetch;
  /** Epoch milliseconds; the cache's clock. */
  now: () => number;
  /** Aborts fetches in flight (the registry shutting down). */
  signal?: AbortSignal;
}

/**
 * Returns a function resolving to the provider's endpoints and keys, discovered
 * on first use (concurrent callers share one discovery) and kept for
 * {@link METADATA_MAX_AGE_MS}.
 * @throws ProviderUnavailableError (from the returned function) naming the issuer and the problem
 * @example
 * const endpoints = providerEndpoints({ issuer, fetch, now: Date.now });
 * const { authorizationEndpoint } = await endpoints();
 */
export function providerEndpoints(opts: ProviderOptions): () => Promise<ProviderEndpoints> {
  let known: { endpoints: ProviderEndpoints; at: number } | undefined;
  let failed: { error: ProviderUnavailableError; at: number } | undefined;
  let pending: Promise<ProviderEndpoints> | undefined;

  const discover = async (): Promise<ProviderEndpoints> => {
    try {
      const endpoints = await discoverEndpoints(opts);
      known = { endpoints, at: opts.now() };
      failed = undefined;
      return endpoints;
    } catch (err) {
      const error = err instanceof ProviderUnavailableError ? err : new ProviderUnavailableError(opts.issuer, describeError(err), { cause: err });
      failed = { error, at: opts.now() };
      throw error;
    } finally {
      pending = undefined;
    }
  };

  return async () => {
    const now = opts.now();
    if (known !== undefined && now - known.at < METADATA_MAX_AGE_MS) return known.endpoints;
    if (known === undefined && failed !== undefined && now - failed.at < DISCOVERY_RETRY_MS) throw failed.error;
    pending ??= discover();
    // A provider briefly down at refresh time should not stop sign-ins that the endpoints still known would serve.
    return known === undefined ? pending : pending.catch(() => known!.endpoints);
  };
}

async function discoverEndpoints(opts: ProviderOptions): Promise<ProviderEndpoints> {
  const meta = await fetchIssuerMetadata(opts.issuer, { fetch: opts.fetch, ...(opts.signal ? { signal: opts.signal } : {}) });
  const url = (field: string): string => {
    const value = meta[field];
    if (typeof value !== 'string') throw new ProviderUnavailableError(opts.issuer, `its discovery document names no ${field}`);
    const problem = fetchableUrlProblem(value);
    if (problem !== undefined) throw new ProviderUnavailableError(opts.issuer, `${field}: ${problem}`);
    return value;
  };
  const methods = meta['code_challenge_methods_supported'];
  // Absent means "not stated" (many providers support PKCE without saying so); a list without S256 means no.
  if (Array.isArray(methods) && !methods.includes('S256')) {
    throw new ProviderUnavailableError(opts.issuer, `it does not support PKCE with S256 (code_challenge_methods_supported: ${JSON.stringify(methods)}); enable PKCE for the client at the provider`);
  }
  const jwksUri = new URL(url('jwks_uri'));
  const keys = createRemoteJWKSet(jwksUri, {
    timeoutDuration: JWKS_TIMEOUT_MS,
    cacheMaxAge: METADATA_MAX_AGE_MS,
    [customFetch]: (href, init) => opts.fetch(href, opts.signal ? { ...init, signal: AbortSignal.any([init.signal, opts.signal]) } : init),
  });
  return { authorizationEndpoint: url('authorization_endpoint'), tokenEndpoint: url('token_endpoint'), keys };
}

/**
 * Discovers `issuer` once, as a start-up check: resolves when its endpoints and
 * keys URL are usable.
 * @throws ProviderUnavailableError naming the issuer and what is wrong
 * @example await checkIdentityProvider('https://login.example.com/realms/acme');
 */
export async function checkIdentityProvider(issuer: string, fetchImpl: typeof fetch = globalThis.fetch): Promise<void> {
  await providerEndpoints({ issuer, fetch: fetchImpl, now: Date.now })();
}
