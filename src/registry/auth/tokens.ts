/**
 * Minting API tokens. A token is `berth_<id>_<secret>`: the id is public (listed,
 * audited), the secret is shown once and only its SHA-256 is stored. The format's
 * readers (parse, hash, compare) are in `src/client/tokens.ts`, where a gateway
 * may import them too.
 *
 * @example
 * const minted = mintToken({ role: 'reader', now: new Date() });
 * await store.putToken(minted.record);   // stores the hash only
 * print(minted.token);                    // "berth_tok_3k9x…_Q2h…", shown once
 */
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../../client/tokens.ts';
import type { Role } from '../../client/wire.ts';
import type { TokenRecord } from '../store.ts';

export { ROLES, type Role } from '../../client/wire.ts';

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

/** What {@link mintToken} needs. */
export interface MintTokenOptions {
  role: Role;
  team?: string;
  /** The agent of an agent key. */
  agent?: string;
  /** The groups of an agent key; an empty list is not stored. */
  groups?: string[];
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
    ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
    ...(opts.groups !== undefined && opts.groups.length > 0 ? { groups: [...opts.groups] } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(opts.ttlMs !== undefined ? { expiresAt: new Date(opts.now.getTime() + opts.ttlMs).toISOString() } : {}),
  };
  return { token: `berth_${id}_${secret}`, record };
}

