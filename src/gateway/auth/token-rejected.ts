/**
 * Why the gateway refused an access token, as a machine code and a sentence.
 * The sentence goes to the agent in `WWW-Authenticate: Bearer error="invalid_token",
 * error_description="…"`, so it never carries token contents (claims, kids, the
 * token itself) and uses only the characters RFC 6750 §3 allows there (no `"` or `\`).
 */

/**
 * Every reason a token is refused; `issuer-unreachable` and `registry-unreachable`
 * are the only ones that are not the token's fault.
 * @example metrics.denied.inc({ reason: 'expired' satisfies TokenRejectionCode });
 */
export type TokenRejectionCode =
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'bad-signature'
  | 'unknown-key'
  | 'alg-not-allowed'
  | 'no-agent-claim'
  | 'issuer-unreachable'
  /** Agent keys: not known to the registry, revoked, or not an agent's key. */
  | 'unknown-agent-key'
  | 'revoked'
  | 'not-an-agent-key'
  /** The registry could not review an agent key (the gateway's problem, like issuer-unreachable). */
  | 'registry-unreachable'
  /** This address presented too many refused agent keys lately (HTTP 429). */
  | 'too-many-refusals';

/**
 * A token the verifier refused. `code` is for metrics and branching; `message`
 * is safe to show the caller. `cause` (only set where it cannot hold token
 * contents, e.g. the network error behind `issuer-unreachable`) is for logs.
 * `issuer-unreachable` and `registry-unreachable` are the gateway's problem, not the agent's: answer 503,
 * not 401, so an agent does not throw away a good token.
 * @example
 * try { await verifier.verify(token) }
 * catch (err) { if (err instanceof TokenRejectedError) metrics.denied.inc({ reason: err.code }) }
 */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  readonly code: TokenRejectionCode;
  /** With `too-many-refusals`: when to try again. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: TokenRejectionCode, message: string, opts: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}
