/**
 * Who is calling the gateway: an agent with a Berth agent key, an agent with
 * an identity provider's access token (JWT), or nobody (anonymous — allowed
 * only where a server grants `spec.access.anonymousScopes`).
 */
import type { AgentKeyIdentity } from './agent-keys.ts';
import type { JwtIdentity } from './jwt-identity.ts';

/** A caller with no credential. */
export interface AnonymousIdentity {
  readonly kind: 'anonymous';
  readonly subject: 'anonymous';
  readonly groups: readonly string[];
}

/** The one anonymous caller. */
export const ANONYMOUS: AnonymousIdentity = Object.freeze({ kind: 'anonymous' as const, subject: 'anonymous' as const, groups: Object.freeze([]) as readonly string[] });

/** Any caller the gateway decides for. */
export type CallerIdentity = AgentKeyIdentity | JwtIdentity | AnonymousIdentity;

/** The agent a caller names, or undefined for an anonymous one. */
export function agentOf(who: CallerIdentity): string | undefined {
  return who.kind === 'anonymous' ? undefined : who.agent;
}

/** The user a caller acts for, when its credential says (JWTs only). */
export function userOf(who: CallerIdentity): string | undefined {
  return who.kind === 'jwt' ? who.user : undefined;
}
