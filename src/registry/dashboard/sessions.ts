/**
 * Dashboard sessions: a short-lived token record (`session: true`) a browser
 * holds as its `berth_session` cookie (HttpOnly, SameSite=Strict, Secure over
 * HTTPS). It takes its role and team from the token it was exchanged for (or from
 * the OIDC role mapping), expires after the session TTL (never after its parent),
 * ends on sign-out, and ends when its parent is revoked (`checkToken` follows
 * `parentTokenId` on every request). The cookie value is the session token itself;
 * it is never logged, and only its hash is stored.
 *
 * @example
 * const { setCookie, csrfToken } = await issueBrowserSession(deps, { role: 'approver', label: 'ada@example.com' });
 * return c.json({ csrfToken }, 201, { 'set-cookie': setCookie });
 */
import type { Logger } from 'pino';
import { ForbiddenError, UnauthorizedError } from '../../client/errors.ts';
import { hashSecret, parseToken } from '../../client/tokens.ts';
import type { Role } from '../../client/wire.ts';
import { checkToken, type Principal } from '../auth/authenticate.ts';
import { mintToken } from '../auth/tokens.ts';
import type { Store, TokenRecord } from '../store.ts';
import { csrfTokenFor } from './csrf.ts';
import { sweepEndedSessionsNowAndThen } from './session-sweep.ts';

/** The cookie's name. */
export const SESSION_COOKIE = 'berth_session';

/** Default session lifetime: 8 hours (`--ui-session-ttl`). */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** Roles people hold; agent, gateway and controller tokens are for machines and are refused. */
export const PEOPLE_ROLES: readonly Role[] = ['reader', 'publisher', 'approver', 'admin'];

/** What session code needs from the registry. */
export interface SessionDeps {
  store: Store;
  clock: () => Date;
  /** Session lifetime in milliseconds. */
  ttlMs: number;
  logger?: Logger;
}

/** Who a new session is for. */
export interface BrowserSessionSubject {
  role: Role;
  team?: string;
  /** Shown in the page header and the token list (a token's description, an OIDC user's e-mail). */
  label: string;
  /** The token the session was exchanged for; absent for an OIDC sign-in. */
  parentTokenId?: string;
  /** When that token expires: the session never outlives it. */
  parentExpiresAt?: string;
  /** Mark the cookie `Secure` (the request came over HTTPS). */
  secure?: boolean;
}

/** A new session: the Set-Cookie header value, and what the page needs. */
export interface IssuedBrowserSession {
  setCookie: string;
  csrfToken: string;
  expiresAt: string;
  tokenId: string;
}

/** What `GET /ui/session` and `POST /ui/session` answer. */
export interface SessionBody {
  csrfToken: string;
  tokenId: string;
  role: Role;
  team?: string;
  label: string;
  expiresAt: string;
}

/**
 * Creates a session for `subject` and the cookie that carries it (the server-side
 * entry point the token exchange and the OIDC callback share).
 * @throws ForbiddenError when the role is not one people hold
 */
export async function issueBrowserSession(deps: SessionDeps, subject: BrowserSessionSubject): Promise<IssuedBrowserSession> {
  if (!PEOPLE_ROLES.includes(subject.role)) {
    throw new ForbiddenError('the dashboard is for people; sign in with a reader, publisher, approver or admin token');
  }
  const now = deps.clock();
  const parentLeft = subject.parentExpiresAt !== undefined ? Date.parse(subject.parentExpiresAt) - now.getTime() : Infinity;
  const ttlMs = Math.max(0, Math.min(deps.ttlMs, parentLeft));
  const minted = mintToken({ role: subject.role, ...(subject.team !== undefined ? { team: subject.team } : {}), description: subject.label, now, ttlMs });
  const record: TokenRecord = { ...minted.record, session: true, ...(subject.parentTokenId !== undefined ? { parentTokenId: subject.parentTokenId } : {}) };
  await deps.store.putToken(record, {
    audit: {
      actor: subject.parentTokenId ?? `oidc:${subject.label}`,
      action: 'session.create',
      details: { tokenId: record.id, role: record.role, ...(record.team !== undefined ? { team: record.team } : {}), ...(subject.parentTokenId !== undefined ? { parentTokenId: subject.parentTokenId } : {}) },
    },
  });
  deps.logger?.info({ tokenId: record.id, role: record.role, parentTokenId: subject.parentTokenId }, 'dashboard session started');
  await sweepEndedSessionsNowAndThen(deps);
  return { setCookie: sessionCookie(minted.token, ttlMs, subject.secure ?? false), csrfToken: csrfTokenFor(record), expiresAt: record.expiresAt!, tokenId: record.id };
}

/** The Set-Cookie value carrying `token` for `ttlMs`. */
export function sessionCookie(token: string, ttlMs: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttlMs / 1000)}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session cookie's value in a Cookie header, or undefined. */
export function sessionCookieOf(cookieHeader: string | undefined | null): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/**
 * The live session record a cookie value names.
 * @throws UnauthorizedError when it is malformed, unknown, expired, signed out, its parent is revoked, or it is not a session
 */
export async function findSession(deps: SessionDeps, cookieValue: string): Promise<TokenRecord> {
  const parsed = parseToken(cookieValue);
  if (!parsed) throw new UnauthorizedError('the berth_session cookie is malformed; sign in again at /ui/');
  const check = await checkToken(deps.store, { id: parsed.id, hash: hashSecret(parsed.secret) }, deps.clock());
  if (!check.valid) throw new UnauthorizedError(`the dashboard session ended (${check.reason}); sign in again at /ui/`);
  if (check.record.session !== true) throw new UnauthorizedError('the berth_session cookie does not hold a dashboard session; sign in again at /ui/');
  return check.record;
}

/** The principal a session acts as. */
export function sessionPrincipal(record: TokenRecord): Principal {
  return { tokenId: record.id, role: record.role, ...(record.team !== undefined ? { team: record.team } : {}) };
}

/** The page's view of a session (see {@link SessionBody}). */
export function sessionBody(record: TokenRecord): SessionBody {
  return {
    csrfToken: csrfTokenFor(record),
    tokenId: record.id,
    role: record.role,
    ...(record.team !== undefined ? { team: record.team } : {}),
    label: record.description ?? record.id,
    expiresAt: record.expiresAt ?? '',
  };
}

/** Ends a session (sign-out): revokes its record, audited as the session's own act. */
export async function endBrowserSession(deps: SessionDeps, record: TokenRecord): Promise<void> {
  await deps.store.revokeToken(record.id, deps.clock().toISOString(), { audit: { actor: record.id, action: 'session.end', details: { tokenId: record.id, role: record.role } } });
  deps.logger?.info({ tokenId: record.id }, 'dashboard session ended');
}
