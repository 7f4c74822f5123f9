/**
 * A local identity provider for tests, over real HTTP on 127.0.0.1: it serves
 * discovery metadata and a JWKS, mints access tokens with jose (RS256 and ES256
 * keys), rotates keys, can pretend to be down, and counts the requests it got —
 * so tests can prove what a verifier fetched and when.
 *
 * @example
 * const idp = await startOidcIssuer({ audience: 'https://gateway.test/mcp' });
 * const token = await idp.mint({ claims: { azp: 'sales-bot', groups: ['sales'] } });
 * const verifier = createOidcVerifier({ issuer: idp.issuer, audience: idp.audience });
 * await verifier.verify(token); // { kind: 'jwt', agent: 'sales-bot', … }
 * idp.requests.jwks; // 1
 * await idp.stop();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** The signing algorithms the test issuer holds keys for. */
export type IssuerAlg = 'RS256' | 'ES256';

/** How {@link startOidcIssuer} sets the issuer up. */
export interface OidcIssuerOptions {
  /** Path of the issuer identifier, e.g. `/realms/acme`; default none (`http://127.0.0.1:<port>`). */
  path?: string;
  /** Which metadata document it serves: OpenID Connect Discovery (default) or RFC 8414's. */
  metadata?: 'openid-configuration' | 'oauth-authorization-server';
  /** The `issuer` its metadata claims; default its own identifier. Set it to test mix-up defences. */
  advertisedIssuer?: string;
  /** Default `aud` of minted tokens; default `https://gateway.test/mcp`. */
  audience?: string;
  /** Epoch ms that minted tokens' `iat`, `exp` and `nbf` count from; default `Date.now`. */
  now?: () => number;
}

/** What {@link OidcIssuer.mint} puts in a token. */
export interface MintOptions {
  /** Which of the issuer's current keys signs; default RS256. */
  alg?: IssuerAlg;
  /** The header's `kid`; default the signing key's own. Set another to send a kid the issuer does not publish. */
  kid?: string;
  /** Claims over the defaults (see {@link OidcIssuer.claims}); a claim set to `undefined` is left out. */
  claims?: Record<string, unknown>;
  /** `exp` as seconds from now; default 300. Negative: already expired. */
  expiresIn?: number;
  /** `nbf` as seconds from now; default none. */
  notBefore?: number;
}

/** A running test issuer. */
export interface OidcIssuer {
  /** The issuer identifier (`iss`), e.g. `http://127.0.0.1:40123/realms/acme`. */
  readonly issuer: string;
  /** The default `aud` of minted tokens. */
  readonly audience: string;
  /** Requests served so far, by document. */
  readonly requests: { discovery: number; jwks: number };
  /** The key ids the JWKS publishes now. */
  kids(): string[];
  /** The default claims of a token minted now (`iss`, `aud`, `sub`, `azp`, `iat`, `exp`), with `overrides` applied; for hand-built tokens. */
  claims(overrides?: Record<string, unknown>, expiresIn?: number): Record<string, unknown>;
  /** A token signed with the current key of `opts.alg`. */
  mint(opts?: MintOptions): Promise<string>;
  /** The current `alg` key's public half as SPKI PEM (what an attacker can read off the JWKS) and its kid. */
  publicKey(alg?: IssuerAlg): Promise<{ pem: string; kid: string }>;
  /** Makes a new key for `alg` (a new kid) and signs with it from now on; the old one stays published unless `retireOld`. Returns the new kid. */
  rotate(alg?: IssuerAlg, opts?: { retireOld?: boolean }): Promise<string>;
  /** `false`: every request answers 503 until set back to `true`. */
  setAvailable(up: boolean): void;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

interface SigningKey {
  kid: string;
  alg: IssuerAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/**
 * Starts a test issuer on 127.0.0.1 and a free port, with one RS256 key
 * (`rs256-1`) and one ES256 key (`es256-1`).
 * @example const idp = await startOidcIssuer({ path: '/tenant-a', metadata: 'oauth-authorization-server' });
 */
export async function startOidcIssuer(opts: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const path = opts.path ?? '';
  const audience = opts.audience ?? 'https://gateway.test/mcp';
  const now = opts.now ?? Date.now;
  const counters = { rs256: 0, es256: 0 };
  const published: SigningKey[] = [];
  const current = new Map<IssuerAlg, SigningKey>();
  const requests = { discovery: 0, jwks: 0 };
  let available = true;

  const newKey = async (alg: IssuerAlg): Promise<SigningKey> => {
    const n = alg === 'RS256' ? ++counters.rs256 : ++counters.es256;
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-${n}`;
    const key: SigningKey = { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    published.push(key);
    current.set(alg, key);
    return key;
  };
  await newKey('RS256');
  await newKey('ES256');

  let issuer = '';
  const discoveryPath = opts.metadata === 'oauth-authorization-server' ? `/.well-known/oauth-authorization-server${path}` : `${path}/.well-known/openid-configuration`;
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!available) return send(503, { error: 'temporarily_unavailable' });
    if (req.url === discoveryPath) {
      requests.discovery++;
      return send(200, { issuer: opts.advertisedIssuer ?? issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] });
    }
    if (req.url === `${path}/jwks`) {
      requests.jwks++;
      return send(200, { keys: published.map((k) => k.jwk) });
    }
    send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  const keyFor = (alg: IssuerAlg): SigningKey => current.get(alg)!;
  const claims = (overrides: Record<string, unknown> = {}, expiresIn = 300): Record<string, unknown> => {
    const iat = Math.floor(now() / 1000);
    const merged: Record<string, unknown> = { iss: issuer, aud: audience, sub: 'user-1', azp: 'agent-1', iat, exp: iat + expiresIn, ...overrides };
    for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
    return merged;
  };

  return {
    get issuer() {
      return issuer;
    },
    audience,
    requests,
    kids: () => published.map((k) => k.kid),
    claims,
    async mint(mint = {}) {
      const key = keyFor(mint.alg ?? 'RS256');
      const payload = claims(mint.notBefore === undefined ? mint.claims : { nbf: Math.floor(now() / 1000) + mint.notBefore, ...mint.claims }, mint.expiresIn);
      return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: mint.kid ?? key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    },
    async publicKey(alg = 'RS256') {
      const key = keyFor(alg);
      return { pem: await exportSPKI(key.publicKey), kid: key.kid };
    },
    async rotate(alg = 'RS256', rotation = {}) {
      const old = keyFor(alg);
      const key = await newKey(alg);
      if (rotation.retireOld) published.splice(published.indexOf(old), 1);
      return key.kid;
    },
    setAvailable(up) {
      available = up;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
