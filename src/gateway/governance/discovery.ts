/**
 * Discovery for agents: which servers and tools the caller may use through
 * this gateway, searchable, each with its gateway URL. Two shapes:
 * - `GET /v1/discovery[?q=text]` — Berth's own: servers with team, environment,
 *   lifecycle, data classification, and the tools (scopes, approval) the caller may call;
 * - `GET /v0.1/servers[?search=text&limit=&cursor=]` — the official MCP Registry's
 *   list shape (server.json, schema 2025-12-11, with the gateway as the one remote),
 *   so registry clients built for it can browse Berth's catalogue.
 * Only servers that take traffic now (Ready, and a lifecycle stage that may receive
 * traffic) and that the caller may use at all are listed; tools the caller may not
 * call are left out — the same rules `tools/list` answers follow. A deprecated
 * server carries a warning with its date and replacement, so an agent (or the
 * person wiring it) learns before the server goes away, not after.
 */
import { exportServerJson, SERVER_JSON_SCHEMA_URL, type ServerJson } from '../../manifest/server-json.ts';
import { decideToolCall, mayUseServer, type Grants } from '../../manifest/policy.ts';
import type { MCPServer } from '../../manifest/types.ts';
import type { Route } from '../route.ts';

/** One server as Berth's discovery lists it. */
export interface DiscoveredServer {
  name: string;
  description?: string;
  /** Where an agent connects: the gateway URL of the server's route. */
  url: string;
  team: string;
  environment: string;
  lifecycle: string;
  dataClassification: string;
  /** Present when the server is deprecated: until when it runs, what replaces it, and a sentence saying so. */
  deprecation?: DeprecationNotice;
  /** `approval`: whether this caller's calls wait for a human approval (the manifest's `approval: required`, or a scope its policies grant only with approval). */
  tools: Array<{ name: string; description?: string; scopes: string[]; approval: 'none' | 'required' }>;
}

/** A deprecated server's notice in discovery. */
export interface DeprecationNotice {
  /** The date after which it is retired (YYYY-MM-DD, from `spec.deprecation.date`). */
  date: string;
  replacement?: string;
  /** e.g. "quote is deprecated and will be retired after 2026-12-31; use quote-v2 instead". */
  warning: string;
}

/** The notice for `server` when its requested stage is `deprecated`, else undefined. */
export function deprecationNotice(server: MCPServer): DeprecationNotice | undefined {
  const d = server.spec.deprecation;
  if (server.spec.lifecycle !== 'deprecated' || d === undefined) return undefined;
  const instead = d.replacement !== undefined ? `; use ${d.replacement} instead` : '';
  return { date: d.date, ...(d.replacement !== undefined ? { replacement: d.replacement } : {}), warning: `${server.metadata.name} is deprecated and will be retired after ${d.date}${instead}` };
}

/** The servers of `routes` the caller may use now, with the tools it may call, matching `query` (case-insensitive). */
export function discover(routes: readonly Route[], grants: Grants, anonymous: boolean, publicUrl: string, query: string | undefined): DiscoveredServer[] {
  const q = query?.trim().toLowerCase() ?? '';
  const out: DiscoveredServer[] = [];
  for (const route of routes) {
    if (!route.routable) continue;
    const server = route.server;
    if (!mayUseServer(grants, server, { anonymous }).allowed) continue;
    // The verdict a call would get: the tools it would not refuse are listed (as tools/list does), and whether it waits for an approval.
    const verdicts = new Map((server.spec.tools ?? []).map((t) => [t, decideToolCall(grants, server, t.name, { anonymous }).verdict]));
    const deprecation = deprecationNotice(server);
    const entry: DiscoveredServer = {
      name: server.metadata.name,
      ...(server.spec.description !== undefined ? { description: server.spec.description } : {}),
      url: gatewayUrl(publicUrl, route),
      team: server.spec.owner.team,
      environment: server.spec.environment,
      lifecycle: server.spec.lifecycle,
      dataClassification: server.spec.dataClassification,
      ...(deprecation !== undefined ? { deprecation } : {}),
      tools: [...verdicts]
        .filter(([, verdict]) => verdict !== 'deny')
        .map(([t, verdict]) => ({ name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), scopes: [...t.scopes], approval: verdict === 'approval' ? 'required' : 'none' })),
    };
    if (q === '' || matches(entry, q)) out.push(entry);
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * The official MCP Registry's list answer (`GET /v0.1/servers`) for the servers
 * discovery lists: each as server.json with the gateway as its one remote.
 */
export function registryListing(found: readonly DiscoveredServer[], routes: ReadonlyMap<string, MCPServer>, opts: { limit: number; cursor?: string | undefined }): Record<string, unknown> {
  const start = opts.cursor === undefined ? 0 : Math.max(0, found.findIndex((s) => s.name === opts.cursor) + 1);
  const page = found.slice(start, start + opts.limit);
  const servers = page.map((s) => {
    const manifest = routes.get(s.name)!;
    const { serverJson } = exportServerJson(manifest);
    const listed: ServerJson = { ...serverJson, $schema: SERVER_JSON_SCHEMA_URL, remotes: [{ type: 'streamable-http', url: s.url }] };
    delete listed.packages; // agents reach it through the gateway, not by running a package
    const gateway = { name: s.name, team: s.team, environment: s.environment, lifecycle: s.lifecycle, ...(s.deprecation !== undefined ? { deprecation: s.deprecation } : {}), tools: s.tools.map((t) => t.name) };
    return { server: listed, _meta: { 'dev.berth/gateway': gateway } };
  });
  const next = start + opts.limit < found.length ? page.at(-1)?.name : undefined;
  return { servers, metadata: { count: servers.length, ...(next !== undefined ? { nextCursor: next } : {}) } };
}

/** The URL an agent uses for `route` on a gateway at `publicUrl`. */
export function gatewayUrl(publicUrl: string, route: Route): string {
  return `${publicUrl.replace(/\/+$/, '')}${route.path}`;
}

function matches(s: DiscoveredServer, q: string): boolean {
  const hay = [s.name, s.description ?? '', s.team, ...s.tools.flatMap((t) => [t.name, t.description ?? '', ...t.scopes])];
  return hay.some((text) => text.toLowerCase().includes(q));
}
