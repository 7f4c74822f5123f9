/**
 * Turns an `Authorization: Bearer berth_…` header into a {@link Principal}, or a 401
 * problem. Runs on every request, so expiry and revocation take effect at once.
 */
import { UnauthorizedError } from '../../client/errors.ts';
import type { Store, TokenRecord } from '../store.ts';
import { digestsEqual, hashSecret, parseToken } from '../../client/tokens.ts';
import type { Role } from '../../client/wire.ts';

/** Who is calling: the token's public id, role and (for publishers) team. */
export interface Principal {
  tokenId: string;
  role: Role;
  team?: string;
}

/** What {@link checkToken} found: a live token's record, or why the presented one is refused. */
export type TokenCheck =
  | { valid: true; record: TokenRecord }
  | { valid: false; problem: 'unknown' | 'revoked' | 'expired'; reason: string };

/**
 * Checks a presented token given as its public id and the SHA-256 of its secret:
 * known (id and hash compared in constant time), not revoked, not expired. The
 * one check behind both a request's authentication and a gateway's token review.
 * @param now current time, for expiry
 */
export async function checkToken(store: Store, presented: { id: string; hash: string }, now: Date): Promise<TokenCheck> {
  const record = await store.findTokenByHash(presented.hash);
  // Compare id and hash in constant time so a lookup hit on another id leaks nothing.
  if (!record || !digestsEqual(record.hash, presented.hash) || !digestsEqual(record.id, presented.id)) {
    return { valid: false, problem: 'unknown', reason: 'the token is not known to this registry' };
  }
  if (record.revokedAt !== undefined) {
    return { valid: false, problem: 'revoked', reason: `token ${record.id} was revoked at ${record.revokedAt}` };
  }
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) {
    return { valid: false, problem: 'expired', reason: `token ${record.id} expired at ${record.expiresAt}` };
  }
  if (record.parentTokenId !== undefined) {
    // A dashboard session lives only as long as the token it was exchanged for.
    const parent = await store.getToken(record.parentTokenId);
    if (!parent || parent.revokedAt !== undefined || (parent.expiresAt !== undefined && Date.parse(parent.expiresAt) <= now.getTime())) {
      return { valid: false, problem: 'revoked', reason: `session ${record.id} ended: the token it was exchanged for (${record.parentTokenId}) is ${parent ? (parent.revokedAt !== undefined ? 'revoked' : 'expired') : 'gone'}` };
    }
  }
  return { valid: true, record };
}

/**
 * Resolves the caller of a request.
 * @param authorization the raw Authorization header (never logged)
 * @param now current time, for expiry
 * @throws UnauthorizedError when the header is missing or malformed, or the token is unknown, expired or revoked
 */
export async function authenticate(store: Store, authorization: string | undefined | null, now: Date): Promise<Principal> {
  if (!authorization) {
    throw new UnauthorizedError('no bearer token: send `Authorization: Bearer berth_…` (create one with `berth token create`)');
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const parsed = m ? parseToken(m[1]!) : undefined;
  if (!parsed) {
    throw new UnauthorizedError('the Authorization header is not `Bearer berth_<id>_<secret>`');
  }
  const check = await checkToken(store, { id: parsed.id, hash: hashSecret(parsed.secret) }, now);
  if (!check.valid) {
    throw new UnauthorizedError(`${check.reason}; ${check.problem === 'unknown' ? 'check --token / BERTH_TOKEN' : 'ask an admin for a new one'}`);
  }
  const { record } = check;
  return { tokenId: record.id, role: record.role, ...(record.team !== undefined ? { team: record.team } : {}) };
}
