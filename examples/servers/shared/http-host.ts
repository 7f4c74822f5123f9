/**
 * Serves an MCP server factory over streamable HTTP on plain `node:http`, the
 * way the example servers run locally and in a container:
 *
 * - `POST|GET|DELETE /mcp`: MCP streamable HTTP. An `initialize` request without
 *   `Mcp-Session-Id` opens a session (its own McpServer and transport); later requests
 *   carry the id. A POST without a session id that is not `initialize` is served
 *   statelessly by a throw-away server, so clients that never keep a session work too.
 * - `GET /healthz`: `200 {"status":"ok"}`.
 * - Logs go to stderr as one JSON line each; the first is `{"msg":"listening","port":N}`
 *   so a parent that passed `PORT=0` learns the port it got.
 * - SIGTERM / SIGINT close every session and exit 0.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/** Largest request body read, in bytes (the SDK's own default). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A session with no open response and no request for this long is closed. */
const SESSION_IDLE_MS = 30 * 60_000;
/** More sessions than this and `initialize` is refused with 503. */
const MAX_SESSIONS = 1000;
/** Hard limit on a graceful shutdown before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 1500;

/** Options of {@link serveMcpOverHttp}. */
export interface HttpHostOptions {
  /** Builds a fresh McpServer; called once per session and once per stateless request. */
  createMcpServer: () => McpServer;
  /** TCP port; 0 picks a free one (read it from the returned host). */
  port: number;
  /** Interface to bind, e.g. `127.0.0.1` or `0.0.0.0` in a container. */
  host: string;
  logger: Logger;
}

/** A running HTTP host. */
export interface RunningHttpHost {
  /** The port actually bound. */
  port: number;
  /** Number of open MCP sessions. */
  sessionCount(): number;
  /** Stops accepting connections, closes every session and open connection. Idempotent. */
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  openResponses: number;
  lastActive: number;
}

/** Wire error sent before any MCP server is involved (bad session, bad body, wrong path). */
function sendJsonRpcError(res: ServerResponse, httpStatus: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(httpStatus, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

class BodyError extends Error {
  override readonly name = 'BodyError';
  readonly httpStatus: number;
  readonly code: number;
  constructor(message: string, httpStatus: number, code: number, options?: ErrorOptions) {
    super(message, options);
    this.httpStatus = httpStatus;
    this.code = code;
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(`request body is over ${MAX_BODY_BYTES} bytes`, 413, -32600);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (cause) {
    throw new BodyError('Parse error: the request body is not valid JSON', 400, -32700, { cause });
  }
}

/**
 * Starts serving `createMcpServer` over streamable HTTP at `/mcp` plus `/healthz`.
 * Resolves once listening.
 * @example
 * const host = await serveMcpOverHttp({ createMcpServer: () => buildServer(store), port: 0, host: '127.0.0.1', logger });
 * // … later
 * await host.close();
 */
export async function serveMcpOverHttp(options: HttpHostOptions): Promise<RunningHttpHost> {
  const { createMcpServer, logger } = options;
  const sessions = new Map<string, Session>();

  const track = (session: Session, res: ServerResponse): void => {
    session.openResponses += 1;
    session.lastActive = Date.now();
    res.on('close', () => {
      session.openResponses -= 1;
      session.lastActive = Date.now();
    });
  };

  const openSession = async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    if (sessions.size >= MAX_SESSIONS) {
      sendJsonRpcError(res, 503, -32000, `Too many open sessions (${MAX_SESSIONS}); close one with DELETE /mcp`);
      return;
    }
    const server = createMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Registered here, not after handleRequest, so a request racing the response finds the session.
      onsessioninitialized: (sessionId) => {
        const session: Session = { transport, server, openResponses: 0, lastActive: Date.now() };
        sessions.set(sessionId, session);
        track(session, res);
        logger.debug({ sessionId }, 'session opened');
      },
    });
    transport.onclose = () => {
      const sessionId = transport.sessionId;
      if (sessionId !== undefined && sessions.delete(sessionId)) logger.debug({ sessionId }, 'session closed');
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const serveStateless = async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> => {
    const server = createMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) {
        sendJsonRpcError(res, 404, -32001, `Session "${sessionId}" not found; it expired or was closed. Send initialize to start a new one.`);
        return;
      }
      track(session, res);
      const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method === 'POST') {
      const body = await readJsonBody(req);
      if (isInitializeRequest(body)) await openSession(req, res, body);
      else await serveStateless(req, res, body);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      sendJsonRpcError(res, 400, -32000, `${req.method} /mcp needs an Mcp-Session-Id header; send initialize (POST) first`);
      return;
    }
    res.setHeader('allow', 'GET, POST, DELETE');
    sendJsonRpcError(res, 405, -32000, `Method ${req.method ?? '?'} not allowed on /mcp; use POST, GET or DELETE`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === '/mcp') {
      await handleMcp(req, res);
      return;
    }
    sendJsonRpcError(res, 404, -32601, `Nothing at ${path}; MCP is served at /mcp and health at /healthz`);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BodyError) {
        sendJsonRpcError(res, err.httpStatus, err.code, err.message);
        return;
      }
      logger.error({ err }, 'request failed');
      sendJsonRpcError(res, 500, -32603, 'Internal server error');
    });
  });
  http.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const session of sessions.values()) {
      if (session.openResponses === 0 && session.lastActive < cutoff) void session.transport.close();
    }
  }, 60_000);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweeper);
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled([...sessions.values()].map(async (s) => {
        await s.transport.close();
        await s.server.close();
      }));
      // Open SSE streams and idle keep-alive sockets would hold close() forever.
      http.closeAllConnections();
      await stopped;
    })();
    return closing;
  };

  return { port, sessionCount: () => sessions.size, close };
}

/** A logger writing one JSON line per entry to stderr (stdout may be a protocol channel). */
export function createStderrLogger(name: string): Logger {
  return pino({ name, level: 'info' }, pino.destination({ dest: 2, sync: true }));
}

/** Environment the example HTTP servers read. */
export interface HttpServerEnv {
  PORT?: string;
  HOST?: string;
}

/**
 * Entry point shared by the example HTTP servers: reads `PORT` (default 8080; 0 = any
 * free port) and `HOST` (default 127.0.0.1), serves, logs `listening` with the bound
 * port, and exits 0 on SIGTERM / SIGINT after closing every session (within 1.5 s).
 * Exits 1 with a logged reason when the port is taken or invalid, or closing failed.
 */
export async function runHttpServerMain(name: string, createMcpServer: () => McpServer, env: HttpServerEnv): Promise<void> {
  const logger = createStderrLogger(name);
  const port = Number(env.PORT ?? '8080');
  const host = env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.fatal({ port: env.PORT }, 'PORT must be an integer from 0 to 65535');
    process.exit(1);
  }
  let running: RunningHttpHost;
  try {
    running = await serveMcpOverHttp({ createMcpServer, port, host, logger });
  } catch (err) {
    logger.fatal({ err, port, host }, `cannot listen on ${host}:${port}; set PORT to a free port (0 picks one)`);
    process.exit(1);
  }
  logger.info({ port: running.port, host, mcpPath: '/mcp' }, 'listening');

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal, sessions: running.sessionCount() }, 'shutting down');
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
