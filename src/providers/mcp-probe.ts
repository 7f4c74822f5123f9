/**
 * Health probes shared by the runtime providers (local, remote, and later ECS):
 * an MCP probe that speaks the protocol with the official SDK client, and a plain
 * HTTP health check for servers that expose a health path.
 *
 * Probes never throw: every failure becomes `{ ok: false, error }`, because a
 * failed probe is an observation, not an error of the caller. Error messages never
 * contain header values (headers may carry credentials).
 */
import { describeError } from '../kit/errors.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { DiscoveredTool } from '../manifest/types.ts';

/** Options of {@link probeMcp}. */
export interface McpProbeOptions {
  /** Deadline for the whole probe (connect, ping, tools/list, close). */
  timeoutMs: number;
  /** Extra request headers, e.g. an Authorization header for a remote server. */
  headers?: Record<string, string>;
  /** Aborts the probe early; the result is then `ok: false` with error "aborted". */
  signal?: AbortSignal;
  /** Wire transport; default "streamable-http". "sse" uses the legacy HTTP+SSE client. */
  transport?: 'streamable-http' | 'sse';
  /** Ask tools/list (all pages) after the ping; default true. */
  listTools?: boolean;
  /** The fetch every request goes through; default the global one. The remote runtime's checks each connection's address (kit/guarded-connect.ts). */
  fetch?: typeof globalThis.fetch;
}

/** What an MCP probe found. */
export interface McpProbeResult {
  /** True when the server completed initialize and answered ping (and tools/list when asked). */
  ok: boolean;
  /** Round trip of the MCP ping in ms; when the probe failed, the time until it failed. */
  latencyMs: number;
  /** Wall time of the whole probe in ms, connect to close. */
  durationMs: number;
  /** Tools from tools/list, every page, when asked and the server answered. */
  tools?: DiscoveredTool[];
  /** `serverInfo` the server sent in its initialize result. */
  server?: { name: string; version: string };
  /** What went wrong, in one line; present exactly when `ok` is false. */
  error?: string;
}

/** tools/list pages are followed up to this many, so a server that loops its cursor cannot hang a probe. */
const MAX_TOOL_PAGES = 100;

/**
 * Connects to an MCP server, pings it, lists its tools (all pages) and
 * disconnects, ending the session (HTTP DELETE) so servers that hold resources
 * per session, such as the stdio bridge, free them at once.
 *
 * @example
 * const r = await probeMcp('http://127.0.0.1:4100/mcp', { timeoutMs: 2000 });
 * if (r.ok) console.log(r.latencyMs, r.tools?.map((t) => t.name));
 * else console.log(r.error); // "connect ECONNREFUSED 127.0.0.1:4100"
 */
export function probeMcp(url: string, options: McpProbeOptions): Promise<McpProbeResult> {
  return probeNewSession(url, options, options.listTools !== false, startAttempt(options), async (conn) => {
    await endSession(conn.transport);
    return false;
  });
}

/** Options of {@link McpSessionProbe}. */
export interface McpSessionProbeOptions {
  /** Extra request headers, as for {@link probeMcp}. */
  headers?: Record<string, string>;
  /** Wire transport; default "streamable-http". */
  transport?: 'streamable-http' | 'sse';
  /** As for {@link probeMcp}. */
  fetch?: typeof globalThis.fetch;
  /**
   * Every this many checks the session is ended and a new one opened, so a server
   * that can no longer start sessions is noticed. Default 30 (5 minutes at 10 s).
   */
  freshEvery?: number;
}

/**
 * A health probe that keeps its MCP session between checks: each check is a ping
 * (and tools/list) on the open session, where {@link probeMcp} opens and ends one
 * every time. For a stdio server behind the bridge, a new session means a new
 * server process, so this is the difference between starting a process every 10 s
 * and starting one every few minutes. A check that fails on the kept session
 * (the server restarted, expired the session, or hung) ends it and decides on a
 * new session within the same deadline, so an expired session is not a failure.
 *
 * @example
 * const probe = new McpSessionProbe('http://127.0.0.1:4100/mcp');
 * const r = await probe.check({ timeoutMs: 5000 }); // as probeMcp's result
 * await probe.close(); // ends the session; later checks report "probe closed"
 */
export class McpSessionProbe {
  readonly #url: string;
  readonly #options: McpSessionProbeOptions;
  readonly #freshEvery: number;
  #conn: Connection | undefined;
  #checks = 0;
  #closed = false;
  /** Checks run one at a time: two at once could both replace the session and leak one. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(url: string, options: McpSessionProbeOptions = {}) {
    this.#url = url;
    this.#options = options;
    this.#freshEvery = Math.max(1, options.freshEvery ?? 30);
  }

  /**
   * One check within `timeoutMs` (counted from when an earlier check still running
   * has finished); never throws. `listTools` defaults to true.
   */
  check(o: { timeoutMs: number; signal?: AbortSignal; listTools?: boolean }): Promise<McpProbeResult> {
    const run = this.#turn.then(() => this.#check(o));
    // An unexpected throw (say, a malformed URL) must not stop the checks queued behind it.
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #check(o: { timeoutMs: number; signal?: AbortSignal; listTools?: boolean }): Promise<McpProbeResult> {
    if (this.#closed) return { ok: false, latencyMs: 0, durationMs: 0, error: 'probe closed' };
    const attempt = startAttempt(o);
    const listTools = o.listTools !== false;
    const kept = this.#checks++ % this.#freshEvery === 0 ? undefined : this.#conn;
    if (kept) {
      const unwatch = closeOnAbort(kept, attempt.req.signal);
      try {
        return { ok: true, ...(await askServer(kept, listTools, attempt.req)), durationMs: attempt.elapsed() };
      } catch {
        // The kept session is gone or broken; a new one decides.
      } finally {
        unwatch();
      }
    }
    await this.#drop();
    return probeNewSession(this.#url, this.#options, listTools, attempt, async (conn) => {
      // close() may have run meanwhile: then this session must not outlive the probe.
      if (this.#closed) {
        await endSessionWithin(conn, SESSION_END_MS);
        return false;
      }
      this.#conn = conn;
      return true;
    });
  }

  /** Ends the kept session (HTTP DELETE, at most 1 s); the probe answers no more checks. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }

  async #drop(): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) await endSessionWithin(conn, SESSION_END_MS);
  }
}

/** How long ending a kept session may take before its connection is just closed. */
const SESSION_END_MS = 1000;

/** How a connection is made: headers, transport, and the fetch it goes through. */
interface ConnectionOptions {
  headers?: Record<string, string>;
  transport?: 'streamable-http' | 'sse';
  fetch?: typeof globalThis.fetch;
}

/** An SDK client and the transport it talks over. */
interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport | SSEClientTransport;
}

function openConnection(url: string, options: ConnectionOptions): Connection {
  const requestInit: RequestInit = options.headers ? { headers: options.headers } : {};
  const fetchOption = options.fetch ? { fetch: options.fetch } : {};
  const transport =
    options.transport === 'sse'
      ? new SSEClientTransport(new URL(url), { requestInit, ...fetchOption })
      : new StreamableHTTPClientTransport(new URL(url), {
          requestInit,
          ...fetchOption,
          // A probe must not linger reconnecting a GET stream it never needed.
          reconnectionOptions: { maxReconnectionDelay: 1000, initialReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
        });
  return { client: new Client({ name: 'berth-probe', version: '1' }, { capabilities: {} }), transport };
}

/**
 * Opens a session, pings and (when `listTools`) lists tools within `attempt`'s
 * deadline, then lets `settle` end or keep it: the connection is closed afterwards
 * unless `settle` answers true. Never throws.
 */
async function probeNewSession(
  url: string,
  options: ConnectionOptions,
  listTools: boolean,
  attempt: ReturnType<typeof startAttempt>,
  settle: (conn: Connection) => Promise<boolean>,
): Promise<McpProbeResult> {
  const conn = openConnection(url, options);
  const unwatch = closeOnAbort(conn, attempt.req.signal);
  let kept = false;
  try {
    await conn.client.connect(conn.transport, attempt.req);
    const found = await askServer(conn, listTools, attempt.req);
    kept = await settle(conn);
    return { ok: true, ...found, durationMs: attempt.elapsed() };
  } catch (err) {
    return attempt.failed(err);
  } finally {
    unwatch();
    if (!kept) await conn.client.close().catch(() => undefined);
  }
}

/** One probe attempt's deadline (with the caller's signal folded in), clock and failure wording. */
function startAttempt(o: { timeoutMs: number; signal?: AbortSignal }) {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const deadline = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  return {
    req: { signal, timeout: o.timeoutMs },
    elapsed,
    failed(err: unknown): McpProbeResult {
      const reason = signal.aborted ? (o.signal?.aborted ? 'aborted' : `no answer within ${o.timeoutMs} ms`) : describeError(err);
      return { ok: false, latencyMs: elapsed(), durationMs: elapsed(), error: reason };
    },
  };
}

/** Closing the transport aborts its in-flight fetches, which is how a deadline reaches the socket. */
function closeOnAbort(conn: Connection, signal: AbortSignal): () => void {
  const onAbort = () => void conn.transport.close().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** Ping, then tools/list (every page) when asked, on a connected client. */
async function askServer(
  conn: Connection,
  listTools: boolean,
  req: { signal: AbortSignal; timeout: number },
): Promise<Pick<McpProbeResult, 'latencyMs' | 'tools' | 'server'>> {
  const { client } = conn;
  const pingStart = performance.now();
  await client.ping(req);
  const latencyMs = Math.round((performance.now() - pingStart) * 100) / 100;
  const server = client.getServerVersion();
  let tools: DiscoveredTool[] | undefined;
  if (listTools && client.getServerCapabilities()?.tools) {
    tools = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const res = await client.listTools(cursor ? { cursor } : {}, req);
      for (const t of res.tools) tools.push(t.description ? { name: t.name, description: t.description } : { name: t.name });
      cursor = res.nextCursor;
      if (!cursor) break;
    }
  } else if (listTools) {
    tools = [];
  }
  return { latencyMs, ...(tools ? { tools } : {}), ...(server ? { server: { name: server.name, version: server.version } } : {}) };
}

/** Sends the session DELETE when the transport has a session; servers that don't support it answer 405, which is fine. */
async function endSession(transport: StreamableHTTPClientTransport | SSEClientTransport): Promise<void> {
  if (transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
    await transport.terminateSession().catch(() => undefined);
  }
}

/** Ends the session, but closes the connection after `ms` whatever the server does: a hung server must not hang the caller. */
async function endSessionWithin(conn: Connection, ms: number): Promise<void> {
  const timer = setTimeout(() => void conn.client.close().catch(() => undefined), ms);
  try {
    await endSession(conn.transport);
  } finally {
    clearTimeout(timer);
    await conn.client.close().catch(() => undefined);
  }
}

/** Result of {@link checkHttpHealth}. */
export interface HttpHealthResult {
  /** True on a 2xx answer. */
  ok: boolean;
  /** HTTP status when the server answered. */
  status?: number;
  latencyMs: number;
  /** What went wrong, in one line; present exactly when `ok` is false. */
  error?: string;
}

/**
 * GETs a health URL; healthy means a 2xx answer within `timeoutMs`. The body is
 * read and discarded so the connection can be reused.
 *
 * @example
 * const h = await checkHttpHealth('http://127.0.0.1:4100/healthz', 1000);
 * // { ok: false, status: 503, latencyMs: 1.2, error: "HTTP 503 from http://127.0.0.1:4100/healthz" }
 */
export async function checkHttpHealth(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HttpHealthResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, deadline]) : deadline, redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, latencyMs: elapsed() };
    return { ok: false, status: res.status, latencyMs: elapsed(), error: `HTTP ${res.status} from ${url}` };
  } catch (err) {
    const reason = deadline.aborted ? `no answer within ${timeoutMs} ms` : describeError(err);
    return { ok: false, latencyMs: elapsed(), error: `${reason} (GET ${url})` };
  }
}

