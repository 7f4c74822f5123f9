/**
 * The issuer's signing keys, found through discovery once and then kept by jose's
 * remote JWKS: fetched on first use, refetched when older than
 * {@link JWKS_MAX_AGE_MS}, and refetched when a token names an unknown `kid`
 * unless the last fetch was less than the cooldown ago (so a stream of made-up
 * kids costs the issuer at most one request per cooldown). jose reads `Date.now`
 * for those timings, not the verifier's clock.
 *
 * Failing to reach the issuer is a typed rejection (`issuer-unreachable`), never
 * a crash, and a failed discovery is remembered for {@link DISCOVERY_RETRY_MS} so
 * an outage does not turn every request into a request to the issuer.
 */
import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../kit/clock.ts';
import { discoverJwksUri } from './discovery.ts';
import { TokenRejectedError } from './token-rejected.ts';

/** Keys older than this are refetched before the next check; the verifier caches tokens no longer, so removing a key takes effect within about twice this. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/** How long a failed discovery is answered from memory before the issuer is asked again. */
export const DISCOVERY_RETRY_MS = 1_000;

/** How long one JWKS fetch may take. */
const JWKS_TIMEOUT_MS = 5_000;

/** What {@link issuerKeys} needs. */
export interface IssuerKeysOptions {
  issuer: string;
  jwksCooldownMs: number;
  fetch: typeof fetch;
  clock: Pick<Clock, 'now'>;
  /** Aborts discovery and JWKS fetches in flight (the verifier closing). */
  signal: AbortSignal;
}

/**
 * Returns a function resolving to the issuer's key lookup for jose's `jwtVerify`.
 * Discovery runs on the first call (concurrent callers share it) and its result
 * is kept; a failure rejects with `issuer-unreachable` and is retried after
 * {@link DISCOVERY_RETRY_MS}. The lookup itself rejects with `issuer-unreachable`
 * when the JWKS cannot be fetched, and passes jose's key-selection errors on.
 * @example
 * const keys = issuerKeys({ issuer, jwksCooldownMs: 30_000, fetch, clock: systemClock, signal });
 * await jwtVerify(token, await keys(), options);
 */
export function issuerKeys(opts: IssuerKeysOptions): () => Promise<JWTVerifyGetKey> {
  let lookup: JWTVerifyGetKey | undefined;
  let pending: Promise<JWTVerifyGetKey> | undefined;
  let failed: { error: TokenRejectedError; at: number } | undefined;

  const discover = async (): Promise<JWTVerifyGetKey> => {
    try {
      lookup = jwksLookup(await discoverJwksUri(opts.issuer, opts.fetch, opts.signal), opts);
      return lookup;
    } catch (err) {
      failed = { error: err instanceof TokenRejectedError ? err : new TokenRejectedError('issuer-unreachable', 'the token issuer could not be reached to check the token', { cause: err }), at: opts.clock.now() };
      throw failed.error;
    } finally {
      pending = undefined;
    }
  };

  return async () => {
    if (lookup !== undefined) return lookup;
    if (failed !== undefined && opts.clock.now() - failed.at < DISCOVERY_RETRY_MS) throw failed.error;
    pending ??= discover();
    return pending;
  };
}

/** jose's remote JWKS at `url`, its fetch failures turned into `issuer-unreachable`. */
function jwksLookup(url: URL, opts: IssuerKeysOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: opts.jwksCooldownMs,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: (href, init) => opts.fetch(href, { ...init, signal: AbortSignal.any([init.signal, opts.signal]) }),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      // Key selection says something about the token; anything else is the issuer's JWKS failing us.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      throw new TokenRejectedError('issuer-unreachable', 'the token issuer keys could not be fetched to check the token', { cause: new Error(`fetching ${url.href}`, { cause: err }) });
    }
  };
}
