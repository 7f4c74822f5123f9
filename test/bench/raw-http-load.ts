/**
 * A lean HTTP/1.1 load generator for the gateway benchmarks. Each of
 * `concurrency` clients keeps one POST in flight; the request bytes are built
 * once. Why not `http.request`: on a 2-core machine the load generator's CPU is
 * taken from the server and proxy it measures, and node:http's client costs
 * several times what these few lines do (the role wrk plays elsewhere).
 * Responses are framed by Content-Length or by the chunked terminator; nothing
 * else of HTTP is needed against the servers these benchmarks start.
 *
 * Several targets (say: direct, via the gateway, via a reference proxy) can be
 * interleaved request by request: each client sends its next request to the next
 * target (or a random one), over one keep-alive connection per target. All targets then see the
 * same machine at the same moment, which on a shared virtual machine whose speed
 * drifts by 2× within seconds is the only fair way to compare their latency.
 */
import net from 'node:net';

/** One endpoint to load. */
export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  /**
   * One MCP session per client: client `c` sends `Mcp-Session-Id: sessionIds[c % length]`
   * (over `headers`), as separate agents would. Absent: every client sends `headers` as they are.
   */
  sessionIds?: string[];
}

/** What one load run does. */
export interface LoadConfig {
  /** Requests rotate over these, one at a time per client. */
  targets: LoadTarget[];
  concurrency: number;
  /** Load is applied but not recorded for this long first. */
  warmupMs: number;
  durationMs: number;
  /** The JSON-RPC request body sent each time (the servers answer any id). */
  body?: string;
  /**
   * Pick each next target at random instead of in turn. With a fixed rotation each
   * path always follows the same other path, and which path warmed the machine
   * just before shows up in the latencies; random order spreads that evenly.
   */
  randomOrder?: boolean;
}

/** What one load run measured, per target in the order given. */
export interface LoadResult {
  /** CPU time (user+system, µs) the orchestrating process (where the proxies under test run) used while measuring. */
  proxyCpuUs?: number;
  counts: number[];
  errors: number;
  seconds: number;
  latenciesMs: number[][];
}

const DEFAULT_BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}';
const HEAD_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');
const MAX_SAMPLES = 2_000_000;

/** The bytes of one POST of `body` to `target` (built once, sent many times). */
export function requestBytes(target: LoadTarget, body: string = DEFAULT_BODY): Buffer {
  const u = new URL(target.url);
  const head = [`POST ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, `content-length: ${Buffer.byteLength(body)}`];
  for (const [k, v] of Object.entries(target.headers)) head.push(`${k}: ${v}`);
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** A keep-alive connection sending one request at a time and telling when each response is complete. */
export class Connection {
  readonly #sock: net.Socket;
  #buf: Buffer | undefined;
  #framed = -1; // total bytes of the current response once known; -2 = chunked
  #ok = true; // the current response's status is 200
  #onDone: ((ok: boolean) => void) | undefined;
  #ready: Promise<void>;
  readonly #request: Buffer;

  constructor(url: string, request: Buffer) {
    this.#request = request;
    const u = new URL(url);
    this.#sock = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    this.#ready = new Promise((resolve) => this.#sock.once('connect', resolve));
    this.#sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#sock.on('error', () => {});
    this.#sock.on('close', () => {
      const done = this.#onDone;
      this.#onDone = undefined;
      done?.(false);
    });
  }

  /** Sends the request; `done` is called once with whether a 200 came back. */
  send(done: (ok: boolean) => void): void {
    this.#buf = undefined;
    this.#framed = -1;
    this.#ok = true;
    this.#onDone = done;
    void this.#ready.then(() => this.#sock.write(this.#request));
  }

  get closed(): boolean {
    return this.#sock.destroyed;
  }

  end(): void {
    this.#sock.end();
  }

  #onData(chunk: Buffer): void {
    const buf = (this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]));
    if (this.#framed === -1) {
      const at = buf.indexOf(HEAD_END);
      if (at === -1) return;
      const head = buf.toString('latin1', 0, at).toLowerCase();
      const m = /\r\ncontent-length: *(\d+)/.exec(head);
      if (m) this.#framed = at + 4 + Number(m[1]);
      else if (head.includes('transfer-encoding: chunked')) this.#framed = -2;
      else {
        this.#sock.destroy(new Error('response with neither content-length nor chunked encoding'));
        return;
      }
      // A non-200 still has a framed body: read it, then count the error.
      this.#ok = head.startsWith('http/1.1 200');
    }
    const complete = this.#framed === -2 ? buf.length >= 5 && buf.subarray(buf.length - 5).equals(CHUNKED_END) : buf.length >= this.#framed;
    if (!complete) return;
    const done = this.#onDone;
    this.#onDone = undefined;
    done?.(this.#ok);
  }
}

/**
 * Runs `cfg` and resolves with what it measured. `onPhase` is told 'START' when
 * recording begins and 'STOP' when it ends, so the caller can bracket CPU readings.
 * A response other than 200, or a broken connection, counts as an error (a broken
 * connection is replaced).
 */
export function rawHttpLoad(cfg: LoadConfig, onPhase: (phase: 'START' | 'STOP') => void = () => {}): Promise<LoadResult> {
  const body = cfg.body ?? DEFAULT_BODY;
  // Per target, the request bytes of client c (all the same without sessionIds).
  const shared = cfg.targets.map((t) => requestBytes(t, body));
  const requestOf = (i: number, c: number): Buffer => {
    const t = cfg.targets[i]!;
    if (t.sessionIds === undefined || t.sessionIds.length === 0) return shared[i]!;
    return requestBytes({ url: t.url, headers: { ...t.headers, 'mcp-session-id': t.sessionIds[c % t.sessionIds.length]! } }, body);
  };
  const k = cfg.targets.length;
  const lat = cfg.targets.map(() => new Float64Array(MAX_SAMPLES));
  const counts = cfg.targets.map(() => 0);
  let errors = 0;
  let measuring = false;
  let stopping = false;
  let open = 0;

  return new Promise((resolve) => {
    let started = 0;
    let seconds = 0;
    const finished = () => {
      if (--open === 0) resolve({ counts, errors, seconds, latenciesMs: lat.map((l, i) => Array.from(l.subarray(0, counts[i]))) });
    };
    const client = (c: number) => {
      open++;
      const conns: Connection[] = [];
      const requests = cfg.targets.map((_, i) => requestOf(i, c));
      const connect = (i: number) => (conns[i] = new Connection(cfg.targets[i]!.url, requests[i]!));
      for (let i = 0; i < k; i++) connect(i);
      let next = 0;
      const sendNext = () => {
        if (stopping) {
          for (const c of conns) c.end();
          finished();
          return;
        }
        const i = cfg.randomOrder ? Math.floor(Math.random() * k) : next;
        next = (next + 1) % k;
        if (conns[i]!.closed) connect(i);
        const t0 = performance.now();
        conns[i]!.send((ok) => {
          if (!ok) errors++;
          else if (measuring && counts[i]! < MAX_SAMPLES) lat[i]![counts[i]!++] = performance.now() - t0;
          sendNext();
        });
      };
      sendNext();
    };
    for (let c = 0; c < cfg.concurrency; c++) client(c);
    setTimeout(() => {
      measuring = true;
      errors = 0;
      started = performance.now();
      onPhase('START');
      setTimeout(() => {
        measuring = false;
        stopping = true;
        seconds = (performance.now() - started) / 1000;
        onPhase('STOP');
      }, cfg.durationMs);
    }, cfg.warmupMs);
  });
}
