/**
 * Bridges a stdio MCP server to streamable HTTP, so the gateway reaches every
 * server the same way. One stdio child per HTTP session: a stdio server is
 * written for exactly one client (one initialize, its own request ids, its
 * notifications meant for that client), so sharing one child between sessions
 * would need id rewriting and would mix sessions' notifications and state.
 * The child is spawned when a session initializes and ended when the session
 * ends (HTTP DELETE), idles out, is ended to make room, or the bridge stops.
 *
 * Because every session is a process (about 90 MiB for a Node server), the
 * bridge caps them (stdio-limits.ts): sessions at once, resident memory of all
 * its children together (sampled from /proc, see session-admission.ts), and
 * idle time. A new session over a cap is refused with 503 and Retry-After
 * before anything is spawned; sessions already open are never refused. A
 * session idle for a minute may be ended to make room for a new one.
 *
 * Messages pass through unchanged in both directions — requests, responses,
 * notifications, and the server's own requests (sampling, elicitation, roots).
 * Messages the server sends while a client request is in flight go on that
 * request's SSE stream (progress by its token), otherwise on the session's GET stream.
 * Every SSE event carries an id and is kept in a bounded per-session buffer
 * (replay-buffer.ts), so a client resumes a lost stream with Last-Event-ID.
 *
 * The local provider runs the bridge as its own process (stdio-bridge-main.ts),
 * so a stdio server is supervised, recorded and adopted after a Berth crash
 * exactly like an HTTP server, and its session children share its process group.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { BridgeCapacity, type CapacityStats, type MeteredSession } from './bridge-capacity.ts';
import { BRIDGE_ERROR, BridgeHttpError, SESSION_NOT_FOUND, SessionRefusedError, writeBridgeError } from './bridge-errors.ts';
import { acceptsEventStream, MAX_BODY_BYTES, readJsonBody, requestIdsOf, writeFinishedStream } from './bridge-http.ts';
import { ReplayBuffer, REPLAY_DEFAULTS, type ReplayBounds } from './replay-buffer.ts';
import { STDIO_LIMIT_DEFAULTS, type StdioLimits } from './stdio-limits.ts';

/** Minimal logger the bridge writes to (pino's methods fit). */
export interface BridgeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Timings and bounds below the manifest's limits; the defaults suit production, tests shorten them. */
export interface BridgeTuning {
  /** A new session counts as at least the largest session's size for this long. Default 2 s. */
  warmupMs: number;
  /** A session idle this long may be ended to make room for a new one. Default 60 s. */
  reclaimIdleAfterMs: number;
  /** Memory is sampled this often while sessions exist (and before admitting, if older than a quarter of it). Default 1 s. */
  memorySampleMs: number;
  /** Per-session replay buffer. */
  replay: ReplayBounds;
}

const TUNING_DEFAULTS: BridgeTuning = { warmupMs: 2000, reclaimIdleAfterMs: 60_000, memorySampleMs: 1000, replay: REPLAY_DEFAULTS };

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
  /** Caps; absent fields take {@link STDIO_LIMIT_DEFAULTS}. */
  limits?: Partial<StdioLimits>;
  tuning?: Partial<BridgeTuning>;
  /** Epoch ms; default Date.now. */
  now?: () => number;
}

/** Counters and figures of a bridge, for tests and diagnostics. */
export interface BridgeStats extends CapacityStats {
  /** Open sessions (one child each). */
  sessions: number;
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
  stats(): BridgeStats;
  /** Ends every session (and child) and stops listening. */
  close(): Promise<void>;
}

interface Session extends MeteredSession {
  http: StreamableHTTPServerTransport;
  child: StdioClientTransport;
  replay: ReplayBuffer;
  /** Client requests awaiting the server's answer, oldest first. */
  inFlight: RequestId[];
  /** progressToken → id of the request that carried it. */
  progress: Map<string | number, RequestId>;
  /** Settles when the child has exited (or never started). */
  exited: Promise<void>;
  markExited: () => void;
  ended?: Promise<void>;
}

/**
 * Starts a bridge listening on host:port.
 * @example
 * const b = await startStdioBridge({ command: 'node', args: ['server.js'], env, host: '127.0.0.1', port: 0, mcpPath: '/mcp', logger, limits: { maxSessions: 4 } });
 * // an MCP client connects to b.url over streamable HTTP
 */
export async function startStdioBridge(opts: StdioBridgeOptions): Promise<StdioBridge> {
  const limits: StdioLimits = { ...STDIO_LIMIT_DEFAULTS, ...opts.limits };
  const tuning: BridgeTuning = { ...TUNING_DEFAULTS, ...opts.tuning };
  const now = opts.now ?? Date.now;
  const idleTimeoutMs = limits.idleTimeoutSeconds * 1000;
  const log = opts.logger;
  /** Initialized sessions by id. */
  const sessions = new Map<string, Session>();
  const capacity = new BridgeCapacity<Session>({
    limits,
    warmupMs: tuning.warmupMs,
    reclaimIdleAfterMs: tuning.reclaimIdleAfterMs,
    memorySampleMs: tuning.memorySampleMs,
    now,
    logger: log,
    end: endSession,
  });

  function endSession(s: Session, why: string): Promise<void> {
    if (s.ended) return s.ended;
    s.draining = true;
    if (s.http.sessionId) sessions.delete(s.http.sessionId);
    log.info({ session: s.http.sessionId, pid: s.pid }, `session ended (${why}); stopping its stdio server`);
    s.ended = (async () => {
      await Promise.allSettled([s.child.close(), s.http.close()]);
      // close() gives up waiting after SIGKILL; the exit follows within moments.
      await Promise.race([s.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
      capacity.release(s);
    })();
    return s.ended;
  }

  /** A new session; its child is spawned later, its pid recorded then (and kept after the SDK forgets it on close, so its memory counts until it has exited). */
  function newSession(): Session {
    const child = new StdioClientTransport({
      command: opts.command,
      args: opts.args,
      env: opts.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stderr: 'inherit',
    });
    const replay = new ReplayBuffer(tuning.replay);
    let markExited = () => {};
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const t = now();
    const s: Session = {
      child,
      replay,
      http: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: replay,
        onsessioninitialized: (id) => {
          sessions.set(id, s);
          log.info({ session: id, pid: s.pid }, 'session started');
        },
        onsessionclosed: () => void endSession(s, 'client ended it'),
      }),
      pid: undefined,
      inFlight: [],
      progress: new Map(),
      startedAt: t,
      lastActivity: t,
      get busy() {
        return this.inFlight.length > 0;
      },
      rssBytes: undefined,
      draining: false,
      exited,
      markExited,
    };
    return s;
  }

  async function openSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    // Only an initialize starts a process: anything else without a session is answered here, for free.
    if (!isInitializeRequest(body)) {
      throw new BridgeHttpError(400, BRIDGE_ERROR, 'Mcp-Session-Id header required; start a session with a single initialize request');
    }
    const id = requestIdsOf(body)[0] ?? null;
    let s: Session;
    try {
      s = await capacity.admit(newSession);
    } catch (err) {
      if (!(err instanceof SessionRefusedError)) throw err;
      return writeBridgeError(res, err, id);
    }
    wire(s);
    try {
      await s.child.start();
    } catch (err) {
      log.warn({ err }, 'could not start the stdio server');
      s.markExited();
      await endSession(s, 'its stdio server did not start');
      return writeBridgeError(res, new BridgeHttpError(502, BRIDGE_ERROR, `could not start the stdio server ${opts.command}: ${(err as Error).message}`, { cause: err }), id);
    }
    s.pid = s.child.pid ?? undefined;
    await s.http.start();
    await s.http.handleRequest(req, res, body);
    // A refused initialize (bad headers, say) leaves no session behind: don't keep its child.
    if (!s.http.sessionId) await endSession(s, 'request did not initialize a session');
  }

  function wire(s: Session): void {
    s.http.onmessage = (msg: JSONRPCMessage) => {
      s.lastActivity = now();
      if ('method' in msg && 'id' in msg) {
        s.inFlight.push(msg.id);
        const token = (msg.params as { _meta?: { progressToken?: string | number } } | undefined)?._meta?.progressToken;
        if (token !== undefined) s.progress.set(token, msg.id);
      } else if ('method' in msg && msg.method === 'notifications/cancelled') {
        // A cancelled request gets no answer: stop waiting for one, or the session would never count as idle.
        const id = (msg.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) forget(s, id);
      }
      s.child.send(msg).catch((err: Error) => log.warn({ err }, 'could not write to the stdio server'));
    };
    s.child.onmessage = (msg: JSONRPCMessage) => {
      s.lastActivity = now();
      let related: RequestId | undefined;
      if (!('method' in msg) && 'id' in msg) {
        // A response to a client request: that request is done.
        if (msg.id !== undefined) forget(s, msg.id);
      } else if ('method' in msg) {
        const token = (msg.params as { progressToken?: string | number } | undefined)?.progressToken;
        related = (token !== undefined ? s.progress.get(token) : undefined) ?? s.inFlight.at(-1);
      }
      s.http.send(msg, related !== undefined ? { relatedRequestId: related } : undefined).catch((err: Error) => {
        log.warn({ err }, 'could not deliver a message from the stdio server to the client');
      });
    };
    s.child.onclose = () => {
      s.markExited();
      void endSession(s, 'stdio server exited');
    };
    s.child.onerror = (err) => log.warn({ err }, 'stdio server transport error');
    s.http.onerror = (err) => log.warn({ err }, 'HTTP transport error');
  }

  function forget(s: Session, id: RequestId): void {
    s.inFlight = s.inFlight.filter((x) => x !== id);
    for (const [token, rid] of s.progress) if (rid === id) s.progress.delete(token);
  }

  /** GET with Last-Event-ID: replay that stream from the buffer, or say why it cannot be resumed. */
  async function resume(s: Session, sessionId: string, lastEventId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const point = s.replay.resumePoint(lastEventId);
    if (point.kind === 'unknown') throw new BridgeHttpError(400, BRIDGE_ERROR, point.message);
    if (point.kind === 'evicted') throw new BridgeHttpError(410, BRIDGE_ERROR, point.message);
    // The SDK replays and then carries on with the live stream; right while the stream still has answers to come.
    if (!point.complete) return s.http.handleRequest(req, res);
    // A finished stream would be held open by the SDK with nothing more to send: replay it and end it here.
    if (!acceptsEventStream(req)) throw new BridgeHttpError(406, BRIDGE_ERROR, 'Not Acceptable: Client must accept text/event-stream');
    writeFinishedStream(res, sessionId, point.events);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== opts.mcpPath) throw new BridgeHttpError(404, -32601, `no MCP endpoint at ${path}; use ${opts.mcpPath}`);
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string') {
      if (req.method === 'POST') return openSession(req, res);
      throw new BridgeHttpError(400, BRIDGE_ERROR, 'Mcp-Session-Id header required; start with an initialize POST');
    }
    const s = sessions.get(sid);
    if (!s) throw new BridgeHttpError(404, SESSION_NOT_FOUND, `session ${sid} not found (it ended or its stdio server exited); initialize a new session`);
    s.lastActivity = now();
    const lastEventId = req.headers['last-event-id'];
    if (req.method === 'GET' && typeof lastEventId === 'string' && lastEventId !== '') return resume(s, sid, lastEventId, req, res);
    if (req.method !== 'POST') return s.http.handleRequest(req, res);
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    const ids = requestIdsOf(body);
    s.replay.expectBatch(ids);
    await s.http.handleRequest(req, res, body);
    if (res.statusCode >= 400) s.replay.forgetBatch(ids);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) return void res.end();
      if (err instanceof BridgeHttpError) return writeBridgeError(res, err);
      log.warn({ err }, 'bridge request failed');
      writeBridgeError(res, new BridgeHttpError(500, -32603, `stdio bridge error: ${err.message}`, { cause: err }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  }).catch((err: unknown) => {
    capacity.close();
    throw err;
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const sweeper = setInterval(() => {
    const t = now();
    for (const s of sessions.values()) {
      if (!s.busy && t - s.lastActivity >= idleTimeoutMs) void endSession(s, `idle for ${limits.idleTimeoutSeconds} s (idleTimeoutSeconds)`);
    }
  }, Math.min(60_000, Math.max(100, idleTimeoutMs / 4)));
  sweeper.unref();
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  return {
    port,
    url: `http://${hostPart}:${port}${opts.mcpPath}`,
    sessionCount: () => sessions.size,
    childPids: () => [...sessions.values()].map((s) => s.pid).filter((p): p is number => p !== undefined),
    stats: () => ({ sessions: sessions.size, ...capacity.stats() }),
    async close() {
      clearInterval(sweeper);
      capacity.close();
      await Promise.allSettled(capacity.sessions().map((s) => endSession(s, 'bridge stopping')));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
