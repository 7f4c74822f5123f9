/**
 * Who may call what, decided by the gateway's own rules (`../access-matrix.ts`):
 *
 *   GET …/mcpservers/<name>/access   every known agent × every declared tool of one server
 *   GET …/agents                     every known agent: the servers it may use, verdict counts (no cells)
 *   GET …/agents/<agent>             one agent, each server with a cell per tool
 *
 * Every role but agent and gateway ({@link mayReadAccess}). Agents are those
 * AccessPolicies name and those of active agent keys (their groups included);
 * token ids never appear.
 */
import { NotFoundError } from '../../client/errors.ts';
import type { AgentAccess, AgentSummary, TokenInfo } from '../../client/wire.ts';
import type { Kind, Resource } from '../../manifest/resource.ts';
import type { AccessPolicy, MCPServer } from '../../manifest/types.ts';
import { agentAccess, agentSummary, knownAgents, serverAccessMatrix, trafficGates } from '../access-matrix.ts';
import { enforce, mayReadAccess } from '../auth/authorize.ts';
import type { Store } from '../store.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { requireName } from './names.ts';

/** Every object of `kind`, through the store's pages. */
async function listEvery<T extends Resource>(store: Store, kind: Kind): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(kind, { limit: 500, ...(cont !== undefined ? { continue: cont } : {}) });
    items.push(...(page.items as T[]));
    cont = page.continue;
  } while (cont !== undefined);
  return items;
}

async function agentsOf(store: Store, now: Date): Promise<{ policies: AccessPolicy[]; agents: ReturnType<typeof knownAgents> }> {
  const [policies, tokens] = await Promise.all([listEvery<AccessPolicy>(store, 'AccessPolicy'), store.listTokens()]);
  // Only what knownAgents reads leaves the token records: role, agent, groups, expiry, revocation.
  const keys: TokenInfo[] = tokens.map((t) => ({ id: '', role: t.role, createdAt: t.createdAt, ...(t.agent !== undefined ? { agent: t.agent } : {}), ...(t.groups ? { groups: t.groups } : {}), ...(t.expiresAt ? { expiresAt: t.expiresAt } : {}), ...(t.revokedAt ? { revokedAt: t.revokedAt } : {}) }));
  return { policies, agents: knownAgents(policies, keys, now) };
}

/** Registers the access routes; call before the generic resource routes. */
export function accessRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.get(`${PREFIX}/mcpservers/:name/access`, async (c) => {
    enforce(mayReadAccess(c.get('principal')));
    const name = requireName(c.req.param('name'));
    const server = (await store.get('MCPServer', name)) as MCPServer | undefined;
    if (!server) throw new NotFoundError(`MCPServer/${name} does not exist: check the name, or list what exists with \`berth get servers\``);
    const now = clock();
    const { policies, agents } = await agentsOf(store, now);
    return c.json(serverAccessMatrix(server, policies, agents, now));
  });

  app.get(`${PREFIX}/agents`, async (c) => {
    enforce(mayReadAccess(c.get('principal')));
    const now = clock();
    const [{ policies, agents }, servers] = await Promise.all([agentsOf(store, now), listEvery<MCPServer>(store, 'MCPServer')]);
    const gates = trafficGates(servers, now);
    const items: AgentSummary[] = agents.map((a) => agentSummary(a, servers, policies, gates));
    return c.json({ items });
  });

  app.get(`${PREFIX}/agents/:agent`, async (c) => {
    enforce(mayReadAccess(c.get('principal')));
    const name = c.req.param('agent');
    const now = clock();
    const [{ policies, agents }, servers] = await Promise.all([agentsOf(store, now), listEvery<MCPServer>(store, 'MCPServer')]);
    const agent = agents.find((a) => a.agent === name);
    if (!agent) throw new NotFoundError(`no AccessPolicy names agent ${JSON.stringify(name)} and no active agent key stands for it; \`GET …/agents\` lists the agents the registry knows`);
    const body: AgentAccess = agentAccess(agent, servers, policies, trafficGates(servers, now));
    return c.json(body);
  });
}
