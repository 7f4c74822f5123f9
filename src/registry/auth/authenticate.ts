/**
 * Turns an `Authorization: Bearer berth_…` header into a {@link Principal}, or a 401
 * problem. Runs on every request, so expiry and revocation take effect at once.
 */
import { UnauthorizedError } from '../../client/errors.ts';
import type { Store } from '../store.ts';
import { digestsEqual, hashSecret, parseToken } from '../../client/tokens.ts';
import type { Role } from '../../client/wire.ts';

/** Who is calling: the token's public id, role and (for publishers) team. */
export interface Principal {
  tokenId: string;
  role: Role;
  team?: string;
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
  const hash = hashSecret(parsed.secret);
  const record = await store.findTokenByHash(hash);
  // Compare id and hash in constant time so a lookup hit on another id leaks nothing.
  if (!record || !digestsEqual(record.hash, hash) || !digestsEqual(record.id, parsed.id)) {
    throw new UnauthorizedError('the token is not known to this registry; check --token / BERTH_TOKEN');
  }
  if (record.revokedAt !== undefined) {
    throw new UnauthorizedError(`token ${record.id} was revoked at ${record.revokedAt}; ask an admin for a new one`);
  }
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) {
    throw new UnauthorizedError(`token ${record.id} expired at ${record.expiresAt}; ask an admin for a new one`);
  }
  return { tokenId: record.id, role: record.role, ...(record.team !== undefined ? { team: record.team } : {}) };
}
