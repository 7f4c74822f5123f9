/**
 * Connections checked at connect time (guarded-connect.ts), with real sockets and
 * a resolver that changes its answer (DNS rebinding): the address checked is the
 * address connected to, every new connection is judged anew, and a refused
 * address never sees a byte.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { guardedAgent, type ResolveAll } from './guarded-connect.ts';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A server on `host` that answers its own address and counts connections. */
async function listen(host: string, port = 0): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const s = http.createServer((_req, res) => res.end(host));
  s.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, host, resolve));
  cleanups.push(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return { port: (s.address() as AddressInfo).port, connections: () => connections };
}

describe('guardedAgent', () => {
  it('a name that rebinds to a refused address between two connections: the first connects, the second is refused before connecting', async () => {
    // 127.0.0.2 stands for a public address, 127.0.0.1 for a metadata service: both on this machine, same port.
    const allowed = await listen('127.0.0.2');
    const forbidden = await listen('127.0.0.1', allowed.port);
    const answers = ['127.0.0.2', '127.0.0.1'];
    const resolve: ResolveAll = (_name, _options, callback) => callback(null, [{ address: answers.shift() ?? '127.0.0.1', family: 4 }]);
    const checked: string[] = [];
    const agent = guardedAgent((_target, address) => (checked.push(address), address === '127.0.0.1' ? `${address} is refused` : undefined), {}, resolve);
    cleanups.push(() => agent.close());

    const first = await request(`http://rebind.example:${allowed.port}/`, { dispatcher: agent, reset: true });
    expect(await first.body.text()).toBe('127.0.0.2');
    const second = await request(`http://rebind.example:${allowed.port}/`, { dispatcher: agent, reset: true }).then(
      () => 'connected',
      (err: Error) => String((err as { cause?: unknown }).cause ?? err),
    );
    expect(second).toContain('127.0.0.1 is refused');
    expect(checked).toEqual(['127.0.0.2', '127.0.0.1']);
    expect(allowed.connections()).toBe(1);
    expect(forbidden.connections()).toBe(0);
  });

  it('a name with one refused address among several is refused whole; a literal refused address too', async () => {
    const target = await listen('127.0.0.1');
    const resolve: ResolveAll = (_name, _options, callback) => callback(null, [{ address: '127.0.0.2', family: 4 }, { address: '127.0.0.1', family: 4 }]);
    const agent = guardedAgent((_t, address) => (address === '127.0.0.1' ? 'refused' : undefined), {}, resolve);
    cleanups.push(() => agent.close());
    for (const url of [`http://two.example:${target.port}/`, `http://127.0.0.1:${target.port}/`]) {
      await expect(request(url, { dispatcher: agent }), url).rejects.toThrow();
    }
    expect(target.connections()).toBe(0);
  });

  it('a check that throws refuses the connection instead of ending the process', async () => {
    const target = await listen('127.0.0.1');
    const resolve: ResolveAll = (_name, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const agent = guardedAgent(() => {
      throw new Error('rule broke');
    }, {}, resolve);
    cleanups.push(() => agent.close());
    for (const url of [`http://named.example:${target.port}/`, `http://127.0.0.1:${target.port}/`]) {
      const outcome = await request(url, { dispatcher: agent }).then(
        () => 'connected',
        (err: Error) => String((err as { cause?: unknown }).cause ?? err),
      );
      expect(outcome, url).toContain('rule broke');
    }
    expect(target.connections()).toBe(0);
  });
});
