/**
 * The Berth token format, for whoever is presented one: the registry, and a
 * gateway that checks agent keys without the registry's database. A token is
 * `berth_<id>_<secret>`; the id is public (listed, audited), the secret is shown
 * once, and only its SHA-256 is stored or sent anywhere. Minting stays with the
 * registry (`src/registry/auth/tokens.ts`).
 *
 * @example
 * const parsed = parseToken(bearer);            // { id: 'tok_3k9x…', secret: 'Q2h…' } or undefined
 * if (parsed) await client.reviewToken({ tokenId: parsed.id, hash: hashSecret(parsed.secret) });
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const TOKEN_PATTERN = /^berth_(tok_[a-z0-9]{12})_([A-Za-z0-9]{43})$/;
const TOKEN_ID_PATTERN = /^tok_[a-z0-9]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** SHA-256 hex of a token secret: what the store keeps and a token review carries. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Splits a presented token into id and secret; undefined when it is not shaped like a Berth token. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** True when `id` is shaped like a token's public id (`tok_` and 12 lower-case letters or digits). */
export function isTokenId(id: string): boolean {
  return TOKEN_ID_PATTERN.test(id);
}

/** True when `hash` is shaped like {@link hashSecret}'s output (64 lower-case hex digits). */
export function isSecretHash(hash: string): boolean {
  return SHA256_HEX.test(hash);
}

/** Constant-time equality of two hex digests or ids (false for different lengths). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
