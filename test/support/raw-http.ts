/**
 * One HTTP exchange written exactly as given, for the headers a browser or an
 * attacker sets and fetch does not let a test forge (`Host`, `Origin`): no
 * connection reuse, the whole answer read (an SSE body ends with its stream).
 */
import http from 'node:http';

/** The headers a JSON-RPC POST to an MCP endpoint carries. */
export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };

/** One raw HTTP exchange. */
export interface RawExchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The JSON-RPC error message of a JSON body, when it has one. */
  error?: string;
}

/**
 * Sends `method` (default POST) `path` to `base`'s host and port with `headers`
 * as written; a `body` is sent as JSON with {@link MCP_POST_HEADERS}.
 * @example const res = await rawRequest(gw.url, { path: '/mcp/crm', headers: { host: 'evil.example' }, body: INIT });
 */
export function rawRequest(base: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: unknown }): Promise<RawExchange> {
  const { hostname, port } = new URL(base);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const headers = { ...(body !== undefined ? MCP_POST_HEADERS : {}), ...opts.headers };
    const req = http.request({ host: hostname, port, path: opts.path, method: opts.method ?? 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        let error: string | undefined;
        try {
          error = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
        } catch {
          error = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, ...(error !== undefined ? { error } : {}) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
