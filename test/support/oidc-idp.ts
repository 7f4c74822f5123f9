/**
 * A real OpenID Provider for tests (`oidc-provider`, certified), in this process
 * over HTTP on 127.0.0.1: authorization code flow with PKCE required, a
 * confidential and a public client, accounts in groups (the `groups` claim is
 * put in ID tokens), and its development login and consent forms, which
 * {@link FetchBrowser} fills in. Its RS256 signing key is the test's, so a test
 * can sign tokens the provider could have signed.
 *
 * @example
 * const idp = await startOidcIdp({ redirectUris: ['http://127.0.0.1:7070/ui/oidc/callback'], accounts: { alice: ['platform'] } });
 * // configure the relying party with idp.issuer, idp.clientId, idp.clientSecret
 * await idp.stop();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import Provider from 'oidc-provider';

/** How {@link startOidcIdp} sets the provider up. */
export interface OidcIdpOptions {
  /** Redirect URIs registered for both clients. */
  redirectUris: string[];
  /** Account id → its groups. Every account's email is `<id>@example.com`. */
  accounts: Record<string, string[]>;
}

/** A running provider. */
export interface OidcIdp {
  readonly issuer: string;
  /** The confidential client (client_secret_basic). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** A public client (PKCE only, no secret). */
  readonly publicClientId: string;
  /** The provider's signing key, for tests that sign tokens it could have signed. */
  readonly signingKey: { privateKey: CryptoKey; kid: string };
  /**
   * Has the next successful token response carry `rewrite(idToken)` in place of
   * its ID token: a provider misbehaving, or an attacker on its path.
   */
  rewriteNextIdToken(rewrite: (idToken: string) => Promise<string>): void;
  stop(): Promise<void>;
}

/** Starts the provider on a free port. */
export async function startOidcIdp(opts: OidcIdpOptions): Promise<OidcIdp> {
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-idp-key';
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const clientId = 'berth-dashboard';
  const clientSecret = 'test-client-secret';
  const publicClientId = 'berth-dashboard-public';
  const clients = [
    { client_id: clientId, client_secret: clientSecret, redirect_uris: opts.redirectUris, token_endpoint_auth_method: 'client_secret_basic' },
    { client_id: publicClientId, redirect_uris: opts.redirectUris, token_endpoint_auth_method: 'none' },
  ];
  const provider = new Provider(issuer, {
      clients,
      findAccount: (_ctx, id) => {
        const groups = opts.accounts[id];
        return groups === undefined ? undefined : { accountId: id, claims: () => ({ sub: id, email: `${id}@example.com`, groups }) };
      },
      claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
      scopes: ['openid', 'email', 'groups'],
      // Put scope claims in the ID token (the relying party reads groups from it, as many providers allow).
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      jwks: { keys: [jwk] },
      cookies: { keys: ['test-idp-cookie-key'] },
      // Lifetimes stated (the provider nags about defaults otherwise); seconds.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
    }).callback();
  let rewrite: ((idToken: string) => Promise<string>) | undefined;
  handler = (req, res) => {
    if (rewrite !== undefined && req.method === 'POST' && req.url === '/token') rewriteBody(res, rewrite, () => (rewrite = undefined));
    provider(req, res);
  };
  return {
    issuer,
    clientId,
    clientSecret,
    publicClientId,
    signingKey: { privateKey, kid },
    rewriteNextIdToken: (fn) => {
      rewrite = fn;
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Holds back the token response `res` is about to end with, and ends it with its ID token rewritten (once it succeeded). */
function rewriteBody(res: http.ServerResponse, rewrite: (idToken: string) => Promise<string>, done: () => void): void {
  const end = res.end.bind(res) as (body?: unknown) => http.ServerResponse;
  res.end = ((body?: unknown) => {
    if (res.statusCode !== 200 || body === undefined) return end(body);
    done();
    const doc = JSON.parse(String(body)) as { id_token: string };
    void rewrite(doc.id_token).then((idToken) => {
      const text = JSON.stringify({ ...doc, id_token: idToken });
      res.setHeader('content-length', Buffer.byteLength(text));
      end(text);
    });
    return res;
  }) as typeof res.end;
}
