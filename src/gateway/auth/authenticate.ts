/**
 * The gateway's authentication step: from a request's headers and URL to a
 * {@link CallerIdentity}, or a refusal that says what is wrong, as the MCP
 * authorization spec asks (RFC 6750 / RFC 9728):
 * - no `Authorization` header → anonymous (authorization then decides whether the
 *   server lets anonymous callers in; if not, 401 with `WWW-Authenticate`);
 * - a token in the query string (`access_token`, …) → 400: query strings end up in
 *   logs and browser history, so they never carry credentials;
 * - `Bearer berth_tok_…` → a Berth agent key, reviewed by the registry;
 * - any other bearer token → an OIDC access token (JWT), when an identity provider
 *   is configured;
 * - another scheme, or a refused token → 401 `invalid_token` with the reason.
 * The credential is used here only: the proxy never forwards it upstream.
 */
import { ANONYMOUS, type CallerIdentity } from './identity.ts';
import type { AgentKeyVerifier } from './agent-keys.ts';
import type { OidcVerifier } from './oidc.ts';
import { TokenRejectedError, type TokenRejectionCode } from './token-rejected.ts';

/** Why a request is refused before authorization: the HTTP status and the `WWW-Authenticate` error. */
export interface AuthRefusal {
  status: 400 | 401 | 429 | 503;
  /** With 429: when the address may try again. */
  retryAfterSeconds?: number;
  /** RFC 6750 error code for `WWW-Authenticate`: invalid_request or invalid_token. */
  error: 'invalid_request' | 'invalid_token';
  /** Safe to show the caller. */
  description: string;
  /** For metrics and audit. */
  code: TokenRejectionCode | 'token-in-query' | 'unsupported-scheme' | 'jwt-not-accepted';
}

/** What {@link Authenticator.authenticate} found. */
export type AuthResult = { ok: true; identity: CallerIdentity } | { ok: false; refusal: AuthRefusal };

/** Query parameters that would carry a credential. */
const TOKEN_PARAMS = ['access_token', 'token', 'api_key', 'apikey', 'key', 'bearer'];

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Checks Berth agent keys; absent: agent keys are refused. */
  agentKeys?: AgentKeyVerifier;
  /** Checks identity providers' access tokens; absent: JWTs are refused. */
  oidc?: OidcVerifier;
}

/**
 * Authenticates gateway requests. See the module comment.
 * @example
 * const auth = new Authenticator({ agentKeys, oidc });
 * const result = await auth.authenticate(req.headers.authorization, req.url);
 */
export class Authenticator {
  readonly #agentKeys: AgentKeyVerifier | undefined;
  readonly #oidc: OidcVerifier | undefined;

  constructor(opts: AuthenticatorOptions) {
    this.#agentKeys = opts.agentKeys;
    this.#oidc = opts.oidc;
  }

  /**
   * The caller of a request with this `Authorization` header and query string
   * (`?…`, or ''), from `remoteAddress` (which agent-key reviews are throttled by).
   */
  async authenticate(authorization: string | undefined, query: string, remoteAddress?: string): Promise<AuthResult> {
    if (query !== '' && hasTokenParam(query)) {
      return refuse(400, 'invalid_request', 'token-in-query', 'credentials in the query string are refused; send Authorization: Bearer <token>');
    }
    if (authorization === undefined || authorization === '') return { ok: true, identity: ANONYMOUS };
    const space = authorization.indexOf(' ');
    const scheme = space === -1 ? authorization : authorization.slice(0, space);
    if (scheme.toLowerCase() !== 'bearer') {
      return refuse(401, 'invalid_token', 'unsupported-scheme', 'only Bearer credentials are accepted (a Berth agent key or an access token)');
    }
    const token = authorization.slice(space + 1).trim();
    try {
      if (token.startsWith('berth_')) {
        if (this.#agentKeys === undefined) return refuse(401, 'invalid_token', 'unknown-agent-key', 'this gateway does not accept Berth agent keys');
        return { ok: true, identity: await this.#agentKeys.verify(token, remoteAddress) };
      }
      if (this.#oidc === undefined) {
        return refuse(401, 'invalid_token', 'jwt-not-accepted', 'this gateway accepts Berth agent keys only (no identity provider is configured)');
      }
      return { ok: true, identity: await this.#oidc.verify(token) };
    } catch (err) {
      if (!(err instanceof TokenRejectedError)) throw err;
      if (err.code === 'too-many-refusals') return { ok: false, refusal: { status: 429, error: 'invalid_token', code: err.code, description: err.message, retryAfterSeconds: err.retryAfterSeconds ?? 1 } };
      const unavailable = err.code === 'issuer-unreachable' || err.code === 'registry-unreachable';
      return refuse(unavailable ? 503 : 401, 'invalid_token', err.code, err.message);
    }
  }
}

function refuse(status: AuthRefusal['status'], error: AuthRefusal['error'], code: AuthRefusal['code'], description: string): AuthResult {
  return { ok: false, refusal: { status, error, code, description } };
}

/** True when the query string names a credential parameter (case-insensitive). */
function hasTokenParam(query: string): boolean {
  for (const name of new URLSearchParams(query).keys()) if (TOKEN_PARAMS.includes(name.toLowerCase())) return true;
  return false;
}
