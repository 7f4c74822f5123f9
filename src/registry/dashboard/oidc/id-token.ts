/**
 * The ID token check of OpenID Connect Core §3.1.3.7, with jose: the signature
 * with the provider's published keys and only asymmetric algorithms (`none` and
 * HS* are refused whatever the header says), `iss` equal to the issuer, `aud`
 * naming this client (and `azp` equal to it when there are several audiences),
 * `exp` and `iat` present and within a small clock skew, and the `nonce` this
 * sign-in sent.
 */
import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../../../kit/issuer-metadata.ts';

/** What an ID token must match. */
export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  clockToleranceSeconds: number;
  /** Epoch milliseconds to judge `exp` and `iat` by. */
  now: number;
}

/**
 * An ID token refused; `message` says which check failed, never the token's contents.
 * @example catch (err) { if (err instanceof IdTokenRejectedError) page(`the sign-in was refused: ${err.message}`) }
 */
export class IdTokenRejectedError extends Error {
  override readonly name = 'IdTokenRejectedError';
}

/** ID tokens longer than this are refused unread. */
const MAX_ID_TOKEN_CHARS = 32 * 1024;

/**
 * Verifies `idToken` and returns its claims.
 * @throws IdTokenRejectedError naming the failed check
 * @example const claims = await verifyIdToken(idToken, keys, { issuer, clientId, nonce, clockToleranceSeconds: 60, now: Date.now() });
 */
export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expect: IdTokenExpectations): Promise<Record<string, unknown>> {
  if (idToken.length > MAX_ID_TOKEN_CHARS) throw new IdTokenRejectedError('the ID token is too long');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: [...ASYMMETRIC_JWS_ALGORITHMS],
      clockTolerance: expect.clockToleranceSeconds,
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: new Date(expect.now),
    }));
  } catch (err) {
    throw new IdTokenRejectedError(reasonFor(err), { cause: err });
  }
  const aud = payload['aud'];
  if (Array.isArray(aud) && aud.length > 1 && payload['azp'] !== expect.clientId) {
    throw new IdTokenRejectedError(`the ID token is for several audiences and its azp is not this client (${expect.clientId})`);
  }
  if (typeof payload['iat'] !== 'number' || payload['iat'] * 1000 > expect.now + expect.clockToleranceSeconds * 1000) {
    throw new IdTokenRejectedError('the ID token was issued in the future (check the clocks of the registry and the identity provider)');
  }
  if (payload['nonce'] !== expect.nonce) throw new IdTokenRejectedError('the ID token does not carry the nonce this sign-in sent (a token from another sign-in)');
  return payload;
}

/** One sentence per jose failure, without claims or key ids. */
function reasonFor(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the ID token has expired (check the clocks of the registry and the identity provider)';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the ID token was issued for another client (its audience is not this registry\'s client id)';
    if (err.claim === 'iss') return 'the ID token was issued by another issuer';
    if (err.claim === 'iat' || err.claim === 'nbf') return 'the ID token is not valid yet (check the clocks of the registry and the identity provider)';
    return `the ID token lacks or has a bad "${err.claim}" claim`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the ID token is signed with an algorithm that is not accepted (only public-key signatures are; never none or HS*)';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the ID token signature does not verify with the identity provider\'s keys';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'the ID token is signed with a key the identity provider does not publish (or names no key unambiguously)';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) return 'the ID token is not a well-formed signed JWT';
  // Anything else is the key set failing us: unreachable, slow, or not a JWKS.
  return 'the identity provider\'s keys could not be fetched to check the ID token';
}
