/**
 * What the gateway needs to know to trust an identity provider's access tokens,
 * and the one check of it. A bad configuration fails when the verifier is built,
 * naming the field, rather than letting every request fail later — and some
 * configurations (unsigned tokens, shared-secret algorithms) are refused outright
 * because they would let anyone mint a token.
 */
import { ASYMMETRIC_JWS_ALGORITHMS, fetchableUrlProblem } from '../../kit/issuer-metadata.ts';

/**
 * The identity provider the gateway trusts and how its claims map to agents.
 * @example
 * const config: OidcConfig = {
 *   issuer: 'https://login.example.com/realms/acme',
 *   audience: 'https://mcp.example.com',          // the gateway's resource URI (RFC 8707)
 *   groupsClaim: 'roles',
 * };
 */
export interface OidcConfig {
  /** The issuer identifier, exactly as the provider's discovery document and tokens' `iss` state it. https, or http on a loopback address (tests). */
  issuer: string;
  /** The gateway's own resource URI (RFC 8707); a token is accepted when its `aud` names one of these. */
  audience: string | string[];
  /** Signature algorithms accepted. Default {@link DEFAULT_ALGORITHMS}. Asymmetric only: `none` and HS* are refused. */
  algorithms?: string[];
  /** Claims naming the agent (the OAuth client), first present wins. Default `['azp', 'client_id']`. */
  agentClaims?: string[];
  /** Claim naming the human user on whose behalf the agent acts. Default `'sub'`. */
  userClaim?: string;
  /** Claim holding the caller's groups (an array of strings, or one string). Default `'groups'`. */
  groupsClaim?: string;
  /** Allowed clock skew for `exp` and `nbf`, 0–300 seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches caused by unknown key ids. Default 30,000 ms. */
  jwksCooldownMs?: number;
}

/** {@link OidcConfig} with every default filled in and the audience as a list. */
export interface ResolvedOidcConfig {
  issuer: string;
  audience: string[];
  algorithms: string[];
  agentClaims: string[];
  userClaim: string;
  groupsClaim: string;
  clockToleranceSeconds: number;
  jwksCooldownMs: number;
}

/** Algorithms accepted when the configuration names none: what common identity providers sign with. */
export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

/** Every algorithm a configuration may name. */
const ASYMMETRIC: ReadonlySet<string> = new Set(ASYMMETRIC_JWS_ALGORITHMS);

/**
 * A configuration the verifier refuses to start with; `field` names what to fix.
 * @example
 * createOidcVerifier({ issuer, audience, algorithms: ['HS256'] });
 * // throws OidcConfigError: OIDC configuration: algorithms: HS256 is a shared-secret algorithm; …
 */
export class OidcConfigError extends Error {
  override readonly name = 'OidcConfigError';
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`OIDC configuration: ${field}: ${problem}`);
    this.field = field;
  }
}

/**
 * Checks `config` and fills in its defaults; throws {@link OidcConfigError} naming
 * the first bad field.
 * @example resolveOidcConfig({ issuer: 'https://idp.example.com', audience: 'https://mcp.example.com' }).algorithms // ['RS256', 'ES256', 'PS256', 'EdDSA']
 */
export function resolveOidcConfig(config: OidcConfig): ResolvedOidcConfig {
  const issuerUrl = checkFetchableUrl('issuer', config.issuer);
  // OpenID Connect Discovery §3 and RFC 8414 §2: an issuer identifier has no query or fragment.
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') throw new OidcConfigError('issuer', `${config.issuer} must have no query or fragment`);
  const audience = typeof config.audience === 'string' ? [config.audience] : config.audience;
  if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
    throw new OidcConfigError('audience', 'must be the gateway resource URI (a non-empty string or list of strings)');
  }
  const algorithms = config.algorithms ?? [...DEFAULT_ALGORITHMS];
  if (algorithms.length === 0) throw new OidcConfigError('algorithms', 'must name at least one algorithm');
  for (const alg of algorithms) checkAlgorithm(alg);
  const agentClaims = config.agentClaims ?? ['azp', 'client_id'];
  if (agentClaims.length === 0 || agentClaims.some((c) => typeof c !== 'string' || c === '')) {
    throw new OidcConfigError('agentClaims', 'must name at least one claim');
  }
  const userClaim = nonEmpty('userClaim', config.userClaim ?? 'sub');
  const groupsClaim = nonEmpty('groupsClaim', config.groupsClaim ?? 'groups');
  const clockToleranceSeconds = config.clockToleranceSeconds ?? 30;
  // Skew is for clocks a little apart; minutes of tolerance would quietly extend every token's life.
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > 300) {
    throw new OidcConfigError('clockToleranceSeconds', 'must be between 0 and 300 seconds');
  }
  const jwksCooldownMs = config.jwksCooldownMs ?? 30_000;
  if (!Number.isFinite(jwksCooldownMs) || jwksCooldownMs < 0) throw new OidcConfigError('jwksCooldownMs', 'must be 0 or more milliseconds');
  return { issuer: config.issuer, audience: [...audience], algorithms: [...algorithms], agentClaims: [...agentClaims], userClaim, groupsClaim, clockToleranceSeconds, jwksCooldownMs };
}

/** Refuses algorithms that would let someone without the provider's private key produce an accepted token. */
function checkAlgorithm(alg: string): void {
  if (typeof alg === 'string' && alg.toLowerCase() === 'none') throw new OidcConfigError('algorithms', 'none is never accepted: it means an unsigned token');
  if (typeof alg === 'string' && /^HS\d+$/i.test(alg)) {
    throw new OidcConfigError('algorithms', `${alg} is a shared-secret algorithm; a gateway that verifies with public keys must never accept it (anyone holding the public key could sign)`);
  }
  if (!ASYMMETRIC.has(alg)) throw new OidcConfigError('algorithms', `${String(alg)} is not one of ${[...ASYMMETRIC].join(', ')}`);
}

/**
 * Throws unless `value` is an absolute URL the verifier may fetch keys through:
 * https, or http on a loopback host (keys fetched over plain HTTP elsewhere could
 * be swapped by anyone on the path). Also used for the discovered `jwks_uri`.
 */
export function checkFetchableUrl(field: string, value: string): URL {
  const problem = fetchableUrlProblem(value);
  if (problem !== undefined) throw new OidcConfigError(field, problem);
  return new URL(value);
}

function nonEmpty(field: string, value: string): string {
  if (typeof value !== 'string' || value === '') throw new OidcConfigError(field, 'must name a claim');
  return value;
}
