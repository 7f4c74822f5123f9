/**
 * From a verified token's claims to who is calling: the agent (the OAuth client
 * the token was issued to), the user it acts for, and the groups policies name.
 * Which claim means what differs between identity providers, so the names come
 * from configuration; the rule "no agent, no access" does not.
 */
import { TokenRejectedError } from './token-rejected.ts';

/**
 * The caller a verified access token names. Shared between requests carrying the
 * same token (the verifier caches it), so it is frozen.
 * @example
 * { kind: 'jwt', issuer: 'https://idp.example.com', agent: 'sales-bot', user: 'alice',
 *   groups: ['sales'], subject: '["https://idp.example.com","alice","sales-bot"]', expiresAt: 1767225600000 }
 */
export interface JwtIdentity {
  readonly kind: 'jwt';
  /** The issuer that signed the token. */
  readonly issuer: string;
  /** The agent: the first configured agent claim present (default `azp`, then `client_id`). */
  readonly agent: string;
  /** The user claim (default `sub`), when the token has one. */
  readonly user?: string;
  /** The groups claim's strings (default `groups`); empty when absent. */
  readonly groups: readonly string[];
  /** A stable id for binding sessions to this caller: issuer, `sub` and agent, unambiguously joined. */
  readonly subject: string;
  /** The token's `exp` as epoch milliseconds. */
  readonly expiresAt: number;
}

/** Which claims name the agent, the user and the groups. */
export interface ClaimNames {
  agentClaims: readonly string[];
  userClaim: string;
  groupsClaim: string;
}

/**
 * The identity in `claims` (already verified: `iss` and `exp` are present and
 * checked). Throws {@link TokenRejectedError} `no-agent-claim` when no agent
 * claim holds a non-empty string: the gateway authorizes agents, and a token
 * that names none (an ID token, a token for another kind of client) grants nothing.
 * @example identityFromClaims({ iss, sub: 'alice', azp: 'sales-bot', exp }, names).agent // 'sales-bot'
 */
export function identityFromClaims(claims: Record<string, unknown>, names: ClaimNames): JwtIdentity {
  const agent = names.agentClaims.map((c) => claims[c]).find((v): v is string => typeof v === 'string' && v !== '');
  if (agent === undefined) {
    throw new TokenRejectedError('no-agent-claim', `no ${names.agentClaims.join(' or ')} claim: the token names no agent (OAuth client) to authorize`);
  }
  const issuer = claims.iss as string;
  const user = typeof claims[names.userClaim] === 'string' ? (claims[names.userClaim] as string) : undefined;
  const sub = typeof claims.sub === 'string' ? claims.sub : null;
  return Object.freeze({
    kind: 'jwt' as const,
    issuer,
    agent,
    ...(user === undefined ? {} : { user }),
    groups: Object.freeze(groupsOf(claims[names.groupsClaim])),
    subject: JSON.stringify([issuer, sub, agent]),
    expiresAt: (claims.exp as number) * 1000,
  });
}

/** A groups claim's strings: providers send a list, some a single string; other values name no group. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}
