/**
 * The sign-in's pure parts: what a `--oidc-role-map` rule may say, which
 * configurations the registry refuses to start with, how claims map to a role
 * (deny by default, first rule wins), and that the sealed sign-in state opens
 * only intact, unexpired and under the key that sealed it.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OidcLoginConfigError, parseRoleMapping, resolveOidcLoginConfig, type OidcLoginConfig } from './login-config.ts';
import { codeChallenge, loginStateKey, loginStateKeyFor, newLoginState, openLoginState, sealLoginState } from './login-state.ts';
import { mapRole } from './role-mapping.ts';

const base: OidcLoginConfig = { issuer: 'https://idp.example.com', clientId: 'berth', redirectUrl: 'https://berth.example.com/ui/oidc/callback', roleMap: [parseRoleMapping('platform=admin')] };

describe('--oidc-role-map rules', () => {
  it('reads group=role[:team], group names with = included (LDAP DNs)', () => {
    expect(parseRoleMapping('sales-eng=publisher:sales')).toEqual({ group: 'sales-eng', role: 'publisher', team: 'sales' });
    expect(parseRoleMapping('cn=admins,ou=groups=admin')).toEqual({ group: 'cn=admins,ou=groups', role: 'admin' });
  });

  it('refuses rules without a group, with a machine role or a malformed team, saying how to write one', () => {
    expect(() => parseRoleMapping('=admin')).toThrow(/names no group: write group=role\[:team\]/);
    expect(() => parseRoleMapping('bots=agent')).toThrow(/not one of reader, publisher, approver, admin/);
    expect(() => parseRoleMapping('x=publisher:a:b')).toThrow(/malformed team/);
  });
});

describe('the configuration the registry starts with', () => {
  it('fills in the defaults', () => {
    const cfg = resolveOidcLoginConfig(base);
    expect(cfg).toMatchObject({ scopes: ['profile', 'email'], roleClaim: 'groups', clockToleranceSeconds: 60 });
    expect(cfg.redirectUrl()).toBe('https://berth.example.com/ui/oidc/callback');
  });

  it.each([
    [{ issuer: 'http://idp.example.com' }, '--oidc-issuer', /must use https/],
    [{ clientId: '' }, '--oidc-client-id', /is required/],
    [{ redirectUrl: 'https://berth.example.com/callback' }, '--oidc-redirect-url', /must end with \/ui\/oidc\/callback/],
    [{ roleMap: [] }, '--oidc-role-map', /nobody could sign in/],
    [{ roleMap: [parseRoleMapping('sales=publisher')] }, '--oidc-role-map', /publisher publishes for one team/],
    [{ scopes: ['groups "x"'] }, '--oidc-scopes', /is not a scope name/],
  ] as const)('refuses %j, naming %s', (change, setting, problem) => {
    const attempt = (): unknown => resolveOidcLoginConfig({ ...base, ...change } as OidcLoginConfig);
    expect(attempt).toThrow(OidcLoginConfigError);
    expect(attempt).toThrow(problem);
    try {
      attempt();
    } catch (err) {
      expect((err as OidcLoginConfigError).setting).toBe(setting);
    }
  });
});

describe('claims to a role', () => {
  const rules = { roleClaim: 'groups', teamClaim: 'team', roleMap: ['platform=admin', 'sales-eng=publisher:sales', 'eng=publisher', 'everyone=reader'].map(parseRoleMapping) };

  it('takes the first rule whose group the person is in, and the team of the rule or else of the team claim', () => {
    expect(mapRole({ groups: ['everyone', 'platform'] }, rules)).toEqual({ allowed: true, role: 'admin', group: 'platform' });
    expect(mapRole({ groups: 'sales-eng', team: 'ignored' }, rules)).toEqual({ allowed: true, role: 'publisher', team: 'sales', group: 'sales-eng' });
    expect(mapRole({ groups: ['eng'], team: 'payments' }, rules)).toEqual({ allowed: true, role: 'publisher', team: 'payments', group: 'eng' });
  });

  it('refuses, with the reason, a person in no mapped group, without groups, or a publisher without a team', () => {
    expect(mapRole({ groups: ['visitors'] }, rules)).toEqual({ allowed: false, reason: expect.stringContaining('none of the groups mapped to a Berth role: ask an admin to add you to one of platform, sales-eng, eng, everyone') });
    expect(mapRole({}, rules)).toEqual({ allowed: false, reason: expect.stringContaining('no "groups" claim') });
    expect(mapRole({ groups: ['eng'] }, rules)).toEqual({ allowed: false, reason: expect.stringContaining('names no team in "team"') });
  });
});

describe('the sealed sign-in state', () => {
  const key = loginStateKey(randomBytes(32), 'https://idp.example.com', 'berth');
  const now = Date.UTC(2026, 0, 1);

  it('opens to what was sealed, until it expires after 10 minutes', () => {
    const state = newLoginState(now);
    const sealed = sealLoginState(key, state);
    expect(openLoginState(key, sealed, now + 599_000)).toEqual(state);
    expect(openLoginState(key, sealed, now + 600_000)).toEqual({ failure: 'expired' });
  });

  it('does not open when altered, truncated, or sealed under another key', () => {
    const sealed = sealLoginState(key, newLoginState(now));
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 20]! ^= 0x01;
    expect(openLoginState(key, bytes.toString('base64url'), now)).toEqual({ failure: 'tampered' });
    expect(openLoginState(key, sealed.slice(0, -4), now)).toEqual({ failure: 'tampered' });
    expect(openLoginState(loginStateKey(randomBytes(32), 'https://idp.example.com', 'berth'), sealed, now)).toEqual({ failure: 'tampered' });
    expect(openLoginState(key, 'not base64url!', now)).toEqual({ failure: 'malformed' });
  });

  it('opens on every replica of a registry with a client secret, and only for the same issuer and client', () => {
    const config = { issuer: 'https://idp.example.com', clientId: 'berth', clientSecret: 'shared-client-secret' };
    const logged: string[] = [];
    const log = pino({}, { write: (line: string) => void logged.push(line) });
    const sealed = sealLoginState(loginStateKeyFor(config, log), newLoginState(now));
    expect(openLoginState(loginStateKeyFor(config, log), sealed, now)).toHaveProperty('state');
    expect(openLoginState(loginStateKeyFor({ ...config, clientId: 'other' }, log), sealed, now)).toEqual({ failure: 'tampered' });
    expect(logged).toEqual([]);
    const { clientSecret: _, ...publicClient } = config;
    expect(openLoginState(loginStateKeyFor(publicClient, log), sealLoginState(loginStateKeyFor(publicClient, log), newLoginState(now)), now)).toEqual({ failure: 'tampered' });
    expect(logged[0]).toContain('keep each browser on one (sticky sessions)');
  });

  it('derives the PKCE S256 challenge of RFC 7636 appendix B', () => {
    expect(codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});
