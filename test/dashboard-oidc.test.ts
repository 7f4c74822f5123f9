/**
 * Dashboard sign-in with the organisation's identity provider, end to end: a
 * real OpenID Provider (oidc-provider) with accounts in groups, `berth registry`
 * processes started with the --oidc-* flags, and a fetch-and-cookies browser
 * that follows the redirects and fills in the provider's login and consent
 * forms. Proves the session a person gets follows the group mapping, and that
 * every forged or broken callback is refused with a page that says why.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_STATE_COOKIE } from '../src/registry/dashboard/oidc/login-state.ts';
import { berth, startRegistry, stop, type RegistryProcess } from './support/berth-process.ts';
import { FetchBrowser } from './support/fetch-browser.ts';
import { freePort } from './support/free-port.ts';
import { startOidcIdp, type OidcIdp } from './support/oidc-idp.ts';
import { tempDir } from './support/temp-dir.ts';
import { waitFor } from './support/wait.ts';

const CALLBACK = '/ui/oidc/callback';
const ACCOUNTS = { alice: ['platform', 'everyone'], sam: ['sales-eng'], rita: ['everyone'] };

let idp: OidcIdp;
/** A registry signing people in as the provider's confidential client (client_secret_basic). */
let registry: RegistryProcess;
/** One signing them in as its public client (PKCE alone). */
let publicRegistry: RegistryProcess;
const temp = tempDir('berth-dashboard-oidc-');
/** What the confidential registry logged, and every code and state the provider handed out: secrets the log must not hold. */
let registryLog = '';
const secretsSeen: string[] = [];

beforeAll(async () => {
  // The provider registers the callbacks before the registries start, so their ports are chosen first.
  const ports = [await freePort(), await freePort()];
  idp = await startOidcIdp({ redirectUris: ports.map((p) => `http://127.0.0.1:${p}${CALLBACK}`), accounts: ACCOUNTS });
  const secretFile = join(temp.dir, 'client-secret');
  writeFileSync(secretFile, `${idp.clientSecret}\n`, { mode: 0o600 });
  const common = ['--oidc-issuer', idp.issuer, '--oidc-scopes', 'email,groups', '--oidc-role-map', 'platform=admin', '--oidc-role-map', 'sales-eng=publisher:sales'];
  [registry, publicRegistry] = await Promise.all([
    startRegistry(join(temp.dir, 'confidential'), ['--port', String(ports[0]), ...common, '--oidc-client-id', idp.clientId, '--oidc-client-secret-file', secretFile]),
    startRegistry(join(temp.dir, 'public'), ['--port', String(ports[1]), ...common, '--oidc-client-id', idp.publicClientId]),
  ]);
  registry.child.stdout!.on('data', (d: Buffer) => (registryLog += d));
  publicRegistry.child.stdout!.resume();
});

afterAll(async () => {
  await Promise.all([registry && stop(registry), publicRegistry && stop(publicRegistry)]);
  await idp?.stop();
  temp.remove();
});

/** Signs `account` in up to the provider's redirect back to the registry; returns the browser and the callback URL (not yet requested). */
async function throughProvider(account: string, browser = new FetchBrowser(), at: RegistryProcess = registry): Promise<{ browser: FetchBrowser; callback: URL }> {
  const callback = await browser.follow(`${at.url}/ui/oidc/login`, {
    stopAt: (u) => u.pathname === CALLBACK,
    fields: { login: account, password: 'any' },
  });
  secretsSeen.push(callback.searchParams.get('code')!, callback.searchParams.get('state')!);
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

    for (const [account, expected] of [['sam', { role: 'publisher', team: 'sales', label: 'sam@example.com' }], ['alice', { role: 'admin', label: 'alice@example.com' }]] as const) {
      const { browser, callback } = await throughProvider(account);
      expect(callback.searchParams.get('iss')).toBe(idp.issuer);
      const done = await browser.get(callback.href);
      expect(done.status).toBe(302);
      expect(done.headers.get('location')).toBe('/ui/');
      const cookies = done.headers.getSetCookie();
      expect(cookies).toContainEqual(expect.stringMatching(/^berth_session=berth_\w+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/));
      expect(cookies).toContainEqual(`${LOGIN_STATE_COOKIE}=; HttpOnly; SameSite=Lax; Path=${CALLBACK}; Max-Age=0`);
      expect(browser.cookie(`${registry.url}${CALLBACK}`, LOGIN_STATE_COOKIE)).toBeUndefined();
      const session = await browser.get(`${registry.url}/ui/session`);
      expect(session.status).toBe(200);
      const body = (await session.json()) as Record<string, unknown>;
      expect(body).toMatchObject(expected);
      if (!('team' in expected)) expect(body['team']).toBeUndefined();
    }
  });

  it('signs people in as a public client too (PKCE alone, no secret), and /ui/config offers the sign-in', async () => {
    const config = (await (await fetch(`${publicRegistry.url}/ui/config`)).json()) as { oidc: { enabled: boolean; loginUrl: string } };
    expect(config.oidc).toEqual({ enabled: true, loginUrl: '/ui/oidc/login' });
    const { browser, callback } = await throughProvider('sam', new FetchBrowser(), publicRegistry);
    expect((await browser.get(callback.href)).status).toBe(302);
    expect(await (await browser.get(`${publicRegistry.url}/ui/session`)).json()).toMatchObject({ role: 'publisher', team: 'sales', label: 'sam@example.com' });
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

  it('refuses a callback naming another issuer (mix-up)', async () => {
    const { browser, callback } = await throughProvider('alice');
    callback.searchParams.set('iss', 'https://evil.example.com');
    const page = await refusal(await browser.get(callback.href), 400);
    expect(page).toContain(`callback comes from issuer https://evil.example.com, not ${idp.issuer}`);
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
  it('logs each refusal with its reason, and never a code, a state, a token or the client secret', async () => {
    await waitFor('the refusals in the log', () => registryLog.includes('does not match'));
    expect(registryLog).toContain('dashboard sign-in refused');
    expect(registryLog).toContain('none of the groups mapped to a Berth role');
    expect(secretsSeen.length).toBeGreaterThan(10);
    for (const secret of [...secretsSeen, idp.clientSecret]) expect(registryLog).not.toContain(secret);
    expect(registryLog).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(registryLog).not.toMatch(/"payload"|nonce/);
  });
});

describe('berth registry --oidc-* flags', () => {
  it('refuses a bad role mapping, a sign-in without any, and an unreachable issuer, before serving', async () => {
    const dir = join(temp.dir, 'flags');
    mkdirSync(dir);
    const flags = ['registry', '--port', '0', '--state-dir', dir, '--oidc-issuer', idp.issuer, '--oidc-client-id', 'berth'];
    const closed = `http://127.0.0.1:${await freePort()}`;
    const [bad, none, unreachable] = await Promise.all([
      berth([...flags, '--oidc-role-map', 'platform=agent'], {}, dir),
      berth(flags, {}, dir),
      berth([...flags.map((f) => (f === idp.issuer ? closed : f)), '--oidc-role-map', 'platform=admin'], {}, dir),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--oidc-role-map: "platform=agent" maps to "agent", not one of reader, publisher, approver, admin');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no mapping: nobody could sign in');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`the identity provider ${closed} cannot be used: fetching ${closed}/.well-known/openid-configuration`);
    expect(unreachable.stderr).toContain('check --oidc-issuer');
  });
});
