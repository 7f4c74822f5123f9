/**
 * Who may call what, as the gateway would decide it: for known agents × the
 * declared tools of servers, the verdict and its sentence from the very
 * functions the gateway and `berth can-i` run (`grantsFor` + `decideToolCall`
 * from src/manifest/policy.ts, then the traffic gate `unroutableReason`, whose
 * lifecycle part is `mayReceiveTraffic` from src/manifest/lifecycle.ts). Pure:
 * the routes (`api/routes-access.ts`) read the objects and agent keys.
 *
 * A cell is `deny` when the policy denies (its code and reason), else `deny`
 * with code `lifecycle` / `not-ready` when the server may not receive traffic
 * (the gateway refuses before it asks the policy, `berth can-i` says "no"), else
 * `needs-approval` or `allow` with the policy's code and reason.
 */
import { mayReceiveTraffic } from '../manifest/lifecycle.ts';
import { decideToolCall, grantsFor, mayUseServer } from '../manifest/policy.ts';
import { unroutableReason } from '../manifest/routability.ts';
import type { AccessPolicy, MCPServer } from '../manifest/types.ts';
import type { AccessCell, AccessDecision, AccessRow, AccessTool, AgentAccess, AgentIdentity, AgentServerAccess, AgentServerSummary, AgentSummary, ServerAccessMatrix, TokenInfo, TrafficGate } from '../client/wire.ts';

/**
 * Every agent the registry knows of: named in an AccessPolicy subject, or the
 * agent of an active (unrevoked, unexpired at `now`) agent key, whose groups it
 * carries (union over its keys). Sorted by name. Token ids never leave here.
 */
export function knownAgents(policies: readonly AccessPolicy[], keys: readonly TokenInfo[], now: Date): AgentIdentity[] {
  const agents = new Map<string, { groups: Set<string>; from: Set<'policy' | 'agent-key'> }>();
  const entry = (name: string): { groups: Set<string>; from: Set<'policy' | 'agent-key'> } => {
    let e = agents.get(name);
    if (!e) agents.set(name, (e = { groups: new Set(), from: new Set() }));
    return e;
  };
  for (const p of policies) {
    for (const s of p.spec.subjects ?? []) if ('agent' in s && typeof s.agent === 'string') entry(s.agent).from.add('policy');
  }
  for (const k of keys) {
    if (k.role !== 'agent' || k.agent === undefined || k.revokedAt !== undefined) continue;
    if (k.expiresAt !== undefined && Date.parse(k.expiresAt) <= now.getTime()) continue;
    const e = entry(k.agent);
    e.from.add('agent-key');
    for (const g of k.groups ?? []) e.groups.add(g);
  }
  return [...agents.keys()].sort().map((agent) => {
    const e = agents.get(agent)!;
    return { agent, groups: [...e.groups].sort(), from: (['policy', 'agent-key'] as const).filter((f) => e.from.has(f)) };
  });
}

/** May `server` receive traffic at `now`, and if not, is it the lifecycle gate or its status? */
export function trafficGate(server: MCPServer, now: Date): TrafficGate {
  const reason = unroutableReason(server, now);
  if (reason === undefined) return { routable: true };
  return { routable: false, code: mayReceiveTraffic(server, now).allowed ? 'not-ready' : 'lifecycle', reason };
}

/** The declared tools of `server`, as the matrix lists them. */
export function accessTools(server: MCPServer): AccessTool[] {
  return (server.spec.tools ?? []).map((t) => ({ name: t.name, scopes: [...(t.scopes ?? [])], ...(t.approval === 'required' ? { approval: 'required' as const } : {}) }));
}

function cellsFor(grants: ReturnType<typeof grantsFor>, server: MCPServer, traffic: TrafficGate): AccessCell[] {
  return (server.spec.tools ?? []).map((t) => {
    const d = decideToolCall(grants, server, t.name);
    if (d.verdict === 'deny') return { tool: t.name, decision: 'deny', code: d.code, reason: d.reason, scopes: d.scopes };
    if (!traffic.routable) return { tool: t.name, decision: 'deny', code: traffic.code!, reason: traffic.reason!, scopes: d.scopes };
    return { tool: t.name, decision: d.verdict === 'approval' ? 'needs-approval' : 'allow', code: d.code, reason: d.reason, scopes: d.scopes };
  });
}

/** The policy matrix of one server: every agent × every declared tool. */
export function serverAccessMatrix(server: MCPServer, policies: readonly AccessPolicy[], agents: readonly AgentIdentity[], now: Date): ServerAccessMatrix {
  const traffic = trafficGate(server, now);
  const rows: AccessRow[] = agents.map((a) => {
    const grants = grantsFor(policies, { agent: a.agent, groups: a.groups });
    return { ...a, policies: grants.policies, cells: cellsFor(grants, server, traffic) };
  });
  return { server: server.metadata.name, tools: accessTools(server), traffic, rows };
}

function countCells(cells: readonly AccessCell[]): Record<AccessDecision, number> {
  const counts: Record<AccessDecision, number> = { allow: 0, 'needs-approval': 0, deny: 0 };
  for (const c of cells) counts[c.decision]++;
  return counts;
}

/** The traffic gate of every server, decided once per request (it does not depend on the agent). */
export function trafficGates(servers: readonly MCPServer[], now: Date): Map<string, TrafficGate> {
  return new Map(servers.map((s) => [s.metadata.name, trafficGate(s, now)]));
}

/** One agent's view of every server: may it use each, and each declared tool's decision. */
export function agentAccess(agent: AgentIdentity, servers: readonly MCPServer[], policies: readonly AccessPolicy[], gates: Map<string, TrafficGate>): AgentAccess {
  const grants = grantsFor(policies, { agent: agent.agent, groups: agent.groups });
  const rows: AgentServerAccess[] = servers.map((server) => {
    const traffic = gates.get(server.metadata.name)!;
    const cells = cellsFor(grants, server, traffic);
    const use = mayUseServer(grants, server);
    const team = server.spec.owner?.team;
    return { server: server.metadata.name, ...(team !== undefined ? { team } : {}), use: { allowed: use.allowed, code: use.code, reason: use.reason }, traffic, counts: countCells(cells), cells };
  });
  return { ...agent, policies: grants.policies, servers: rows };
}

/**
 * One agent in the agents list: the servers it may use (policy-wise, as
 * `mayUseServer` says for discovery) with their cells counted, and how many it
 * may not use. The traffic gate is per server, not per agent, so it is left to
 * the server's own view.
 */
export function agentSummary(agent: AgentIdentity, servers: readonly MCPServer[], policies: readonly AccessPolicy[], gates: Map<string, TrafficGate>): AgentSummary {
  const grants = grantsFor(policies, { agent: agent.agent, groups: agent.groups });
  const usable: AgentServerSummary[] = [];
  for (const server of servers) {
    if (!mayUseServer(grants, server).allowed) continue;
    const team = server.spec.owner?.team;
    usable.push({ server: server.metadata.name, ...(team !== undefined ? { team } : {}), counts: countCells(cellsFor(grants, server, gates.get(server.metadata.name)!)) });
  }
  return { ...agent, policies: grants.policies, servers: usable, unusableServers: servers.length - usable.length };
}
