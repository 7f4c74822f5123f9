/**
 * API token format and hashing. A token is `berth_<id>_<secret>`: the id is public
 * (listed, audited), the secret is shown once and only its SHA-256 is stored.
 *
 * @example
 * const minted = mintToken({ role: 'reader', now: new Date() });
 * await store.putToken(minted.record);   // stores the hash only
 * print(minted.token);                    // "berth_tok_3k9x…_Q2h…", shown once
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../../client/wire.ts';
import type { TokenRecord } from '../store.ts';

export { ROLES, type Role } from '../../client/wire.ts';

const TOKEN_PATTERN = /^berth_(tok_[a-z0-9]{12})_([A-Za-z0-9]{43})$/;
const ALPHANUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomString(length: number, alphabet: string): string {
  // Rejection sampling keeps every character uniformly likely.
  const out: string[] = [];
  const max = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < max && out.length < length) out.push(alphabet[byte % alphabet.length]!);
    }
  }
  return out.join('');
}

/** SHA-256 hex of a token secret: what the store keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Splits a presented token into id and secret; undefined when it is not shaped like a Berth token. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Constant-time equality of two hex digests (false for different lengths). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What {@link mintToken} needs. */
export interface MintTokenOptions {
  role: Role;
  team?: string;
  description?: string;
  /** Creation time. */
  now: Date;
  /** Lifetime in milliseconds; absent = never expires. */
  ttlMs?: number;
}

/** A new token: the record to store and the token string to show once. */
export interface MintedToken {
  token: string;
  record: TokenRecord;
}

/** Creates a token with 256 bits of secret (43 base62 characters). */
export function mintToken(opts: MintTokenOptions): MintedToken {
  const id = `tok_${randomString(12, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
  const secret = randomString(43, ALPHANUM);
  const record: TokenRecord = {
    id,
    hash: hashSecret(secret),
    role: opts.role,
    createdAt: opts.now.toISOString(),
    ...(opts.team !== undefined ? { team: opts.team } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(opts.ttlMs !== undefined ? { expiresAt: new Date(opts.now.getTime() + opts.ttlMs).toISOString() } : {}),
  };
  return { token: `berth_${id}_${secret}`, record };
}

