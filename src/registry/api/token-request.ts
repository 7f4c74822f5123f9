/**
 * Reading the body of `POST …/tokens` into what `mintToken` needs. Every rule
 * that refuses answers 422 `invalid-token-request` with a detail naming the field
 * and the flag that sets it, so `berth token create` can print it as it is.
 *
 * Agent keys: role `agent` needs `agent` (a DNS label: the name AccessPolicies
 * give as `subjects[].agent`) and may carry `groups`; every other role acts as
 * itself, so an agent name or groups on it would mislead whoever reads the
 * listing and are refused.
 *
 * @example
 * readTokenRequest({ role: 'agent', agent: 'sales-copilot', groups: ['sales'], expires: '30d' })
 * // { role: 'agent', agent: 'sales-copilot', groups: ['sales'], ttlMs: 2592000000 }
 */
import { RegistryError } from '../../client/errors.ts';
import { ROLES, type Role } from '../../client/wire.ts';
import { DURATION_EXAMPLES, parseDuration } from '../../kit/duration.ts';
import { isDnsLabel } from './names.ts';

/** A token request that passed every rule. */
export interface ValidTokenRequest {
  role: Role;
  team?: string;
  agent?: string;
  groups?: string[];
  description?: string;
  /** Lifetime in milliseconds; absent = never expires. */
  ttlMs?: number;
}

/** Most groups one agent key may carry. */
export const MAX_TOKEN_GROUPS = 64;

/** The group names AccessPolicy subjects accept (schemas/accesspolicy.schema.json, `subjects[].group`). */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;
const MAX_GROUP_LENGTH = 253;

function invalid(detail: string): RegistryError {
  return new RegistryError(422, { type: 'invalid-token-request', title: 'Invalid token request', detail });
}

/**
 * The request in `body`, checked.
 * @throws RegistryError 422 naming the first rule the body breaks
 */
export function readTokenRequest(body: Record<string, unknown>): ValidTokenRequest {
  const role = body.role as Role;
  if (!ROLES.includes(role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
  const { team, agent, groups } = body;
  if (team !== undefined && (typeof team !== 'string' || !isDnsLabel(team))) throw invalid('team must be a DNS label such as "sales-platform"');
  if (role === 'publisher' && team === undefined) throw invalid("a publisher token needs a team (--team T): publishers write only their team's servers");
  if (role === 'agent') {
    if (agent === undefined) throw invalid('an agent key needs an agent (--agent NAME): the name AccessPolicies give as subjects[].agent, e.g. "sales-copilot"');
  } else {
    if (agent !== undefined) throw invalid(`agent is only for agent keys (--role agent); a ${role} token acts as itself`);
    if (groups !== undefined) throw invalid(`groups are only for agent keys (--role agent); a ${role} token acts as itself`);
  }
  if (agent !== undefined && (typeof agent !== 'string' || !isDnsLabel(agent))) {
    throw invalid("agent must be a DNS label such as \"sales-copilot\": 1–63 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
  }
  const checkedGroups = groups === undefined ? undefined : readGroups(groups);
  let ttlMs: number | undefined;
  if (body.expires !== undefined) {
    ttlMs = typeof body.expires === 'string' ? parseDuration(body.expires) : undefined;
    if (ttlMs === undefined) throw invalid(`expires must be ${DURATION_EXAMPLES}`);
  }
  return {
    role,
    ...(typeof team === 'string' ? { team } : {}),
    ...(typeof agent === 'string' ? { agent } : {}),
    ...(checkedGroups !== undefined && checkedGroups.length > 0 ? { groups: checkedGroups } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
  };
}

/** `groups` as a list of distinct group names. @throws RegistryError 422 */
function readGroups(groups: unknown): string[] {
  if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string')) throw invalid('groups must be a list of group names (--group G, repeatable)');
  if (groups.length > MAX_TOKEN_GROUPS) throw invalid(`an agent key carries at most ${MAX_TOKEN_GROUPS} groups (got ${groups.length})`);
  for (const g of groups) {
    if (g.length > MAX_GROUP_LENGTH || !GROUP_NAME.test(g)) {
      throw invalid(`group ${JSON.stringify(g.slice(0, 64))} is not a group name: 1–${MAX_GROUP_LENGTH} letters, digits and . _ : @ / -, starting with a letter or digit`);
    }
  }
  const repeated = groups.find((g, i) => groups.indexOf(g) !== i);
  if (repeated !== undefined) throw invalid(`group ${JSON.stringify(repeated)} is given twice`);
  return groups;
}
