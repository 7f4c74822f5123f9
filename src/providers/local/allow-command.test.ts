import { afterEach, describe, expect, it } from 'vitest';
import { createLocalProvider } from './index.ts';
import { launchConfigOf, type LaunchSettings } from './launch.ts';
import { HTTP_SERVER, desiredServer, pidsWithTag, providerTestScope, tempDir, testLogger, waitFor, waitReady, wrapperServers } from '../../../test/fixtures/mcp-servers/harness.ts';

const scope = providerTestScope(afterEach);
const settings: LaunchSettings = {
  nodePath: '/opt/node/bin/node',
  host: '127.0.0.1',
  parentEnv: {},
  bridgeScript: '/opt/berth/bridge.ts',
  defaultCwd: '/srv',
  stateId: 's',
  stateDir: '/srv/.berth',
  hidden: [],
  packageRoot: '/opt/berth',
  sandbox: { kind: 'off', reason: 'test' },
  allowCommands: ['node', '/opt/mcp/**'],
};
const withCommand = (command: string) => desiredServer('x', { transport: 'streamable-http', local: { command } });

describe('--allow-command (the operator\'s allow-list of local commands)', () => {
  it('allows what a glob matches, as the manifest wrote it, and names the flag for anything else', () => {
    expect(launchConfigOf(withCommand('node'), settings)).not.toHaveProperty('problem');
    expect(launchConfigOf(withCommand('/opt/mcp/weather/bin/server'), settings)).not.toHaveProperty('problem');
    expect(launchConfigOf(withCommand('/bin/sh'), settings)).toEqual({
      problem: 'spec.runtime.local.command "/bin/sh" of x is not allowed on this machine: the operator allows only --allow-command "node", --allow-command "/opt/mcp/**"; ask them to add it, or deploy it to ECS',
    });
    // A path that merely contains an allowed name is not the allowed command.
    expect(launchConfigOf(withCommand('/tmp/node'), settings)).toHaveProperty('problem');
    const { allowCommands: _, ...anyCommand } = settings;
    expect(launchConfigOf(withCommand('/bin/sh'), anyCommand)).not.toHaveProperty('problem');
  });

  it('a running server whose command the new list refuses is stopped and reports Degraded; an allowed one keeps running', async () => {
    const stateDir = tempDir();
    const tag = scope.tag('allow');
    const shell = wrapperServers(tag)[0]!; // command: sh
    const plain = desiredServer('plain', { transport: 'streamable-http', local: { command: 'node', args: [HTTP_SERVER, tag] } });
    const a = scope.track(createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: { PATH: process.env.PATH } }));
    for (const d of [shell, plain]) await a.apply(a.plan(d, await a.observe(d.name)));
    for (const d of [shell, plain]) await waitReady(a, d, 15_000);
    await a.release();

    const b = scope.track(createLocalProvider({ logger: testLogger(), stateDir, nodePath: process.execPath, parentEnv: { PATH: process.env.PATH }, allowCommands: ['node'] }));
    const stop = b.plan(shell, await b.observe(shell.name));
    expect(stop.actions.map((x) => x.op)).toEqual(['stop']);
    await b.apply(stop);
    const state = b.assess(shell, await b.observe(shell.name));
    expect(state).toMatchObject({ phase: 'Degraded', reason: 'InvalidSpec' });
    expect(state.message).toContain('--allow-command "node"');
    await waitFor('the refused server is gone', () => pidsWithTag(`${tag}:exec`).length === 0);

    expect(b.plan(plain, await b.observe(plain.name)).actions.map((x) => x.op)).toEqual(['adopt']);
  }, 40_000);
});
