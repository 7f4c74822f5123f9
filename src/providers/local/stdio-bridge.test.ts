import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createLocalProvider, type LocalProvider } from './index.ts';
import { startStdioBridge } from './stdio-bridge.ts';
import { alive, callText, connectClient, desiredServer, killTagged, removeTempDirs, pidsWithTag, STDIO_SERVER, tempDir, testLogger, uniqueTag, waitFor } from '../../../test/fixtures/mcp-servers/harness.ts';

const providers: LocalProvider[] = [];
const tags: string[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  killTagged(tags);
  removeTempDirs();
});

describe('stdio bridge (through the local provider)', () => {
  it('serves a stdio server over streamable HTTP, one child per session, two sessions at once', async () => {
    const p = createLocalProvider({ logger: testLogger(), stateDir: tempDir(), nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, sandbox: 'off' });
    providers.push(p);
    const tag = uniqueTag('stdio');
    tags.push(tag);
    const desired = desiredServer('stdio-a', { transport: 'stdio', local: { command: 'node', args: [STDIO_SERVER, tag], env: { FLAVOUR: 'stdio' } } });
    await p.apply(p.plan(desired, await p.observe('stdio-a')));
    const ready = await waitFor('Ready', async () => {
      const s = p.assess(desired, await p.observe('stdio-a'));
      return s.phase === 'Ready' ? s : undefined;
    }, 20_000);
    expect(ready.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(ready.tools?.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
    const bridgePid = (await p.observe('stdio-a')).pid!;

    const [a, b] = await Promise.all([connectClient(ready.endpoint!), connectClient(ready.endpoint!)]);
    expect((await a.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'getEnv', 'whoami']);
    const [pidA, pidB] = await Promise.all([callText(a.client, 'whoami'), callText(b.client, 'whoami')]);
    expect(pidA).not.toBe(pidB); // one stdio child per session
    expect(Number(pidA)).not.toBe(bridgePid);
    const [echoA, echoB] = await Promise.all([callText(a.client, 'echo', { text: 'from a' }), callText(b.client, 'echo', { text: 'from b' })]);
    expect([echoA, echoB]).toEqual(['from a', 'from b']);
    expect(await callText(b.client, 'getEnv', { name: 'FLAVOUR' })).toBe('stdio');
    // bridge + two session children carry the tag (health-probe children come and go)
    expect(pidsWithTag(tag)).toEqual(expect.arrayContaining([bridgePid, Number(pidA), Number(pidB)]));

    // Ending a session ends its child; the other session carries on.
    await a.transport.terminateSession();
    await a.client.close();
    await waitFor('session child a gone', () => !alive(Number(pidA)));
    expect(await callText(b.client, 'echo', { text: 'still here' })).toBe('still here');
    await b.client.close();

    // Retiring the server leaves nothing: bridge and every child.
    await p.apply(p.plan(undefined, await p.observe('stdio-a')));
    expect(alive(bridgePid)).toBe(false);
    expect(alive(Number(pidB))).toBe(false);
    expect(pidsWithTag(tag)).toEqual([]);
  });

  it('health checks keep one MCP session: one stdio child answers them all, and retiring ends it', async () => {
    const p = createLocalProvider({ logger: testLogger(), stateDir: tempDir(), nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, sandbox: 'off' });
    providers.push(p);
    const tag = uniqueTag('stdio-health');
    tags.push(tag);
    const desired = desiredServer('stdio-h', { transport: 'stdio', healthCheck: { intervalSeconds: 0.2 }, local: { command: 'node', args: [STDIO_SERVER, tag] } });
    await p.apply(p.plan(desired, await p.observe('stdio-h')));
    await waitFor('Ready', async () => p.assess(desired, await p.observe('stdio-h')).phase === 'Ready' || undefined, 20_000);
    const bridgePid = (await p.observe('stdio-h')).pid!;
    const first = await waitFor('a health check after Ready', async () => (await p.observe('stdio-h')).health.lastChecked, 5000);
    // Every stdio child seen while ten more checks run (a session per check would start one each time).
    const children = new Set<number>();
    await waitFor('ten more health checks', async () => {
      for (const pid of pidsWithTag(tag)) if (pid !== bridgePid) children.add(pid);
      const checked = (await p.observe('stdio-h')).health.lastChecked!;
      return Date.parse(checked) - Date.parse(first) >= 2000 || undefined;
    }, 10_000, 20);
    expect(children.size).toBe(1);
    expect(alive([...children][0]!)).toBe(true);
    expect((await p.observe('stdio-h')).health.status).toBe('Healthy');
    await p.apply(p.plan(undefined, await p.observe('stdio-h')));
    expect(pidsWithTag(tag)).toEqual([]);
  });

  it('passes progress notifications and server-to-client requests through (server-everything over stdio)', async () => {
    const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
    const bridge = await startStdioBridge({
      command: process.execPath,
      args: [everything, 'stdio'],
      env: { PATH: process.env.PATH ?? '' },
      host: '127.0.0.1',
      port: 0,
      mcpPath: '/mcp',
      logger: { info: () => undefined, warn: () => undefined },
    });
    const client = new Client({ name: 'fidelity', version: '1' }, { capabilities: { sampling: {} } });
    const sampled: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      sampled.push(JSON.stringify(req.params.messages));
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled by the client' } };
    });
    const transport = new StreamableHTTPClientTransport(new URL(bridge.url));
    try {
      await client.connect(transport);
      expect(bridge.sessionCount()).toBe(1);
      const progress: number[] = [];
      const lro = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        undefined,
        { onprogress: (p) => progress.push(p.progress) },
      );
      expect(progress).toEqual([1, 2, 3]);
      expect(JSON.stringify(lro.content)).toContain('Long running operation completed');
      // The server asks the client to sample, mid-call: a server-to-client request across the bridge.
      const sampling = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } });
      expect(sampled).toHaveLength(1);
      expect(JSON.stringify(sampling.content)).toContain('sampled by the client');
      expect((await client.listResources()).resources.length).toBeGreaterThan(0);
      expect((await client.listPrompts()).prompts.length).toBeGreaterThan(0);
      const childPid = bridge.childPids()[0]!;
      await transport.terminateSession();
      await waitFor('session child gone', () => bridge.sessionCount() === 0 && !alive(childPid));
    } finally {
      await client.close();
      await bridge.close();
    }
  });
});
