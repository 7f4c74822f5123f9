/**
 * The gateway's check of OIDC / OAuth 2.1 access tokens (JWTs) from any
 * standards-compliant identity provider: keys found by discovery and kept by
 * jose's remote JWKS, the signature checked with a pinned list of asymmetric
 * algorithms, then `iss`, `aud` (the gateway's resource URI, RFC 8707), `exp`
 * (required) and `nbf` with a small clock tolerance, and finally the claims
 * mapped to an agent, a user and groups.
 *
 * Verified tokens are cached by their text until their `exp` (and never more than
 * {@link JWKS_MAX_AGE_MS}), so a token seen before costs a Map lookup and a
 * time comparison; refusals are never cached.
 */
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { systemClock, type Clock } from '../../kit/clock.ts';
import { issuerKeys, JWKS_MAX_AGE_MS } from './issuer-keys.ts';
import { identityFromClaims, type JwtIdentity } from './jwt-identity.ts';
import { resolveOidcConfig, type OidcConfig } from './oidc-config.ts';
import { rejectionFor } from './rejection.ts';
import { VerifiedTokenCache } from './token-cache.ts';
import { TokenRejectedError } from './token-rejected.ts';

/** Verified tokens kept at most; the least recently used go first. */
const MAX_CACHED_TOKENS = 10_000;

/** Longer than any access token a provider issues (even with many groups), short enough that the cache stays bounded in bytes. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/** What the verifier reaches the outside world through; tests pass their own. */
export interface OidcVerifierDeps {
  /** Used for discovery and JWKS requests. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** The time `exp`, `nbf` and the token cache are judged by. Default: the system clock. */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Checks bearer tokens for the gateway.
 * @example
 * const verifier = createOidcVerifier({ issuer: 'https://idp.example.com', audience: 'https://mcp.example.com' });
 * try {
 *   const who = await verifier.verify(bearerToken); // { kind: 'jwt', agent: 'sales-bot', user: 'alice', groups: ['sales'], … }
 * } catch (err) {
 *   if (err instanceof TokenRejectedError) // 401 with err.message as error_description (503 for issuer-unreachable)
 * }
 * verifier.close();
 */
export interface OidcVerifier {
  /**
   * The identity `token` (the bearer token's text, without `Bearer `) proves.
   * Rejects with {@link TokenRejectedError} for every token it refuses and when
   * the issuer cannot be reached; any other rejection is a bug.
   */
  verify(token: string): Promise<JwtIdentity>;
  /** Forgets cached tokens and aborts fetches in flight; `verify` throws afterwards. */
  close(): void;
}

/**
 * Builds a verifier for one issuer. Checks `config` at once (throwing
 * `OidcConfigError`, e.g. for `algorithms: ['HS256']`), but fetches nothing until
 * the first token arrives, so the gateway starts while the issuer is down.
 * @example const verifier = createOidcVerifier(config, { fetch: countingFetch, clock: manualClock });
 */
export function createOidcVerifier(config: OidcConfig, deps: OidcVerifierDeps = {}): OidcVerifier {
  const cfg = resolveOidcConfig(config);
  const clock = deps.clock ?? systemClock;
  const closing = new AbortController();
  const keys = issuerKeys({ issuer: cfg.issuer, jwksCooldownMs: cfg.jwksCooldownMs, fetch: deps.fetch ?? globalThis.fetch, clock, signal: closing.signal });
  const cache = new VerifiedTokenCache<JwtIdentity>(MAX_CACHED_TOKENS);
  const options: JWTVerifyOptions = {
    issuer: cfg.issuer,
    audience: cfg.audience,
    algorithms: cfg.algorithms,
    clockTolerance: cfg.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };

  return {
    async verify(token) {
      if (closing.signal.aborted) throw new Error('the OIDC verifier is closed');
      const now = clock.now();
      const known = cache.get(token, now);
      if (known !== undefined) return known;
      if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError('malformed', 'the token is not a well-formed signed JWT');
      try {
        const { payload } = await jwtVerify(token, await keys(), { ...options, currentDate: new Date(now) });
        const identity = identityFromClaims(payload, cfg);
        cache.set(token, identity, Math.min(identity.expiresAt, now + JWKS_MAX_AGE_MS), now);
        return identity;
      } catch (err) {
        throw rejectionFor(err);
      }
    },
    close() {
      closing.abort();
      cache.clear();
    },
  };
}
