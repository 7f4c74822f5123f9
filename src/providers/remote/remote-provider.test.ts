import { describe, expect, it } from 'vitest';
import { createRemoteProvider } from './index.ts';
import { LOOPBACK_REMOTES } from '../../../test/support/remote-allow.ts';
import { callText, connectClient, desiredRemote, runHttpServer, testLogger } from '../../../test/fixtures/mcp-servers/harness.ts';

describe('remote provider', () => {
  it('tracks a remote server: Ready with its URL and tools, Degraded when it stops answering, untracked on retire', async () => {
    const upstream = await runHttpServer({ REQUIRE_TOKEN: 'tok-123' });
    const resolved: string[] = [];
    const remote = createRemoteProvider({
      logger: testLogger(),
      probeTimeoutMs: 2000,
      remoteAddresses: LOOPBACK_REMOTES,
      resolveSecret: async (ref) => {
        resolved.push(ref.valueFrom);
        return 'Bearer tok-123';
      },
    });
    try {
      const desired = desiredRemote('crm', {
        url: upstream.url,
        transport: 'streamable-http',
        headers: [{ name: 'Authorization', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-token' }],
      });
      expect(remote.handles(desired.spec)).toBe(true);

      const first = remote.plan(desired, await remote.observe('crm'));
      expect(first.actions).toEqual([expect.objectContaining({ op: 'track', reason: `start health-checking ${upstream.url}` })]);
      expect((await remote.assess(desired, await remote.observe('crm'))).phase).toBe('Progressing');
      await remote.apply(first);
      expect(resolved).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-token']);

      const observed = await remote.observe('crm');
      expect(remote.plan(desired, observed).actions).toEqual([]);
      expect(JSON.stringify(observed)).not.toContain('tok-123'); // header values never in observations
      const ready = await remote.assess(desired, observed);
      expect(ready).toMatchObject({ phase: 'Ready', reason: 'Ready', endpoint: upstream.url, health: { status: 'Healthy' } });
      expect(ready.tools?.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);

      // The endpoint it reports is usable as is.
      const { client } = await connectClient(ready.endpoint!, { Authorization: 'Bearer tok-123' });
      expect(await callText(client, 'echo', { text: 'remote' })).toBe('remote');
      await client.close();

      // URL change → track again, saying so.
      const moved = desiredRemote('crm', { url: 'http://127.0.0.1:1/mcp', transport: 'streamable-http' }, 2);
      const movePlan = remote.plan(moved, await remote.observe('crm'));
      expect(movePlan.actions[0]?.reason).toBe(`url changed from ${upstream.url} to http://127.0.0.1:1/mcp`);

      await upstream.stop();
      const down = await remote.assess(desired, await remote.observe('crm'));
      expect(down).toMatchObject({ phase: 'Degraded', reason: 'Unhealthy', health: { status: 'Unhealthy' } });
      expect(down.message).toContain(`${upstream.url} does not answer MCP`);
      expect(down.message).toContain('ECONNREFUSED');
      expect(down.endpoint).toBeUndefined();

      expect(await remote.listManaged()).toEqual(['crm']);
      const retire = remote.plan(undefined, await remote.observe('crm'));
      expect(retire.actions.map((a) => a.op)).toEqual(['untrack']);
      await remote.apply(retire);
      expect(await remote.listManaged()).toEqual([]);
      expect(await remote.assess(undefined, await remote.observe('crm'))).toMatchObject({ phase: 'Absent' });
    } finally {
      await upstream.stop();
      await remote.close();
    }
  });

  it('handles only specs with spec.remote', () => {
    const remote = createRemoteProvider({ logger: testLogger() });
    expect(remote.handles(desiredRemote('x', { url: 'https://x.example.com/mcp', transport: 'sse' }).spec)).toBe(true);
    expect(remote.handles({ owner: { team: 't' }, environment: 'dev', lifecycle: 'draft', risk: 'low', dataClassification: 'public' })).toBe(false);
  });
});
