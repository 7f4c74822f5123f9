/**
 * Redeeming an authorization code at the provider's token endpoint (RFC 6749
 * §4.1.3 with the PKCE verifier of RFC 7636 §4.5). A confidential client
 * authenticates with HTTP Basic (`client_secret_basic`); a public client sends
 * only its `client_id`, and PKCE is what stops a stolen code being redeemed.
 * Neither the code, the verifier, the secret nor the tokens ever reach a log
 * or an error message.
 */
import { describeError } from '../../../kit/errors.ts';

/** How long the provider may take to answer. */
const TOKEN_TIMEOUT_MS = 10_000;

/** Longer provider error texts are cut: they are shown to the person and logged. */
const MAX_PROVIDER_TEXT = 200;

/** What {@link exchangeCode} sends. */
export interface CodeExchange {
  tokenEndpoint: string;
  code: string;
  verifier: string;
  redirectUri: string;
  clientId: string;
  clientSecret?: string;
}

/**
 * The provider refused the code or answered something unusable. `message` is
 * safe to show and log: it holds the provider's error code and description,
 * never the code or any token.
 */
export class CodeExchangeError extends Error {
  override readonly name = 'CodeExchangeError';
  /** The provider's OAuth error code (`invalid_grant`, …), when it gave one. */
  readonly oauthError: string | undefined;
  constructor(message: string, oauthError?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.oauthError = oauthError;
  }
}

/**
 * Exchanges `code` for the provider's tokens and returns the ID token.
 * @throws CodeExchangeError when the provider is unreachable, refuses (e.g. `invalid_grant` for a code used twice), or sends no ID token
 * @example const idToken = await exchangeCode({ tokenEndpoint, code, verifier, redirectUri, clientId }, fetch);
 */
export async function exchangeCode(x: CodeExchange, fetchImpl: typeof fetch): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: x.code, redirect_uri: x.redirectUri, code_verifier: x.verifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (x.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before joining, so a ':' in either survives.
    headers['authorization'] = `Basic ${Buffer.from(`${formEncode(x.clientId)}:${formEncode(x.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', x.clientId);
  }
  let response: Response;
  try {
    response = await fetchImpl(x.tokenEndpoint, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
  } catch (cause) {
    throw new CodeExchangeError(`the identity provider's token endpoint ${x.tokenEndpoint} could not be reached (${describeError(cause)})`, undefined, { cause });
  }
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = await response.json();
    doc = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new CodeExchangeError(`the identity provider's token endpoint ${x.tokenEndpoint} answered HTTP ${response.status} without JSON`);
  }
  if (response.status !== 200) {
    const error = typeof doc['error'] === 'string' ? cut(doc['error']) : undefined;
    const description = typeof doc['error_description'] === 'string' ? `: ${cut(doc['error_description'])}` : '';
    throw new CodeExchangeError(`the identity provider refused the sign-in code (HTTP ${response.status}${error !== undefined ? `, ${error}${description}` : ''})`, error);
  }
  if (typeof doc['id_token'] !== 'string' || doc['id_token'] === '') {
    throw new CodeExchangeError(`the identity provider sent no ID token: is "openid" an allowed scope of client ${x.clientId}?`);
  }
  return doc['id_token'];
}

/** application/x-www-form-urlencoded of one value. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function cut(text: string): string {
  return text.length > MAX_PROVIDER_TEXT ? `${text.slice(0, MAX_PROVIDER_TEXT)}…` : text;
}
