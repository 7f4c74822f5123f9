/**
 * A small MCP server built with the official SDK over streamable HTTP (stateful,
 * one transport per session), used as the gateway tests' upstream. Importable
 * (`startFixtureServer`) or runnable as a process, printing `LISTENING <port>`:
 *   node test/gateway-fixture-server.ts [--json]
 * `--json` answers POSTs with application/json instead of an SSE stream.
 *
 * Tools: `echo {text}`; `slow {ms, steps}` sends `steps` progress notifications
 * spread over `ms`, then answers.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { z } from 'zod';

/** What the fixture saw, for assertions. */
export interface FixtureLog {
  sessionsCreated: string[];
  sessionsClosed: string[];
  requests: Array<{ method: string; headers: http.IncomingHttpHeaders }>;
}

/** A running fixture server. */
export interface FixtureServer {
  url: string;
  port: number;
  log: FixtureLog;
  /** The MCP servers of live sessions, by session id (to send server-initiated messages). */
  sessions: Map<string, McpServer>;
  close(): Promise<void>;
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'gateway-fixture', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('echo', { description: 'Echoes text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool(
    'slow',
    { description: 'Answers after ms, with progress', inputSchema: { ms: z.number(), steps: z.number() } },
    async ({ ms, steps }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        await new Promise((r) => setTimeout(r, ms / steps));
        if (token !== undefined) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps } });
        }
      }
      return { content: [{ type: 'text', text: `done after ${ms} ms` }] };
    },
  );
  return server;
}

/**
 * Starts the fixture on 127.0.0.1 and a free port. `build` makes each session's
 * MCP server (default: the `echo` and `slow` tools above); `resumable` keeps each
 * session's SSE events so a client can replay them (GET with Last-Event-ID);
 * `authorize` answers 401 to every request it turns down (a server behind its own credentials).
 */
export async function startFixtureServer(
  opts: { json?: boolean; build?: () => McpServer; resumable?: boolean; authorize?: (headers: http.IncomingHttpHeaders) => boolean } = {},
): Promise<FixtureServer> {
  const log: FixtureLog = { sessionsCreated: [], sessionsClosed: [], requests: [] };
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const sessions = new Map<string, McpServer>();
  const httpServer = http.createServer(async (req, res) => {
    log.requests.push({ method: req.method ?? '', headers: req.headers });
    if (opts.authorize !== undefined && !opts.authorize(req.headers)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null }));
      return;
    }
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || req.method !== 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }),
        );
        return;
      }
      const server = (opts.build ?? buildServer)();
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: opts.json ?? false,
        ...(opts.resumable ? { eventStore: new InMemoryEventStore() } : {}),
        onsessioninitialized: (id) => {
          transports.set(id, t);
          sessions.set(id, server);
          log.sessionsCreated.push(id);
        },
        onsessionclosed: (id) => {
          transports.delete(id);
          sessions.delete(id);
          log.sessionsClosed.push(id);
        },
      });
      await server.connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    log,
    sessions,
    async close() {
      for (const t of transports.values()) await t.close();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

if (import.meta.main) {
  const fixture = await startFixtureServer({ json: process.argv.includes('--json') });
  process.stdout.write(`LISTENING ${fixture.port}\n`);
}
