/**
 * What a sign-in in flight must remember between sending the browser to the
 * identity provider and its coming back: the `state` (CSRF for the callback),
 * the `nonce` (binds the ID token to this sign-in) and the PKCE verifier (only
 * this browser can redeem the code). The registry keeps no table of them: they
 * travel in a short-lived HttpOnly cookie, sealed with AES-256-GCM under a key
 * of this registry so the browser can neither read nor change them.
 *
 * Sealed format, version 1: base64url(version (1) ‖ iv (12, random) ‖
 * ciphertext ‖ tag (16)) of the JSON `{ s, n, v, e }` (e = expiry, Unix
 * seconds), with the cookie's name as additional authenticated data. The key
 * ({@link loginStateKeyFor}) is the same on every replica of a registry with a
 * confidential client.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

/** How long a sign-in may take from leaving for the provider to coming back. */
export const LOGIN_STATE_TTL_SECONDS = 600;

/** The cookie holding the sealed state. */
export const LOGIN_STATE_COOKIE = 'berth_oidc';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Far above a sealed state (about 200 characters); longer cookies are not even decoded. */
const MAX_SEALED_CHARS = 2_048;

/** One sign-in's secrets. */
export interface LoginState {
  /** Sent as `state`, compared on return. */
  state: string;
  /** Sent as `nonce`, must come back inside the ID token. */
  nonce: string;
  /** PKCE code verifier (RFC 7636), 43 characters; its S256 hash goes to the provider. */
  verifier: string;
  /** Unix seconds after which the state no longer opens. */
  expiresAt: number;
}

/** Why a sealed state did not open. */
export type OpenFailure = 'malformed' | 'tampered' | 'expired';

/**
 * The key that seals login states, derived from `secret` and bound to one
 * issuer and client (so a state sealed for another configuration never opens).
 * @example const key = loginStateKey(secret, 'https://idp.example.com', 'berth-dashboard');
 */
export function loginStateKey(secret: Uint8Array, issuer: string, clientId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(JSON.stringify([issuer, clientId])), 'berth dashboard oidc login state v1', 32));
}

/**
 * The sealing key of a registry: derived from the client secret when there is
 * one, which every replica of the registry holds, so a sign-in begun on one
 * replica finishes on any other (as the dashboard's sessions and CSRF tokens
 * do); a public client has no shared secret, so a random key of this process,
 * said once in the log since sign-ins then need a browser to stay on one replica.
 * @example const stateKey = loginStateKeyFor(config, logger);
 */
export function loginStateKeyFor(config: { issuer: string; clientId: string; clientSecret?: string }, logger: Pick<Logger, 'info'>): Buffer {
  if (config.clientSecret !== undefined) return loginStateKey(Buffer.from(config.clientSecret, 'utf8'), config.issuer, config.clientId);
  logger.info('dashboard sign-in: a public client (no --oidc-client-secret-file), so a sign-in in flight is sealed with a key of this process: with several registry replicas, keep each browser on one (sticky sessions), or give the client a secret');
  return loginStateKey(randomBytes(32), config.issuer, config.clientId);
}

/**
 * Fresh random `state`, `nonce` and PKCE verifier (256 bits each), valid for {@link LOGIN_STATE_TTL_SECONDS}.
 * @example const s = newLoginState(Date.now()); // { state: 'Xq…', nonce: '…', verifier: '…', expiresAt: 1767225600 }
 */
export function newLoginState(nowMs: number): LoginState {
  const random = (): string => randomBytes(32).toString('base64url');
  return { state: random(), nonce: random(), verifier: random(), expiresAt: Math.floor(nowMs / 1000) + LOGIN_STATE_TTL_SECONDS };
}

/**
 * The PKCE S256 code challenge of `verifier`: base64url(SHA-256(verifier)) (RFC 7636 §4.2).
 * @example codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') // 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
 */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Seals `state` under `key` (32 bytes, from {@link loginStateKey}).
 * @example res.headers.append('set-cookie', `berth_oidc=${sealLoginState(key, state)}; HttpOnly; …`);
 */
export function sealLoginState(key: Buffer, state: LoginState): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(LOGIN_STATE_COOKIE));
  const plain = Buffer.from(JSON.stringify({ s: state.state, n: state.nonce, v: state.verifier, e: state.expiresAt }));
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

/**
 * Opens a sealed state: the state when it is intact and not expired at `nowMs`,
 * else why not (`tampered` covers every authentication failure: another
 * registry's key, a changed byte, a truncated value).
 * @example const opened = openLoginState(key, cookieValue, Date.now()); if ('failure' in opened) refuse(opened.failure);
 */
export function openLoginState(key: Buffer, sealed: string, nowMs: number): LoginState | { failure: OpenFailure } {
  if (sealed.length > MAX_SEALED_CHARS || !/^[A-Za-z0-9_-]+$/.test(sealed)) return { failure: 'malformed' };
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES + 1 || bytes[0] !== VERSION) return { failure: 'malformed' };
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(LOGIN_STATE_COOKIE));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return { failure: 'tampered' };
  }
  // Authenticated, so written by this registry: the shape is ours.
  const { s, n, v, e } = JSON.parse(plain.toString('utf8')) as { s: string; n: string; v: string; e: number };
  if (e * 1000 <= nowMs) return { failure: 'expired' };
  return { state: s, nonce: n, verifier: v, expiresAt: e };
}
