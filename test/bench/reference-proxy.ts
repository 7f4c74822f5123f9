/**
 * The benchmarks' reference: a minimal pass-through HTTP proxy, as anyone would
 * write it in 20 lines. Every gateway benchmark measures against this one proxy,
 * so their "× reference" figures mean the same thing.
 */
import http from 'node:http';

/**
 * A not-yet-listening server forwarding every request to 127.0.0.1:`upstreamPort`
 * over a keep-alive pool, and a `close` that also drops the pool.
 * @example const { server } = referenceProxy(9101); server.listen(0, '127.0.0.1');
 */
export function referenceProxy(upstreamPort: number): { server: http.Server; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const up = http.request({ hostname: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  return {
    server,
    close: () => {
      server.closeAllConnections();
      server.close();
      agent.destroy();
    },
  };
}
