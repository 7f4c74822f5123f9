/**
 * Dashboard sign-in with the organisation's identity provider, end to end: a
 * real OpenID Provider (oidc-provider) with accounts in groups, the registry's
 * sign-in routes, and a fetch-and-cookies browser that follows the redirects
 * and fills in the provider's login and consent forms. Proves the session a
 * person gets follows the group mapping, and that every forged or broken
 * callback is refused with a page that says why.
 */
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoleMapping, type OidcLoginConfig } from '../src/registry/dashboard/oidc/login-config.ts';
import { loginStateKey, LOGIN_STATE_COOKIE } from '../src/registry/dashboard/oidc/login-state.ts';
import { createOidcLogin, type BrowserSessionRequest } from '../src/registry/dashboard/oidc/oidc-login.ts';
import { oidcRoutes } from '../src/registry/dashboard/oidc/routes.ts';
import { berth } from './support/berth-process.ts';
import { FetchBrowser } from './support/fetch-browser.ts';
import { freePort } from './support/free-port.ts';
import { startOidcIdp, type OidcIdp } from './support/oidc-idp.ts';
import { tempDir } from './support/temp-dir.ts';

const CALLBACK = '/ui/oidc/callback';
const ACCOUNTS = { alice: ['platform', 'everyone'], sam: ['sales-eng'], rita: ['everyone'] };

let idp: OidcIdp;
let registry: { url: string; close: () => Promise<void> };

// TEMPORARY host until the dashboard sessions land: the sign-in routes and a minimal session store.
async function startHost(port: number, config: Omit<OidcLoginConfig, 'redirectUrl'>): Promise<{ url: string; close: () => Promise<void> }> {
  const sessions = new Map<string, BrowserSessionRequest>();
  const app = new Hono();
  const url = `http://127.0.0.1:${port}`;
  const login = createOidcLogin(
    { ...config, redirectUrl: `${url}${CALLBACK}` },
    {
      stateKey: loginStateKey(randomBytes(32)),
      logger: pino({ level: 'silent' }),
      issueSession: async (request) => {
        const id = randomBytes(16).toString('hex');
        sessions.set(id, request);
        return { setCookie: `berth_session=${id}; HttpOnly; SameSite=Strict; Path=/`, csrfToken: 'x', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
      },
    },
  );
  await login.ready();
  oidcRoutes(app, login);
  app.get('/ui/session', (c) => {
    const s = sessions.get(getCookie(c, 'berth_session') ?? '');
    return s === undefined ? c.json({ title: 'no session' }, 401) : c.json(s);
  });
  const server: ServerType = await new Promise((done) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => done(s));
  });
  return { url, close: () => new Promise((done) => server.close(() => done())) };
}

beforeAll(async () => {
  // The provider registers the callback before the registry starts, so the registry's port is chosen first.
  const port = await freePort();
  idp = await startOidcIdp({ redirectUris: [`http://127.0.0.1:${port}${CALLBACK}`], accounts: ACCOUNTS });
  registry = await startHost(port, {
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    scopes: ['email', 'groups'],
    roleMap: ['platform=admin', 'sales-eng=publisher:sales'].map(parseRoleMapping),
  });
});

afterAll(async () => {
  await registry?.close();
  await idp?.stop();
});

/** Signs `account` in up to the provider's redirect back to the registry; returns the browser and the callback URL (not yet requested). */
async function throughProvider(account: string, browser = new FetchBrowser()): Promise<{ browser: FetchBrowser; callback: URL }> {
  const callback = await browser.follow(`${registry.url}/ui/oidc/login`, {
    stopAt: (u) => u.pathname === CALLBACK,
    fields: { login: account, password: 'any' },
  });
  return { browser, callback };
}

/** The refusal page's text, asserting it is one. */
async function refusal(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  const page = await res.text();
  expect(page).toContain('Sign-in failed');
  expect(page).not.toMatch(/<script|<style| style=/i);
  return page.replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

describe('dashboard sign-in with an OIDC provider', () => {
  it('signs a person in with the role and team their group maps to', async () => {
    const start = await new FetchBrowser().get(`${registry.url}/ui/oidc/login`);
    expect(start.status).toBe(302);
    const auth = new URL(start.headers.get('location')!);
    expect(auth.origin).toBe(idp.issuer);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({ response_type: 'code', client_id: idp.clientId, redirect_uri: `${registry.url}${CALLBACK}`, scope: 'openid email groups', code_challenge_method: 'S256' });
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const setCookie = start.headers.get('set-cookie')!;
    expect(setCookie).toMatch(new RegExp(`^${LOGIN_STATE_COOKIE}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Lax; Path=${CALLBACK}; Max-Age=600$`));

    for (const [account, expected] of [['sam', { role: 'publisher', team: 'sales', label: 'sso:sam@example.com' }], ['alice', { role: 'admin', label: 'sso:alice@example.com' }]] as const) {
      const { browser, callback } = await throughProvider(account);
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      const done = await browser.get(callback.href);
      expect(done.status).toBe(302);
      expect(done.headers.get('location')).toBe('/ui/');
      expect(browser.cookie(`${registry.url}${CALLBACK}`, LOGIN_STATE_COOKIE)).toBeUndefined();
      const session = await browser.get(`${registry.url}/ui/session`);
      expect(session.status).toBe(200);
      const body = (await session.json()) as Record<string, unknown>;
      expect(body).toMatchObject(expected);
      if (!('team' in expected)) expect(body['team']).toBeUndefined();
    }
  });

  it('refuses a person in none of the mapped groups, naming the groups that would do', async () => {
    const { browser, callback } = await throughProvider('rita');
    const page = await refusal(await browser.get(callback.href), 403);
    expect(page).toContain('your account is in none of the groups mapped to a Berth role: ask an admin to add you to one of platform, sales-eng'.replace(/^y/, 'Y'));
    expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
  });

  it('refuses a callback whose state is not the one this browser sent', async () => {
    const { browser, callback } = await throughProvider('alice');
    callback.searchParams.set('state', 'forged-state');
    const page = await refusal(await browser.get(callback.href), 400);
    expect(page).toContain('does not match');
    expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
  });

  it('refuses a code used a second time', async () => {
    const { browser, callback } = await throughProvider('alice');
    const sealed = browser.cookie(callback.href, LOGIN_STATE_COOKIE)!;
    expect((await browser.get(callback.href)).status).toBe(302);
    // The attacker replays the whole callback, sign-in state cookie included.
    const replay = new FetchBrowser();
    replay.setCookie(callback.href, LOGIN_STATE_COOKIE, sealed, CALLBACK);
    const page = await refusal(await replay.get(callback.href), 400);
    expect(page).toContain('refused the sign-in code');
    expect(page).toContain('invalid_grant');
    expect((await replay.get(`${registry.url}/ui/session`)).status).toBe(401);
  });

  it('refuses an ID token issued for another client, though the provider signed it', async () => {
    idp.rewriteNextIdToken(async (idToken) => {
      const claims = decodeJwt(idToken);
      return new SignJWT({ ...claims, aud: 'some-other-client' }).setProtectedHeader({ alg: 'RS256', kid: idp.signingKey.kid }).sign(idp.signingKey.privateKey);
    });
    const { browser, callback } = await throughProvider('alice');
    const page = await refusal(await browser.get(callback.href), 400);
    expect(page).toContain('issued for another client');
    expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
  });

  it('refuses ID tokens that are unsigned or signed with a shared secret (alg none, HS256 keyed with the client secret)', async () => {
    const forgeries: Array<(claims: Record<string, unknown>) => Promise<string>> = [
      async (claims) => new UnsecuredJWT(claims).encode(),
      async (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(idp.clientSecret)),
    ];
    for (const forge of forgeries) {
      idp.rewriteNextIdToken((idToken) => forge(decodeJwt(idToken)));
      const { browser, callback } = await throughProvider('alice');
      const page = await refusal(await browser.get(callback.href), 400);
      expect(page).toContain('signed with an algorithm that is not accepted');
      expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
    }
  });

  it('refuses a callback without the sign-in state cookie (no PKCE verifier)', async () => {
    const { browser, callback } = await throughProvider('alice');
    browser.dropCookie(callback.href, LOGIN_STATE_COOKIE);
    const page = await refusal(await browser.get(callback.href), 400);
    expect(page).toContain('cookie with its PKCE verifier is missing');
    expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
  });

  it('refuses a sign-in state cookie that was tampered with', async () => {
    const { browser, callback } = await throughProvider('alice');
    const sealed = browser.cookie(callback.href, LOGIN_STATE_COOKIE)!;
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[20]! ^= 1;
    browser.setCookie(callback.href, LOGIN_STATE_COOKIE, bytes.toString('base64url'), CALLBACK);
    const page = await refusal(await browser.get(callback.href), 400);
    expect(page).toContain('was altered');
    expect((await browser.get(`${registry.url}/ui/session`)).status).toBe(401);
  });
});

describe('berth registry --oidc-* flags', () => {
  it('refuses a bad role mapping, and a sign-in without any, before starting', async () => {
    const { dir, remove } = tempDir('berth-oidc-flags-');
    try {
      const flags = ['registry', '--port', '0', '--state-dir', dir, '--oidc-issuer', idp.issuer, '--oidc-client-id', 'berth'];
      const bad = await berth([...flags, '--oidc-role-map', 'platform=agent'], {}, dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--oidc-role-map: "platform=agent" maps to "agent", not one of admin, approver, publisher, reader');
      const none = await berth(flags, {}, dir);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no mapping: nobody could sign in');
    } finally {
      remove();
    }
  });
});
