/**
 * An MCP server built with the official SDK whose tools are given by name, for
 * the governed gateway's tests: every tool answers `<server>/<tool> <arguments>`
 * and writes the call it executed into {@link ToolUpstream.executed} — the
 * upstream's own log, which proves what reached it and what did not. Runs on the
 * streamable HTTP fixture's session plumbing (test/gateway-fixture-server.ts),
 * answering with SSE streams or, with `json`, with application/json; with
 * `resumable`, its SSE events can be replayed (GET with Last-Event-ID).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { startFixtureServer, type FixtureServer } from '../gateway-fixture-server.ts';

/** One `tools/call` the upstream executed. */
export interface ExecutedCall {
  tool: string;
  arguments: Record<string, unknown>;
  /** The MCP session it came in on. */
  sessionId: string | undefined;
}

/** A running tool upstream: the fixture's request log plus the calls it executed. */
export interface ToolUpstream extends FixtureServer {
  name: string;
  executed: ExecutedCall[];
}

/** The arguments every tool takes (all optional), so calls can differ in their arguments. */
const ARGUMENTS = { id: z.string().optional(), amount: z.number().optional(), note: z.string().optional() };

/**
 * Starts an upstream called `name` exposing `tools`.
 * @example const crm = await startToolUpstream('crm', ['searchAccounts', 'debugDump']);
 * // … crm.executed → [{ tool: 'searchAccounts', arguments: { id: 'a1' }, sessionId: '…' }]
 */
export async function startToolUpstream(name: string, tools: readonly string[], opts: { json?: boolean; resumable?: boolean } = {}): Promise<ToolUpstream> {
  const executed: ExecutedCall[] = [];
  const build = (): McpServer => {
    const server = new McpServer({ name: `${name}-upstream`, version: '1.0.0' });
    for (const tool of tools) {
      server.registerTool(tool, { description: `${tool} on ${name}`, inputSchema: ARGUMENTS }, async (args, extra) => {
        executed.push({ tool, arguments: { ...args }, sessionId: extra.sessionId });
        return { content: [{ type: 'text', text: `${name}/${tool} ${JSON.stringify(args)}` }] };
      });
    }
    return server;
  };
  const fixture = await startFixtureServer({ build, ...(opts.json ? { json: true } : {}), ...(opts.resumable ? { resumable: true } : {}) });
  return Object.assign(fixture, { name, executed });
}
