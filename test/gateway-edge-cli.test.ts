/**
 * The edge's flags as an operator gives them: `berth gateway` as a real process
 * over a real `berth registry`, with repeated and comma-separated
 * `--public-url`, `--allowed-host` and `--cors-origin`; and the usage errors
 * `berth gateway` and `berth up` give for malformed entries.
 */
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, runBerth, spawnBerth, startRegistryProcess, tempDir } from './cli-services-harness.ts';
import { sampleValue } from './support/metrics.ts';
import { rawRequest } from './support/raw-http.ts';

const { track, later } = cleanupAfterEach();

const PING = { jsonrpc: '2.0', id: 1, method: 'ping' };

describe('berth gateway --public-url / --allowed-host / --cors-origin', () => {
  it('serves the names and origins the flags give, refuses others before authentication, and answers /-/ endpoints', async () => {
    const { dir, remove } = tempDir('edge-cli');
    later(remove);
    const reg = track(await startRegistryProcess(`${dir}/registry`));
    const gw = track(
      spawnBerth([
        'gateway', '--port', '0', '--server', reg.url, '--token', reg.token,
        '--public-url', 'https://mcp.example.com', '--public-url', 'https://mcp.internal:8443',
        '--allowed-host', '*.corp.example,gw.lan', '--cors-origin', 'https://app.example.com',
      ]),
    );
    const url = /(http:\/\/\S+)/.exec(await gw.waitForLine(/^gateway listening on http/))![1]!;

    expect((await rawRequest(url, { method: 'GET', path: '/-/healthz' })).status).toBe(200);
    // The port opens once the routes are loaded, so the gateway is ready at once.
    expect((await rawRequest(url, { method: 'GET', path: '/-/readyz' })).status).toBe(200);

    const refused = await rawRequest(url, { path: '/mcp/anything', headers: { host: 'evil.example' }, body: PING });
    expect(refused.status).toBe(421);
    expect(refused.error).toMatch(/^Host "evil.example" is not a name of this gateway.*--allowed-host evil.example \(or --public-url\)$/);
    // Each allowed name passes the edge and meets the governance (no credential: 401).
    for (const host of ['mcp.example.com', 'mcp.internal:8443', 'a.corp.example:9', 'gw.lan:1', new URL(url).host]) {
      expect((await rawRequest(url, { path: '/mcp/anything', headers: { host }, body: PING })).status, host).toBe(401);
    }
    expect((await rawRequest(url, { path: '/mcp/anything', headers: { host: 'mcp.internal' }, body: PING })).status).toBe(421);

    const preflight = await rawRequest(url, { method: 'OPTIONS', path: '/mcp/anything', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect([preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([204, 'https://app.example.com']);
    expect((await rawRequest(url, { path: '/mcp/anything', headers: { origin: 'https://evil.example' }, body: PING })).status).toBe(403);
    // The public URL's origin is the gateway's own.
    expect((await rawRequest(url, { path: '/mcp/anything', headers: { origin: 'https://mcp.example.com' }, body: PING })).status).toBe(401);

    const metrics = await rawRequest(url, { method: 'GET', path: '/-/metrics' });
    expect(metrics.status).toBe(200);
    expect(sampleValue(metrics.text, 'berth_gateway_rejections_total', { reason: 'host' })).toBe(2);
    expect(sampleValue(metrics.text, 'berth_gateway_rejections_total', { reason: 'origin' })).toBe(1);
    expect(await gw.stop('SIGTERM')).toEqual({ code: 143, signal: null });
  }, 30_000);

  it.each([
    [['gateway', '--allowed-host', 'https://gw.example.com'], /^berth gateway: --allowed-host "https:\/\/gw.example.com" must be a host name or address/],
    [['gateway', '--cors-origin', 'https://app.example.com/'], /^berth gateway: --cors-origin "https:\/\/app.example.com\/" must be an origin/],
    [['gateway', '--public-url', 'https://ok.example.com,ftp://nope'], /^berth gateway: --public-url must be an http\(s\) URL \(got "ftp:\/\/nope"\)/],
    [['up', '--allowed-host', 'a b'], /^berth up: --allowed-host "a b" must be a host name or address/],
  ])('berth %j exits 2 naming the flag and the entry', async (args, message) => {
    const ran = await runBerth(args);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(message);
  });
});
