/**
 * The decisions of the governed path, remembered: they are pure functions of a
 * caller's grants (one object per caller until the policies change), the server's
 * version and the request, so a busy caller pays for each decision once.
 */
import { decideMethod, mayUseServer, type Decision, type Grants, type ServerAccess } from '../../manifest/policy.ts';
import type { MCPServer } from '../../manifest/types.ts';

/**
 * Per-server decisions of one caller, remembered while its grants stay the same
 * object (the policy index makes a new one when policies change) and the server's
 * resourceVersion stays the same.
 */
const accessCache = new WeakMap<Grants, Map<string, ServerAccess>>();

/** The tools each server object declares, by name. */
const declaredByServer = new WeakMap<MCPServer, ReadonlySet<string>>();

/** The names of the tools `server` declares (computed once per server object). */
export function declaredTools(server: MCPServer): ReadonlySet<string> {
  let names = declaredByServer.get(server);
  if (names === undefined) declaredByServer.set(server, (names = new Set((server.spec.tools ?? []).map((t) => t.name))));
  return names;
}

/** Decisions of one caller, remembered like {@link accessCache}; bounded per caller. */
const decisionCache = new WeakMap<Grants, Map<string, Decision>>();
const MAX_DECISIONS_PER_CALLER = 4_096;

/** {@link decideMethod}, remembered per grants object, server version, method and name (decisions are pure). */
export function decided(grants: Grants, server: MCPServer, method: string, name: string | undefined, anonymous: boolean): Decision {
  let byCall = decisionCache.get(grants);
  if (byCall === undefined) decisionCache.set(grants, (byCall = new Map()));
  const key = `${server.metadata.name}\u0000${server.metadata.resourceVersion ?? ''}\u0000${anonymous ? 'a' : ''}\u0000${method}\u0000${name ?? ''}`;
  let decision = byCall.get(key);
  if (decision === undefined) {
    decision = decideMethod(grants, server, method, name, { anonymous });
    // Names come from callers: a caller sending endless made-up tool names only churns its own cache.
    if (byCall.size >= MAX_DECISIONS_PER_CALLER) byCall.clear();
    byCall.set(key, decision);
  }
  return decision;
}

/** {@link mayUseServer}, remembered per grants object and server version. */
export function serverAccess(grants: Grants, server: MCPServer, anonymous: boolean): ServerAccess {
  let byServer = accessCache.get(grants);
  if (byServer === undefined) accessCache.set(grants, (byServer = new Map()));
  const key = `${server.metadata.name}\u0000${server.metadata.resourceVersion ?? ''}\u0000${anonymous ? 'a' : ''}`;
  let access = byServer.get(key);
  if (access === undefined) byServer.set(key, (access = mayUseServer(grants, server, { anonymous })));
  return access;
}
