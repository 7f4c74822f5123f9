/**
 * stdio servers on ECS: the example knowledge-base (transport stdio) plans and
 * converges on the fake with Berth's bridge as its container's entry point; the
 * container process the provider renders really serves MCP when run (`berth
 * bridge` around the real knowledge-base server); a stdio server that names no
 * command is refused before anything is created.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeTaskDefinitionCommand, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isTerminal } from '../src/kit/errors.ts';
import { applyDefaults } from '../src/manifest/defaults.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { parseStdioLimitFlags } from '../src/providers/local/stdio-limits.ts';
import { planAll } from '../src/reconciler/plan-all.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, phaseOf, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = `${REPO}src/cli/bin.ts`;
const KB_SERVER = `${REPO}examples/servers/knowledge-base/server.ts`;

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

/** The container of the task definition Berth registered for knowledge-base, as AWS describes it. */
async function registeredContainer(): Promise<ContainerDefinition & { entryPoint: string[]; command: string[] }> {
  const out = await createFakeAwsClients(w.fake).ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'berth-knowledge-base' }));
  return out.taskDefinition!.containerDefinitions![0]! as ContainerDefinition & { entryPoint: string[]; command: string[] };
}

function knowledgeBase(): MCPServer {
  return applyDefaults(parse(readFileSync(`${REPO}examples/manifests/knowledge-base.yaml`, 'utf8')) as MCPServer);
}

describe('stdio servers on ECS', () => {
  it('knowledge-base plans with the bridge as entry point, converges to Ready, and a second pass writes nothing', async () => {
    w = await ecsWorld();
    await createApproved(w.store, knowledgeBase());
    const report = await planAll(w.registry, [w.provider], 'dev');
    const text = report.text();
    expect(text).toContain(
      '+ register task definition berth-knowledge-base [ecs]: first revision: image ghcr.io/acme/knowledge-base-mcp:1.2.0, ' +
        'entryPoint [berth bridge --host 0.0.0.0 --port 8080 --path /mcp --max-sessions 8 --max-memory-mib 512 --idle-timeout-s 300 --], ' +
        'command [node /srv/knowledge-base/server.ts], port 8080, 256 CPU / 512 MiB',
    );
    await converge(w, 'knowledge-base');
    expect(await phaseOf(w, 'knowledge-base')).toBe('Ready');
    const container = await registeredContainer();
    expect(container.entryPoint.slice(0, 2)).toEqual(['berth', 'bridge']);
    expect(container.command).toEqual(['node', '/srv/knowledge-base/server.ts']);
    // The flags the provider writes are the ones the bridge reads.
    const flags = container.entryPoint.slice(2, -1);
    const flag = (name: string) => (flags.includes(name) ? flags[flags.indexOf(name) + 1] : undefined);
    expect(parseStdioLimitFlags(flag)).toEqual({ maxSessions: 8, maxMemoryMiB: 512, idleTimeoutSeconds: 300 });
    expect([flag('--host'), flag('--port'), flag('--path')]).toEqual(['0.0.0.0', String(container.portMappings![0]!.containerPort), '/mcp']);
    w.clock.advance(10_000);
    const since = w.fake.lastCallSeq;
    await w.reconciler.reconcile('knowledge-base');
    expect(w.fake.callCounts({ writesOnly: true, since })).toEqual({});
  });

  it('the rendered container process serves MCP: `berth bridge` with those flags around the real knowledge-base server', { timeout: 30_000 }, async () => {
    w = await ecsWorld();
    await createApproved(w.store, knowledgeBase());
    await converge(w, 'knowledge-base');
    const { entryPoint, command } = await registeredContainer();
    // As the container would run it, with this checkout for the image: `berth` is bin.ts, the
    // server's file is the example's, and a free loopback port stands in for the task's ENI.
    const argv = entryPoint.slice(1).map((a, i, all) => (all[i - 1] === '--host' ? '127.0.0.1' : all[i - 1] === '--port' ? '0' : a));
    const child = spawn(process.execPath, [BIN, ...argv, process.execPath, ...command.slice(1).map((a) => (a === '/srv/knowledge-base/server.ts' ? KB_SERVER : a))], {
      env: { PATH: process.env.PATH ?? '', BERTH_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stderr!.on('data', (d: Buffer) => {
          buf += String(d);
          const m = /"url":"([^"]+)"/.exec(buf);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`berth bridge exited (${code}) before listening: ${buf}`)));
      });
      const client = new Client({ name: 'ecs-stdio-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['searchArticles', 'getArticle']));
      await client.close();
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      // A clean stop on SIGTERM, reported as shells do (128 + 15), like every berth command.
      expect(await exited).toBe(143);
    }
  });

  it('a stdio server without spec.runtime.command is refused, terminally, before anything is created', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('bare', { transport: 'stdio' }));
    const failure = await w.reconciler.reconcile('bare').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isTerminal(failure)).toBe(true);
    expect(String((failure as Error).message)).toContain('set spec.runtime.command');
    expect(w.fake.callCounts({ writesOnly: true })).toEqual({});
  });
});
