/**
 * Signing a person in to the dashboard with the organisation's identity provider:
 * OpenID Connect authorization code flow with PKCE (S256), `state` and `nonce`.
 *
 *   begin():  fresh state, nonce and verifier → sealed into a cookie → the
 *             provider's authorization URL to send the browser to.
 *   finish(): the callback's query and that cookie → state compared → code
 *             redeemed with the verifier → ID token verified (nonce included) →
 *             groups mapped to a Berth role → a browser session issued.
 *
 * Every refusal is a {@link SignInRefusedError} saying what went wrong and what
 * to do; the routes (routes.ts) show it as a page. Nothing here logs or
 * returns a code, a verifier, a token or a secret.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { BrowserSessionSubject, IssuedBrowserSession } from '../sessions.ts';
import { describeError } from '../../../kit/errors.ts';
import { verifyIdToken, IdTokenRejectedError } from './id-token.ts';
import { resolveOidcLoginConfig, type OidcLoginConfig, type ResolvedOidcLoginConfig } from './login-config.ts';
import { codeChallenge, LOGIN_STATE_COOKIE, LOGIN_STATE_TTL_SECONDS, newLoginState, openLoginState, sealLoginState } from './login-state.ts';
import { providerEndpoints, type ProviderEndpoints } from './provider.ts';
import { mapRole } from './role-mapping.ts';
import { CodeExchangeError, exchangeCode } from './token-exchange.ts';

/** What {@link createOidcLogin} reaches the outside through. */
export interface OidcLoginDeps {
  /** Issues the browser session of a person signed in: `issueBrowserSession` of ../sessions.ts over the dashboard's session deps. */
  issueSession(subject: BrowserSessionSubject): Promise<IssuedBrowserSession>;
  /** 32 bytes sealing the sign-in state cookie (`loginStateKey` of a registry secret). */
  stateKey: Buffer;
  logger: Logger;
  /** Discovery, JWKS and token requests. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Aborts requests to the provider in flight (shutdown). */
  signal?: AbortSignal;
}

/**
 * A sign-in refused, as the person should read it. `status` is the HTTP status
 * of the page, `reason` what went wrong, `advice` what to do.
 * @example throw new SignInRefusedError(400, 'the sign-in state does not match', 'start again from the dashboard');
 */
export class SignInRefusedError extends Error {
  override readonly name = 'SignInRefusedError';
  readonly status: 400 | 403 | 502;
  readonly reason: string;
  readonly advice: string;
  constructor(status: 400 | 403 | 502, reason: string, advice: string, options?: { cause?: unknown }) {
    super(`${reason}; ${advice}`, options);
    this.status = status;
    this.reason = reason;
    this.advice = advice;
  }
}

/** Where the browser goes once signed in. */
export const SIGNED_IN_LOCATION = '/ui/';

/** What the login route answers. */
export interface SignInStart {
  /** The provider's authorization URL. */
  location: string;
  /** The sealed sign-in state cookie. */
  setCookie: string;
}

/** What the callback route answers on success. */
export interface SignInDone {
  location: string;
  /** The session cookie, and the sign-in state cookie cleared. */
  setCookies: string[];
}

/** The dashboard's OIDC sign-in. */
export interface OidcLogin {
  /** The checked configuration. */
  readonly config: ResolvedOidcLoginConfig;
  /** Starts a sign-in. @throws SignInRefusedError (502) when the provider cannot be discovered */
  begin(): Promise<SignInStart>;
  /**
   * Finishes one: `query` is the callback's query string, `stateCookie` the
   * sign-in state cookie's value (undefined when the browser sent none).
   * @throws SignInRefusedError for every refusal
   */
  finish(query: URLSearchParams, stateCookie: string | undefined): Promise<SignInDone>;
  /** The Set-Cookie that clears the sign-in state cookie (sent with every callback answer: a state is used once). */
  clearStateCookie(): string;
}

/**
 * Builds the sign-in for `config`; checks it at once (throwing
 * `OidcLoginConfigError` naming the flag) but contacts the provider only when
 * a sign-in begins (the start-up check is provider.ts's `checkIdentityProvider`).
 * @example
 * const login = createOidcLogin(config, { issueSession: (s) => issueBrowserSession(sessionDeps, s), stateKey, logger });
 * oidcRoutes(app, login);
 */
export function createOidcLogin(config: OidcLoginConfig, deps: OidcLoginDeps): OidcLogin {
  const cfg = resolveOidcLoginConfig(config);
  const now = deps.now ?? Date.now;
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  const endpoints = providerEndpoints({ issuer: cfg.issuer, fetch: fetchImpl, now, ...(deps.signal ? { signal: deps.signal } : {}) });
  const log = deps.logger;

  const cookie = (value: string, maxAge: number): string => {
    const redirect = new URL(cfg.redirectUrl());
    // Lax, not Strict: the provider sends the browser back with a cross-site top-level GET, which Strict would strip.
    return `${LOGIN_STATE_COOKIE}=${value}; HttpOnly; SameSite=Lax; Path=${redirect.pathname}; Max-Age=${maxAge}${redirect.protocol === 'https:' ? '; Secure' : ''}`;
  };

  const provider = async (): Promise<ProviderEndpoints> => {
    try {
      return await endpoints();
    } catch (err) {
      log.error({ err, issuer: cfg.issuer }, 'dashboard sign-in: the identity provider cannot be discovered');
      throw new SignInRefusedError(502, describeError(err), `try again in a minute; if it persists, ask the operator to check that the registry reaches ${cfg.issuer}`, { cause: err });
    }
  };

  return {
    config: cfg,
    async begin() {
      const { authorizationEndpoint } = await provider();
      const state = newLoginState(now());
      const url = new URL(authorizationEndpoint);
      const params: Record<string, string> = {
        response_type: 'code',
        client_id: cfg.clientId,
        redirect_uri: cfg.redirectUrl(),
        scope: ['openid', ...cfg.scopes].join(' '),
        state: state.state,
        nonce: state.nonce,
        code_challenge: codeChallenge(state.verifier),
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return { location: url.href, setCookie: cookie(sealLoginState(deps.stateKey, state), LOGIN_STATE_TTL_SECONDS) };
    },
    async finish(query, stateCookie) {
      // Typed as a whole so that TypeScript narrows after each refusal.
      const refuse: (status: 400 | 403 | 502, reason: string, advice: string, cause?: unknown) => never = (status, reason, advice, cause) => {
        // The reason only, never the cause: jose's errors carry the token's claims (nonce included), which stay out of the log.
        log.warn({ reason }, 'dashboard sign-in refused');
        throw new SignInRefusedError(status, reason, advice, cause !== undefined ? { cause } : undefined);
      };
      const again = 'start again from the dashboard\'s sign-in page';
      const providerError = query.get('error');
      if (providerError !== null) {
        const description = query.get('error_description');
        refuse(403, `the identity provider did not sign you in (${providerError.slice(0, 100)}${description ? `: ${description.slice(0, 200)}` : ''})`, `${again}; if it persists, ask an admin whether Berth's client at the identity provider lets you in`);
      }
      const iss = query.get('iss');
      // RFC 9207: a provider that names itself on the callback must be the one this sign-in went to (mix-up defence).
      if (iss !== null && iss !== cfg.issuer) refuse(400, `the callback comes from issuer ${iss.slice(0, 200)}, not ${cfg.issuer}`, again);
      if (stateCookie === undefined || stateCookie === '') {
        refuse(400, `this browser holds no sign-in in progress (the ${LOGIN_STATE_COOKIE} cookie with its PKCE verifier is missing)`, `${again}, within ${LOGIN_STATE_TTL_SECONDS / 60} minutes and in the same browser; open the dashboard at ${new URL(cfg.redirectUrl()).origin} (the address registered at the identity provider) and allow its cookies`);
      }
      const state = openLoginState(deps.stateKey, stateCookie, now());
      if ('failure' in state) {
        const why = { malformed: 'is malformed', tampered: 'was altered or sealed by another registry', expired: `has expired (a sign-in must finish within ${LOGIN_STATE_TTL_SECONDS / 60} minutes)` }[state.failure];
        refuse(400, `the sign-in state cookie ${why}`, again);
      }
      const code = query.get('code');
      const returned = query.get('state');
      if (returned === null || !sameText(returned, state.state)) refuse(400, 'the sign-in state returned by the identity provider does not match this browser\'s sign-in (a forged or stale callback)', again);
      if (code === null || code === '') refuse(400, 'the identity provider sent no authorization code', again);

      const { tokenEndpoint, keys } = await provider();
      let idToken: string;
      try {
        idToken = await exchangeCode(
          { tokenEndpoint, code, verifier: state.verifier, redirectUri: cfg.redirectUrl(), clientId: cfg.clientId, ...(cfg.clientSecret !== undefined ? { clientSecret: cfg.clientSecret } : {}) },
          fetchImpl,
        );
      } catch (err) {
        if (!(err instanceof CodeExchangeError)) throw err;
        const grant = err.oauthError === 'invalid_grant';
        return refuse(grant ? 400 : 502, err.message, grant ? `the code may have been used already or expired: ${again}` : `${again}; if it persists, ask the operator to check the client id and secret registered for Berth`, err);
      }
      let claims: Record<string, unknown>;
      try {
        claims = await verifyIdToken(idToken, keys, { issuer: cfg.issuer, clientId: cfg.clientId, nonce: state.nonce, clockToleranceSeconds: cfg.clockToleranceSeconds, now: now() });
      } catch (err) {
        if (!(err instanceof IdTokenRejectedError)) throw err;
        return refuse(400, err.message, `${again}; if it persists, ask the operator to check --oidc-issuer and --oidc-client-id against the identity provider`, err);
      }
      const decision = mapRole(claims, cfg);
      if (!decision.allowed) return refuse(403, decision.reason, 'once that is done, sign in again');
      const label = labelOf(claims);
      // The session cookie is Secure when people reach the registry over HTTPS, which is where the provider sends them back to.
      const secure = new URL(cfg.redirectUrl()).protocol === 'https:';
      const session = await deps.issueSession({ role: decision.role, ...(decision.team !== undefined ? { team: decision.team } : {}), label, secure });
      log.info({ label, role: decision.role, team: decision.team, group: decision.group }, 'dashboard sign-in');
      return {
        location: SIGNED_IN_LOCATION,
        setCookies: [session.setCookie, cookie('', 0)],
      };
    },
    clearStateCookie: () => cookie('', 0),
  };
}

/** Constant-time comparison of two strings (state values are secrets until used). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** How people recognise who signed in: email, then username, then subject; at most 200 characters. */
function labelOf(claims: Record<string, unknown>): string {
  const pick = ['email', 'preferred_username', 'sub'].map((c) => claims[c]).find((v): v is string => typeof v === 'string' && v !== '');
  return (pick ?? 'unknown').slice(0, 200);
}
