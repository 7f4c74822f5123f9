/**
 * Bridges a stdio MCP server to streamable HTTP, so the gateway reaches every
 * server the same way. One stdio child per HTTP session: a stdio server is
 * written for exactly one client (one initialize, its own request ids, its
 * notifications meant for that client), so sharing one child between sessions
 * would need id rewriting and would mix sessions' notifications and state.
 * The child is spawned when a session initializes and ended when the session
 * ends (HTTP DELETE), idles out, or the bridge stops.
 *
 * Messages pass through unchanged in both directions — requests, responses,
 * notifications, and the server's own requests (sampling, elicitation, roots).
 * Messages the server sends while a client request is in flight go on that
 * request's SSE stream (progress by its token), otherwise on the session's GET stream.
 *
 * The local provider runs the bridge as its own process (stdio-bridge-main.ts),
 * so a stdio server is supervised, recorded and adopted after a Berth crash
 * exactly like an HTTP server, and its session children share its process group.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

/** Minimal logger the bridge writes to (pino's methods fit). */
export interface BridgeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of {@link startStdioBridge}. */
export interface StdioBridgeOptions {
  /** The stdio server: executable, args, env (exactly what it gets), cwd. */
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Path the MCP endpoint is served on, e.g. "/mcp". */
  mcpPath: string;
  logger: BridgeLogger;
  /** A session with no traffic for this long is ended and its child stopped. Default 30 min. */
  idleTimeoutMs?: number;
  /** Sessions (children) at most at once; more are refused with 503. Default 64. */
  maxSessions?: number;
}

/** A running bridge. */
export interface StdioBridge {
  /** Port it listens on. */
  port: number;
  /** Full MCP URL. */
  url: string;
  /** Sessions open now (one stdio child each). */
  sessionCount(): number;
  /** Pids of the session children, for tests and diagnostics. */
  childPids(): number[];
  /** Ends every session (and child) and stops listening. */
  close(): Promise<void>;
}

interface Session {
  http: StreamableHTTPServerTransport;
  child: StdioClientTransport;
  /** Client requests awaiting the server's answer, oldest first. */
  inFlight: RequestId[];
  /** progressToken → id of the request that carried it. */
  progress: Map<string | number, RequestId>;
  lastActivity: number;
  closed: boolean;
}

/**
 * Starts a bridge listening on host:port.
 * @example
 * const b = await startStdioBridge({ command: 'node', args: ['server.js'], env, host: '127.0.0.1', port: 0, mcpPath: '/mcp', logger });
 * // an MCP client connects to b.url over streamable HTTP
 */
export async function startStdioBridge(opts: StdioBridgeOptions): Promise<StdioBridge> {
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30 * 60_000;
  const maxSessions = opts.maxSessions ?? 64;
  const sessions = new Map<string, Session>();
  const log = opts.logger;

  async function endSession(s: Session, why: string): Promise<void> {
    if (s.closed) return;
    s.closed = true;
    if (s.http.sessionId) sessions.delete(s.http.sessionId);
    log.info({ session: s.http.sessionId, pid: s.child.pid }, `session ended (${why}); stopping its stdio server`);
    await Promise.allSettled([s.child.close(), s.http.close()]);
  }

  async function openSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (sessions.size >= maxSessions) {
      return jsonRpcError(res, 503, -32000, `the stdio bridge already runs ${maxSessions} sessions; end unused sessions (HTTP DELETE) and retry`);
    }
    const child = new StdioClientTransport({
      command: opts.command,
      args: opts.args,
      env: opts.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stderr: 'inherit',
    });
    const s: Session = {
      child,
      http: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, s);
          log.info({ session: id, pid: child.pid }, 'session started');
        },
        onsessionclosed: () => void endSession(s, 'client ended it'),
      }),
      inFlight: [],
      progress: new Map(),
      lastActivity: Date.now(),
      closed: false,
    };
    wire(s);
    try {
      await child.start();
    } catch (err) {
      log.warn({ err }, 'could not start the stdio server');
      s.closed = true;
      return jsonRpcError(res, 502, -32000, `could not start the stdio server ${opts.command}: ${(err as Error).message}`);
    }
    await s.http.start();
    await s.http.handleRequest(req, res);
    // Anything but an initialize request leaves no session behind: don't keep its child.
    if (!s.http.sessionId) await endSession(s, 'request did not initialize a session');
  }

  function wire(s: Session): void {
    s.http.onmessage = (msg: JSONRPCMessage) => {
      s.lastActivity = Date.now();
      if ('method' in msg && 'id' in msg) {
        s.inFlight.push(msg.id);
        const token = (msg.params as { _meta?: { progressToken?: string | number } } | undefined)?._meta?.progressToken;
        if (token !== undefined) s.progress.set(token, msg.id);
      }
      s.child.send(msg).catch((err: Error) => log.warn({ err }, 'could not write to the stdio server'));
    };
    s.child.onmessage = (msg: JSONRPCMessage) => {
      s.lastActivity = Date.now();
      let related: RequestId | undefined;
      if (!('method' in msg) && 'id' in msg) {
        // A response to a client request: that request is done.
        s.inFlight = s.inFlight.filter((id) => id !== msg.id);
        for (const [token, id] of s.progress) if (id === msg.id) s.progress.delete(token);
      } else if ('method' in msg) {
        const token = (msg.params as { progressToken?: string | number } | undefined)?.progressToken;
        related = (token !== undefined ? s.progress.get(token) : undefined) ?? s.inFlight.at(-1);
      }
      s.http.send(msg, related !== undefined ? { relatedRequestId: related } : undefined).catch((err: Error) => {
        log.warn({ err }, 'could not deliver a message from the stdio server to the client');
      });
    };
    s.child.onclose = () => void endSession(s, 'stdio server exited');
    s.child.onerror = (err) => log.warn({ err }, 'stdio server transport error');
    s.http.onerror = (err) => log.warn({ err }, 'HTTP transport error');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== opts.mcpPath) return jsonRpcError(res, 404, -32601, `no MCP endpoint at ${path}; use ${opts.mcpPath}`);
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const s = sessions.get(sid);
      if (!s) return jsonRpcError(res, 404, -32001, `session ${sid} not found (it ended or its stdio server exited); initialize a new session`);
      s.lastActivity = Date.now();
      return s.http.handleRequest(req, res);
    }
    if (req.method === 'POST') return openSession(req, res);
    return jsonRpcError(res, 400, -32000, 'Mcp-Session-Id header required; start with an initialize POST');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.warn({ err }, 'bridge request failed');
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `stdio bridge error: ${err.message}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - idleTimeoutMs;
    for (const s of sessions.values()) if (s.lastActivity < cutoff) void endSession(s, 'idle timeout');
  }, Math.min(60_000, Math.max(1000, idleTimeoutMs / 4)));
  sweeper.unref();
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    port,
    url: `http://${hostPart}:${port}${opts.mcpPath}`,
    sessionCount: () => sessions.size,
    childPids: () => [...sessions.values()].map((s) => s.child.pid).filter((p): p is number => p !== null),
    async close() {
      clearInterval(sweeper);
      await Promise.allSettled([...sessions.values()].map((s) => endSession(s, 'bridge stopping')));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
