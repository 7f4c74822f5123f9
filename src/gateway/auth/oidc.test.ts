/**
 * The attack corpus against a real identity provider over HTTP (test/support/oidc-issuer.ts):
 * what the verifier accepts, every way it refuses, what it fetches and when, and
 * what its cache saves. Claim times follow a hand-moved clock; jose's JWKS
 * cooldown follows real time, so the cooldown tests wait a few hundred ms.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startOidcIssuer, type OidcIssuer, type OidcIssuerOptions } from '../../../test/support/oidc-issuer.ts';
import { createOidcVerifier, type OidcVerifier } from './oidc.ts';
import { OidcConfigError, type OidcConfig } from './oidc-config.ts';
import { TokenRejectedError, type TokenRejectionCode } from './token-rejected.ts';

let now = Date.now();
const clock = { now: () => now };
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
  now = Date.now();
});

async function issuer(opts: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const idp = await startOidcIssuer({ now: clock.now, ...opts });
  cleanups.push(() => idp.stop());
  return idp;
}

function verifierFor(idp: OidcIssuer, config: Partial<OidcConfig> = {}): OidcVerifier {
  const verifier = createOidcVerifier({ issuer: idp.issuer, audience: idp.audience, ...config }, { clock });
  cleanups.push(() => verifier.close());
  return verifier;
}

/** The rejection `verify` ends in, after checking its message is fit for `error_description` and free of token contents. */
async function rejection(verifier: OidcVerifier, token: string): Promise<TokenRejectedError> {
  const err = await verifier.verify(token).then(
    () => expect.fail('the token was accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenRejectedError);
  const { message } = err as TokenRejectedError;
  expect(message).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/); // RFC 6750 §3 error_description characters
  for (const secret of ['agent-1', 'user-1', 'rs256-', 'es256-', ...token.split('.').filter((p) => p.length > 8)]) expect(message).not.toContain(secret);
  return err as TokenRejectedError;
}

async function expectRejected(verifier: OidcVerifier, token: string, code: TokenRejectionCode): Promise<TokenRejectedError> {
  const err = await rejection(verifier, token);
  expect(err.code).toBe(code);
  return err;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OIDC verifier: tokens it accepts', () => {
  it('an RS256 token: agent from azp, user from sub, groups from groups', async () => {
    const idp = await issuer();
    const token = await idp.mint({ claims: { groups: ['sales', 'ops'] } });
    const who = await verifierFor(idp).verify(token);
    expect(who).toEqual({
      kind: 'jwt',
      issuer: idp.issuer,
      agent: 'agent-1',
      user: 'user-1',
      groups: ['sales', 'ops'],
      subject: JSON.stringify([idp.issuer, 'user-1', 'agent-1']),
      expiresAt: (Math.floor(now / 1000) + 300) * 1000,
    });
    expect(Object.isFrozen(who)).toBe(true);
  });

  it('an ES256 token', async () => {
    const idp = await issuer();
    const who = await verifierFor(idp).verify(await idp.mint({ alg: 'ES256' }));
    expect(who.agent).toBe('agent-1');
  });

  it('the agent from client_id when there is no azp (client-credentials tokens); no groups claim → no groups', async () => {
    const idp = await issuer();
    const who = await verifierFor(idp).verify(await idp.mint({ claims: { azp: undefined, client_id: 'billing-bot', sub: 'billing-bot' } }));
    expect(who).toMatchObject({ agent: 'billing-bot', user: 'billing-bot', groups: [] });
  });

  it('claim names from configuration (an Entra-style token: appid, upn, roles as one string)', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { agentClaims: ['appid'], userClaim: 'upn', groupsClaim: 'roles' });
    const who = await verifier.verify(await idp.mint({ claims: { azp: undefined, appid: 'crm-agent', upn: 'alice@example.com', roles: 'Sales.Read' } }));
    expect(who).toMatchObject({ agent: 'crm-agent', user: 'alice@example.com', groups: ['Sales.Read'] });
    expect(who.subject).toBe(JSON.stringify([idp.issuer, 'user-1', 'crm-agent']));
  });

  it('an aud list naming the gateway, and a gateway with several resource URIs', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { audience: ['https://other.test', idp.audience] });
    expect((await verifier.verify(await idp.mint({ claims: { aud: ['https://api.test', idp.audience] } }))).agent).toBe('agent-1');
  });

  it('an issuer with a path that publishes only RFC 8414 metadata', async () => {
    const idp = await issuer({ path: '/tenants/acme', metadata: 'oauth-authorization-server' });
    expect((await verifierFor(idp).verify(await idp.mint())).agent).toBe('agent-1');
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('exp and nbf within the clock tolerance', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { clockToleranceSeconds: 30 });
    await expect(verifier.verify(await idp.mint({ expiresIn: -10 }))).resolves.toMatchObject({ agent: 'agent-1' });
    await expect(verifier.verify(await idp.mint({ notBefore: 10 }))).resolves.toMatchObject({ agent: 'agent-1' });
  });
});

describe('OIDC verifier: tokens it refuses', () => {
  it('garbled tokens are malformed', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    const good = await idp.mint();
    const [header, payload] = good.split('.');
    for (const token of ['', 'garbage', 'a.b.c', `${header}.${payload}`, `!!!.${payload}.sig`, `${b64url('not an object')}.${payload}.sig`, 'x'.repeat(20_000)]) {
      await expectRejected(verifier, token, 'malformed');
    }
    // Signed, but exp is not a number.
    await expectRejected(verifier, await idp.mint({ claims: { exp: 'tomorrow' } }), 'malformed');
  });

  it('a token without exp is malformed', async () => {
    const idp = await issuer();
    const err = await expectRejected(verifierFor(idp), await idp.mint({ claims: { exp: undefined } }), 'malformed');
    expect(err.message).toBe('the token has no exp claim');
  });

  it('a tampered payload fails the signature check', async () => {
    const idp = await issuer();
    const [header, , signature] = (await idp.mint()).split('.');
    const forged = `${header}.${b64url(idp.claims({ azp: 'admin-bot', groups: ['admins'] }))}.${signature}`;
    await expectRejected(verifierFor(idp), forged, 'bad-signature');
  });

  it("another issuer's key under a kid this issuer publishes fails the signature check", async () => {
    const idp = await issuer();
    const impostor = await issuer();
    const forged = await impostor.mint({ claims: { iss: idp.issuer } }); // same kid (rs256-1), other key
    await expectRejected(verifierFor(idp), forged, 'bad-signature');
  });

  it('expired beyond the tolerance', async () => {
    const idp = await issuer();
    await expectRejected(verifierFor(idp), await idp.mint({ expiresIn: -120 }), 'expired');
  });

  it('not valid yet beyond the tolerance', async () => {
    const idp = await issuer();
    await expectRejected(verifierFor(idp), await idp.mint({ notBefore: 120 }), 'not-yet-valid');
  });

  it('signed by the trusted keys but naming another issuer, or none', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    await expectRejected(verifier, await idp.mint({ claims: { iss: 'https://evil.example' } }), 'wrong-issuer');
    await expectRejected(verifier, await idp.mint({ claims: { iss: undefined } }), 'wrong-issuer');
  });

  it('meant for another resource, or for none (an ID token replayed as an access token)', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    await expectRejected(verifier, await idp.mint({ claims: { aud: 'https://other-resource.test' } }), 'wrong-audience');
    await expectRejected(verifier, await idp.mint({ claims: { aud: ['agent-1'] } }), 'wrong-audience');
    await expectRejected(verifier, await idp.mint({ claims: { aud: undefined } }), 'wrong-audience');
  });

  it('alg none (unsigned), with and without a kid', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    const payload = b64url(idp.claims());
    await expectRejected(verifier, `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'alg-not-allowed');
    await expectRejected(verifier, `${b64url({ alg: 'none', kid: 'rs256-1' })}.${payload}.`, 'alg-not-allowed');
    await expectRejected(verifier, `${b64url({ alg: 'NONE' })}.${payload}.`, 'alg-not-allowed');
  });

  it('HS256 with the RSA public key as the HMAC secret (algorithm confusion)', async () => {
    const idp = await issuer();
    const { pem, kid } = await idp.publicKey('RS256');
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(idp.claims({ azp: 'admin-bot' }))}`;
    for (const secret of [pem, pem.trim()]) {
      const forged = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      await expectRejected(verifierFor(idp), forged, 'alg-not-allowed');
    }
  });

  it('an algorithm outside a narrowed list', async () => {
    const idp = await issuer();
    await expectRejected(verifierFor(idp, { algorithms: ['RS256'] }), await idp.mint({ alg: 'ES256' }), 'alg-not-allowed');
  });

  it('no agent claim', async () => {
    const idp = await issuer();
    const err = await expectRejected(verifierFor(idp), await idp.mint({ claims: { azp: undefined, client_id: '' } }), 'no-agent-claim');
    expect(err.message).toMatch(/^no azp or client_id claim: /);
  });
});

describe('OIDC verifier: keys, rotation and an unreachable issuer', () => {
  it('an unknown kid: one refetch once the cooldown has passed, then refused; another unknown kid within the cooldown fetches nothing', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { jwksCooldownMs: 400 });
    // Minted up front, so the checks after the refetch run well within the cooldown.
    const unknown = await Promise.all([idp.mint({ kid: 'made-up-1' }), idp.mint({ kid: 'made-up-2' }), idp.mint({ kid: 'made-up-3', alg: 'ES256' })]);
    await verifier.verify(await idp.mint());
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
    await sleep(450);
    await expectRejected(verifier, unknown[0]!, 'unknown-key');
    expect(idp.requests.jwks).toBe(2);
    await expectRejected(verifier, unknown[1]!, 'unknown-key');
    await expectRejected(verifier, unknown[2]!, 'unknown-key');
    expect(idp.requests).toEqual({ discovery: 1, jwks: 2 });
  });

  it('rotation: a token with the new kid is accepted after one refetch, old tokens still verify while the old key is published', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { jwksCooldownMs: 300 });
    await verifier.verify(await idp.mint());
    const oldKeyToken = await idp.mint({ claims: { azp: 'old-key-agent' } });
    expect(await idp.rotate('RS256')).toBe('rs256-2');
    await sleep(350);
    const who = await verifier.verify(await idp.mint({ claims: { azp: 'new-key-agent' } }));
    expect(who.agent).toBe('new-key-agent');
    expect(idp.requests.jwks).toBe(2);
    expect((await verifier.verify(oldKeyToken)).agent).toBe('old-key-agent');
    expect(idp.requests.jwks).toBe(2);
  });

  it('a retired key: a token it signed that was never verified before is refused once the JWKS no longer has it', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { jwksCooldownMs: 300 });
    await verifier.verify(await idp.mint());
    const retiredKeyToken = await idp.mint({ claims: { azp: 'late-agent' } });
    await idp.rotate('RS256', { retireOld: true });
    await sleep(350);
    await verifier.verify(await idp.mint()); // the new kid: refetch
    expect(idp.kids()).toEqual(['es256-1', 'rs256-2']);
    await expectRejected(verifier, retiredKeyToken, 'unknown-key');
  });

  it('an issuer that is down: issuer-unreachable with the cause; asked again only after a second, then it works', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    const token = await idp.mint();
    idp.setAvailable(false);
    const err = await expectRejected(verifier, token, 'issuer-unreachable');
    expect(String((err.cause as Error).message)).toMatch(/HTTP 503/);
    idp.setAvailable(true);
    await expectRejected(verifier, token, 'issuer-unreachable'); // remembered, not asked again
    expect(idp.requests.discovery).toBe(0);
    now += 1_000;
    expect((await verifier.verify(token)).agent).toBe('agent-1');
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('an issuer that is gone (connection refused)', async () => {
    const idp = await issuer();
    const token = await idp.mint();
    await idp.stop();
    const err = await expectRejected(verifierFor(idp), token, 'issuer-unreachable');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('a JWKS that cannot be fetched when a new kid needs it', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { jwksCooldownMs: 100 });
    await verifier.verify(await idp.mint());
    await idp.rotate('ES256');
    const token = await idp.mint({ alg: 'ES256' });
    await sleep(150);
    idp.setAvailable(false);
    await expectRejected(verifier, token, 'issuer-unreachable');
  });

  it('discovery metadata that speaks for another issuer (mix-up)', async () => {
    const idp = await issuer({ advertisedIssuer: 'https://evil.example' });
    const err = await expectRejected(verifierFor(idp), await idp.mint(), 'issuer-unreachable');
    expect((err.cause as Error).message).toMatch(/describes issuer "https:\/\/evil.example"/);
    expect(idp.requests.jwks).toBe(0);
  });
});

describe('OIDC verifier: the verified-token cache', () => {
  it('a token seen before costs no signature check and no fetch, and yields the same identity', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    const token = await idp.mint();
    const signatureChecks = vi.spyOn(crypto.subtle, 'verify');
    const first = await verifier.verify(token);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(signatureChecks).toHaveBeenCalledTimes(1);
    expect(idp.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('a cached token is refused once it has expired', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { clockToleranceSeconds: 5 });
    const token = await idp.mint({ expiresIn: 60 });
    await verifier.verify(token);
    now += 60_000 + 5_000;
    await expectRejected(verifier, token, 'expired');
  });

  it('a refusal is not remembered: a not-yet-valid token is accepted once the clock reaches nbf', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp, { clockToleranceSeconds: 0 });
    const token = await idp.mint({ notBefore: 60 });
    await expectRejected(verifier, token, 'not-yet-valid');
    now += 60_000;
    expect((await verifier.verify(token)).agent).toBe('agent-1');
  });

  it('after close, verify throws even for a token it had verified', async () => {
    const idp = await issuer();
    const verifier = verifierFor(idp);
    const token = await idp.mint();
    await verifier.verify(token);
    verifier.close();
    await expect(verifier.verify(token)).rejects.toThrow(/closed/);
  });
});

describe('OIDC verifier: configuration it refuses', () => {
  const base = { issuer: 'https://idp.example.com', audience: 'https://mcp.example.com' };
  it.each([
    [{ algorithms: ['none'] }, /algorithms: none is never accepted/],
    [{ algorithms: ['RS256', 'HS256'] }, /algorithms: HS256 is a shared-secret algorithm/],
    [{ algorithms: ['hs512'] }, /shared-secret/],
    [{ algorithms: ['RSA-OAEP'] }, /algorithms: RSA-OAEP is not one of/],
    [{ algorithms: [] }, /at least one/],
    [{ issuer: 'http://idp.example.com' }, /issuer: .* must use https/],
    [{ issuer: 'https://idp.example.com/?tenant=a' }, /no query or fragment/],
    [{ audience: [] }, /audience/],
    [{ clockToleranceSeconds: 3600 }, /between 0 and 300/],
    [{ agentClaims: [] }, /agentClaims/],
  ])('%j', (override, message) => {
    expect(() => createOidcVerifier({ ...base, ...override })).toThrow(OidcConfigError);
    expect(() => createOidcVerifier({ ...base, ...override })).toThrow(message);
  });
});
