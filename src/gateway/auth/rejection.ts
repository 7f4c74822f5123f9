/**
 * jose's errors, translated into the gateway's {@link TokenRejectedError} codes.
 * jose's claim errors carry the token's whole claims set (`payload`), so they are
 * never kept as a cause (nor are parse errors, which quote their input): a logged
 * rejection must not leak token contents.
 */
import { errors } from 'jose';
import { TokenRejectedError } from './token-rejected.ts';

/**
 * The rejection for an error thrown while verifying a token. A
 * {@link TokenRejectedError} passes through; an error jose does not describe is
 * wrapped as `malformed` (jose validates its input before anything else).
 * @example rejectionFor(new errors.JWTExpired('…', {})).code // 'expired'
 */
export function rejectionFor(err: unknown): TokenRejectedError {
  if (err instanceof TokenRejectedError) return err;
  if (err instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) return claimRejection(err.claim, err.reason);
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('alg-not-allowed', 'the token is signed with an algorithm this gateway does not accept', { cause: err });
  if (err instanceof errors.JOSENotSupported) return new TokenRejectedError('alg-not-allowed', 'the token uses an algorithm or key type this gateway does not support', { cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('bad-signature', 'the token signature does not verify', { cause: err });
  if (err instanceof errors.JWKSNoMatchingKey) return new TokenRejectedError('unknown-key', 'the token is signed with a key the issuer does not publish', { cause: err });
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    // Only a token without a kid can match several keys; providers that rotate keys always send one.
    return new TokenRejectedError('unknown-key', 'the token names no key id (kid) and the issuer publishes several keys', { cause: err });
  }
  // No cause for unreadable tokens either: a JSON parse error quotes the text it choked on.
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return new TokenRejectedError('malformed', 'the token is not a well-formed signed JWT');
  return new TokenRejectedError('malformed', 'the token could not be read');
}

/** The rejection for a failed claim check, by claim; no cause, since jose's error holds the claims. */
function claimRejection(claim: string, reason: string): TokenRejectedError {
  // A token without iss or aud is refused for the same reason as one naming another: it is not for us.
  if (reason === 'missing' && claim !== 'iss' && claim !== 'aud') return new TokenRejectedError('malformed', `the token has no ${claim} claim`);
  switch (claim) {
    case 'iss':
      return new TokenRejectedError('wrong-issuer', 'the token was not issued by the issuer this gateway trusts');
    case 'aud':
      return new TokenRejectedError('wrong-audience', 'the token is not meant for this gateway (aud does not name its resource URI)');
    case 'nbf':
      return new TokenRejectedError('not-yet-valid', 'the token is not valid yet (nbf is in the future)');
    default:
      return new TokenRejectedError('malformed', `the token has an invalid ${claim} claim`);
  }
}
