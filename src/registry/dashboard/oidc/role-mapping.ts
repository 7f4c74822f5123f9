/**
 * From a verified ID token's claims to the Berth role a person signs in with.
 * Deny by default: no mapped group, no session — and the refusal says which
 * groups would have worked, so the person knows whom to ask for what.
 */
import type { Role } from '../../../client/wire.ts';
import type { RoleMapping } from './login-config.ts';

/** What {@link mapRole} decided: a role (and team), or why there is none. */
export type RoleDecision =
  | { allowed: true; role: Role; team?: string; group: string }
  | { allowed: false; reason: string };

/** Which claims {@link mapRole} reads. */
export interface RoleClaims {
  roleClaim: string;
  teamClaim?: string;
  roleMap: readonly RoleMapping[];
}

/**
 * The first mapping (in configured order) whose group the person's role claim
 * lists decides the role; the team is the mapping's, else the team claim's.
 * @example
 * mapRole({ groups: ['sales-eng'] }, { roleClaim: 'groups', roleMap: [{ group: 'sales-eng', role: 'publisher', team: 'sales' }] })
 * // { allowed: true, role: 'publisher', team: 'sales', group: 'sales-eng' }
 */
export function mapRole(claims: Record<string, unknown>, rules: RoleClaims): RoleDecision {
  const groups = new Set(stringsOf(claims[rules.roleClaim]));
  const groupNames = rules.roleMap.map((m) => m.group).join(', ');
  if (groups.size === 0) {
    return { allowed: false, reason: `your ID token has no "${rules.roleClaim}" claim listing your groups, so no Berth role applies: ask an admin to put you in one of the groups ${groupNames} (and to make the identity provider send "${rules.roleClaim}" in ID tokens)` };
  }
  const match = rules.roleMap.find((m) => groups.has(m.group));
  if (match === undefined) {
    return { allowed: false, reason: `your account is in none of the groups mapped to a Berth role: ask an admin to add you to one of ${groupNames}` };
  }
  const claimed = rules.teamClaim !== undefined ? claims[rules.teamClaim] : undefined;
  const team = match.team ?? (typeof claimed === 'string' && claimed !== '' ? claimed : undefined);
  if (match.role === 'publisher' && team === undefined) {
    return { allowed: false, reason: `group ${match.group} makes you a publisher, but your ID token names no team in "${rules.teamClaim ?? '(no team claim configured)'}": ask an admin to set your team, or to map ${match.group} to a team` };
  }
  return { allowed: true, role: match.role, group: match.group, ...(team !== undefined ? { team } : {}) };
}

/** A claim's strings: providers send a list, some a single string; other values name no group. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}
