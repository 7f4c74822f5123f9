/**
 * `berth health`, the image's health check: a real CLI process asks a real HTTP
 * server; 2xx is healthy (exit 0), anything else or no answer is not (exit 1, why
 * on stderr), and a URL that is not http(s) is a usage error (exit 2).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from './cli-services-harness.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/readyz') res.writeHead(200).end('{"status":"ready"}');
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 5_000);
    else if (req.url === '/moved') res.writeHead(302, { location: '/readyz' }).end();
    else res.writeHead(503).end('{"status":"not ready"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('berth health', () => {
  it('exits 0 when the probe answers 2xx', async () => {
    const r = await runBerth(['health', '--url', `${base}/readyz`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`healthy: ${base}/readyz answered 200\n`);
  });

  it('exits 1 for a non-2xx answer (a redirect too), a timeout, or nobody listening, saying why', async () => {
    const notReady = await runBerth(['health', '--url', `${base}/readyz-not`]);
    expect(notReady.code).toBe(1);
    expect(notReady.stderr).toContain('answered HTTP 503; the process is up but not ready');
    expect((await runBerth(['health', '--url', `${base}/moved`])).code).toBe(1);
    const slow = await runBerth(['health', '--url', `${base}/slow`, '--timeout', '300ms']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('no answer within 300 ms');
    server.closeAllConnections();
    const closed = await new Promise<Server>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => r(s));
    });
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await runBerth(['health', '--url', `http://127.0.0.1:${port}/readyz`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ECONNREFUSED.*is the process running and listening there\?/);
  });

  it('refuses a URL that is not http(s) as bad usage', async () => {
    const r = await runBerth(['health', '--url', 'file:///etc/passwd']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--url must be http or https (got file:)');
  });
});
