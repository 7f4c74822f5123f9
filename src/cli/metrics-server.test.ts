import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleValue } from '../../test/support/metrics.ts';
import { MetricsServerError, startMetricsServer, type RunningMetricsServer } from './metrics-server.ts';

const servers: RunningMetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(registry: Registry): Promise<RunningMetricsServer> {
  const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 });
  servers.push(server);
  return server;
}

describe('metrics server', () => {
  it('serves the registry at GET /metrics and nothing else; closing stops it', async () => {
    const registry = new Registry();
    new Counter({ name: 'berth_test_total', help: 'test', registers: [registry] }).inc(3);
    const server = await serve(registry);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(sampleValue(await res.text(), 'berth_test_total', {})).toBe(3);
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);

    const base = server.url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');

    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('answers 500 and tells onError when collecting fails', async () => {
    const registry = new Registry();
    new Counter({ name: 'berth_broken_total', help: 'test', registers: [registry], collect: () => { throw new Error('store gone'); } });
    const errors: unknown[] = [];
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, onError: (err) => errors.push(err) });
    servers.push(server);
    expect((await fetch(server.url)).status).toBe(500);
    expect((errors[0] as Error).message).toBe('store gone');
  });

  it('says which address it could not listen on, with the cause', async () => {
    const first = await serve(new Registry());
    const port = Number(new URL(first.url).port);
    const failed = await startMetricsServer({ registry: new Registry(), host: '127.0.0.1', port }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(MetricsServerError);
    expect((failed as Error).message).toContain(`127.0.0.1:${port}`);
    expect(((failed as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });
});
