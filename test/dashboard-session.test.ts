/**
 * The dashboard's serving and sign-in over a real socket (plain fetch, no
 * browser): the token exchange for a session cookie, the cookie accepted where a
 * bearer token is, CSRF and Origin on every cookie-authenticated write, expiry,
 * sign-out and parent revocation, machine tokens refused, a reader's session held
 * to a reader's rights, and the /ui responses' headers, caching and gzip.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../src/registry/dashboard/headers.ts';
import { startRegistryServer } from '../src/registry/server.ts';
import { openSqliteStore } from '../src/registry/sqlite-store.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';
import { API } from './e2e-harness.ts';
import { berth as runBerth, startRegistry, stop } from './support/berth-process.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ dashboard: {} });
});
afterAll(async () => {
  await h?.close();
});

interface Session {
  cookie: string;
  csrfToken: string;
  tokenId: string;
  setCookie: string;
  body: Record<string, unknown>;
}

async function signIn(token: string, headers: Record<string, string> = {}): Promise<Session> {
  const res = await fetch(`${h.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(201);
  const setCookie = res.headers.get('set-cookie')!;
  return { cookie: setCookie.split(';')[0]!, csrfToken: body.csrfToken as string, tokenId: body.tokenId as string, setCookie, body };
}

function createServer(s: Session, name: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${h.url}${API}/mcpservers`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, ...headers }, body: JSON.stringify(serverManifest(name)) });
}

async function problem(res: Response): Promise<{ status: number; detail: string; reason?: string }> {
  const body = (await res.json()) as { detail: string; reason?: string };
  return { status: res.status, detail: body.detail, ...(body.reason !== undefined ? { reason: body.reason } : {}) };
}

describe('dashboard sessions', () => {
  it('exchanges an admin token for an HttpOnly, SameSite=Strict cookie and reads the API with it', async () => {
    const s = await signIn(h.adminToken);
    expect(s.setCookie).toMatch(/^berth_session=berth_tok_\w+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=28800$/);
    expect(s.body).toMatchObject({ role: 'admin', tokenId: s.tokenId, label: expect.any(String), expiresAt: expect.any(String) });
    expect(s.csrfToken).toMatch(/^[\w-]{43}$/);
    const session = await fetch(`${h.url}/ui/session`, { headers: { cookie: s.cookie } });
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual(s.body);
    const who = await fetch(`${h.url}${API}/whoami`, { headers: { cookie: s.cookie } });
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ tokenId: s.tokenId, role: 'admin' });
    // The store holds a short-lived session record pointing at its parent, never the secret.
    const record = await h.store.getToken(s.tokenId);
    expect(record).toMatchObject({ session: true, role: 'admin', parentTokenId: /^berth_(tok_[a-z0-9]+)_/.exec(h.adminToken)![1] });
    expect(JSON.stringify(record)).not.toContain(s.cookie.split('_').at(-1)!);
  });

  it('marks the cookie Secure when the request came over HTTPS (a TLS-terminating proxy says so)', async () => {
    const s = await signIn(h.adminToken, { 'x-forwarded-proto': 'https' });
    expect(s.setCookie).toMatch(/; Secure$/);
  });

  it('refuses a cookie-authenticated write without CSRF, with a wrong one, or from another origin; takes it with CSRF', async () => {
    const s = await signIn(h.adminToken);
    expect(await problem(await createServer(s, 'no-csrf', {}))).toMatchObject({ status: 403, reason: 'csrf-missing', detail: expect.stringContaining('X-Berth-CSRF') });
    expect(await problem(await createServer(s, 'wrong-csrf', { 'x-berth-csrf': 'A'.repeat(43) }))).toMatchObject({ status: 403, reason: 'csrf-mismatch' });
    expect(await problem(await createServer(s, 'cross-origin', { 'x-berth-csrf': s.csrfToken, origin: 'https://evil.example' }))).toMatchObject({
      status: 403,
      reason: 'cross-origin',
      detail: expect.stringContaining('https://evil.example'),
    });
    expect(await h.store.get('MCPServer', 'no-csrf')).toBeUndefined();
    const ok = await createServer(s, 'with-csrf', { 'x-berth-csrf': s.csrfToken, origin: h.url });
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await h.store.get('MCPServer', 'with-csrf')).toBeDefined();
    // Another registry process over the same store (a restart, a second replica) takes the same session and CSRF token.
    await h.restart();
    // A fresh connection pool: the restart closed the kept-alive sockets.
    const fresh = new Agent();
    const after = await undiciFetch(`${h.url}${API}/mcpservers`, { method: 'POST', dispatcher: fresh, headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-berth-csrf': s.csrfToken }, body: JSON.stringify(serverManifest('after-restart')) });
    expect(after.status, await after.text()).toBe(201);
    await fresh.close();
  });

  it('answers 401 without a session, after expiry, after sign-out and after its token is revoked', async () => {
    expect((await fetch(`${h.url}${API}/mcpservers`)).status).toBe(401);
    expect((await fetch(`${h.url}/ui/session`)).status).toBe(401);

    const expired = await signIn(h.adminToken);
    const record = (await h.store.getToken(expired.tokenId))!;
    await h.store.putToken({ ...record, expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await problem(await fetch(`${h.url}${API}/mcpservers`, { headers: { cookie: expired.cookie } }))).toMatchObject({ status: 401, detail: expect.stringContaining('expired') });

    const out = await signIn(h.adminToken);
    expect((await fetch(`${h.url}/ui/session`, { method: 'DELETE', headers: { cookie: out.cookie } })).status).toBe(403); // sign-out needs CSRF too
    const del = await fetch(`${h.url}/ui/session`, { method: 'DELETE', headers: { cookie: out.cookie, 'x-berth-csrf': out.csrfToken } });
    expect(del.status).toBe(204);
    expect(del.headers.get('set-cookie')).toMatch(/^berth_session=; .*Max-Age=0/);
    expect((await fetch(`${h.url}${API}/mcpservers`, { headers: { cookie: out.cookie } })).status).toBe(401);
    expect((await fetch(`${h.url}/ui/session`, { headers: { cookie: out.cookie } })).status).toBe(401);

    const publisher = await h.token('publisher', { team: 'payments' });
    const child = await signIn(publisher);
    expect(child.body).toMatchObject({ role: 'publisher', team: 'payments' });
    expect((await fetch(`${h.url}${API}/mcpservers`, { headers: { cookie: child.cookie } })).status).toBe(200);
    const parentId = /^berth_(tok_\w+)_/.exec(publisher)![1]!;
    const revoke = await fetch(`${h.url}${API}/tokens/${parentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(revoke.status).toBe(200);
    expect(await problem(await fetch(`${h.url}${API}/mcpservers`, { headers: { cookie: child.cookie } }))).toMatchObject({ status: 401, detail: expect.stringContaining(parentId) });
  });

  it('refuses agent, gateway and controller tokens, and unknown ones', async () => {
    for (const role of ['agent', 'gateway', 'controller'] as const) {
      const token = await h.token(role, role === 'agent' ? { agent: 'sales-copilot' } : {});
      const res = await fetch(`${h.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(await problem(res)).toMatchObject({ status: 403, detail: 'the dashboard is for people; sign in with a reader, publisher, approver or admin token' });
    }
    const unknown = await fetch(`${h.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'berth_tok_aaaaaaaaaaaa_' + 'x'.repeat(43) }) });
    expect(unknown.status).toBe(401);
    const crossSite = await fetch(`${h.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token: h.adminToken }) });
    expect(crossSite.status).toBe(403);
  });

  it("holds a reader's session to a reader's rights, exactly as its bearer token", async () => {
    const reader = await h.token('reader');
    const s = await signIn(reader);
    const viaCookie = await fetch(`${h.url}${API}/approvals/apr_nothing/approve`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-berth-csrf': s.csrfToken }, body: '{}' });
    const viaBearer = await fetch(`${h.url}${API}/approvals/apr_nothing/approve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${reader}` }, body: '{}' });
    expect(viaCookie.status).toBe(403);
    expect(viaBearer.status).toBe(403);
    const withoutId = (detail: string): string => detail.replace(/tok_\w+/g, 'tok_…');
    expect(withoutId((await problem(viaCookie)).detail)).toBe(withoutId((await problem(viaBearer)).detail));
  });

  it('lets a bearer header win over the cookie, and streams a watch with the cookie', async () => {
    const reader = await h.token('reader');
    const s = await signIn(h.adminToken);
    const who = await fetch(`${h.url}${API}/whoami`, { headers: { cookie: s.cookie, authorization: `Bearer ${reader}` } });
    expect(await who.json()).toMatchObject({ role: 'reader' });
    const list = (await (await fetch(`${h.url}${API}/mcpservers`, { headers: { cookie: s.cookie } })).json()) as { metadata: { resourceVersion: string } };
    const ac = new AbortController();
    const watch = await fetch(`${h.url}${API}/mcpservers?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { headers: { cookie: s.cookie }, signal: ac.signal });
    expect(watch.status).toBe(200);
    const reader2 = watch.body!.getReader();
    expect((await createServer(s, 'watched', { 'x-berth-csrf': s.csrfToken })).status).toBe(201);
    let text = '';
    while (!text.includes('"watched"')) {
      const chunk = await reader2.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain('"ADDED"');
    ac.abort();
  });
});

describe('dashboard serving', () => {
  it('serves index.html and content-hashed assets with the security headers, caching and gzip', async () => {
    const redirect = await fetch(`${h.url}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/ui/');
    const index = await fetch(`${h.url}/ui/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-encoding')).toBe('gzip');
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style|style=/);
    const js = /src="(\/ui\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const css = /href="(\/ui\/assets\/main-[A-Z0-9]+\.css)"/.exec(html)![1]!;
    for (const path of [js, css]) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('gzip');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    expect((await fetch(`${h.url}${js}`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    for (const path of ['/ui', '/ui/', js, '/ui/config', '/ui/session', '/ui/assets/missing.js']) {
      const res = await fetch(`${h.url}${path}`, { redirect: 'manual' });
      expect(res.headers.get('content-security-policy'), path).toBe(DASHBOARD_CSP);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('cross-origin-opener-policy'), path).toBe('same-origin');
    }
    expect(await (await fetch(`${h.url}/ui/config`)).json()).toEqual({ oidc: { enabled: false, loginUrl: '/ui/oidc/login' }, version: expect.any(String) });
  });

  it('answers 500 with the file and line when the app does not build, and serves nothing with the dashboard off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-dash-broken-'));
    const entry = join(dir, 'main.tsx');
    await writeFile(entry, 'const x = ;\n');
    await writeFile(join(dir, 'tsconfig.json'), '{}');
    const broken = await startHarness({ dashboard: { entry } });
    const off = await startHarness();
    try {
      const res = await fetch(`${broken.url}/ui/`);
      expect(res.status).toBe(500);
      expect((await problem(res)).detail).toMatch(/main\.tsx:1:10: Unexpected ";"/);
      expect((await fetch(`${off.url}/ui/`)).status).toBe(404);
      // Without the dashboard the cookie is no credential.
      const s = await signIn(h.adminToken);
      expect((await fetch(`${off.url}${API}/whoami`, { headers: { cookie: s.cookie } })).status).toBe(401);
    } finally {
      await broken.close();
      await off.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('berth registry and the dashboard flags', () => {
  it('serves /ui/ by default, not with --no-dashboard, and refuses a bad --ui-session-ttl', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-dash-flags-'));
    const on = await startRegistry(join(dir, 'on'), ['--ui-session-ttl', '30m']);
    const off = await startRegistry(join(dir, 'off'), ['--no-dashboard']);
    try {
      expect((await fetch(`${on.url}/ui/`)).status).toBe(200);
      const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      expect(await (await fetch(`${on.url}/ui/config`)).json()).toEqual({ oidc: { enabled: false, loginUrl: '/ui/oidc/login' }, version: pkg.version });
      const token = (await readFile(join(dir, 'on', 'admin-token'), 'utf8')).trim();
      const signed = await fetch(`${on.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(signed.headers.get('set-cookie')).toContain('Max-Age=1800');
      expect((await fetch(`${off.url}/ui/`)).status).toBe(404);
      const bad = await runBerth(['registry', '--ui-session-ttl', 'soon', '--state-dir', join(dir, 'bad')], {}, dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--ui-session-ttl');
    } finally {
      await stop(on);
      await stop(off);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dashboard secrets in logs', () => {
  it('never logs the session secret or the CSRF token, at trace level, through sign-in, a refused and a good write, and sign-out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-dash-logs-'));
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });
    const store = await openSqliteStore({ path: join(dir, 'registry.db'), logger });
    const server = await startRegistryServer({ store, host: '127.0.0.1', port: 0, stateDir: dir, logger, dashboard: {}, drainMs: 1_000 });
    try {
      const admin = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
      const res = await fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: admin }) });
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const post = (headers: Record<string, string>) => fetch(`${server.url}${API}/mcpservers`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: JSON.stringify(serverManifest('logged')) });
      expect((await post({ 'x-berth-csrf': 'wrong' })).status).toBe(403);
      expect((await post({ 'x-berth-csrf': csrfToken })).status).toBe(201);
      expect((await fetch(`${server.url}/ui/session`, { method: 'DELETE', headers: { cookie, 'x-berth-csrf': csrfToken } })).status).toBe(204);
      const secret = cookie.split('_').at(-1)!;
      const log = lines.join('');
      expect(log).toContain('dashboard session started');
      expect(log).not.toContain(secret);
      expect(log).not.toContain(csrfToken);
    } finally {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
