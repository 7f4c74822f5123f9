import { describe, expect, it } from 'vitest';
import { launchConfigOf, type LaunchConfig, type LaunchSettings } from './launch.ts';
import { desiredServer } from '../../../test/fixtures/mcp-servers/harness.ts';

const settings: LaunchSettings = {
  nodePath: '/opt/node24/bin/node',
  host: '127.0.0.1',
  parentEnv: {},
  bridgeScript: '/opt/berth/stdio-bridge-main.ts',
  defaultCwd: '/srv/berth-run',
  stateId: 'state-1',
};

function cwdOf(local: { cwd?: string }, sourceDir?: string): string {
  const desired = { ...desiredServer('w', { local: { command: 'node', args: ['server.ts'], ...local } }), ...(sourceDir ? { sourceDir } : {}) };
  return (launchConfigOf(desired, settings) as LaunchConfig).cwd;
}

describe('launchConfigOf: where a server runs', () => {
  it('runs in the folder Berth runs in, and resolves a relative local.cwd from there', () => {
    expect(cwdOf({})).toBe('/srv/berth-run');
    expect(cwdOf({ cwd: 'servers/quote' })).toBe('/srv/berth-run/servers/quote');
    expect(cwdOf({ cwd: '/abs/elsewhere' })).toBe('/abs/elsewhere');
  });

  it('starts from the berth.dev/source-dir folder instead when the manifest names one', () => {
    expect(cwdOf({}, '/repo/manifests')).toBe('/repo/manifests');
    expect(cwdOf({ cwd: '..' }, '/repo/manifests')).toBe('/repo');
    expect(cwdOf({ cwd: '/abs/elsewhere' }, '/repo/manifests')).toBe('/abs/elsewhere');
  });

  it("runs `node` with Berth's own Node binary", () => {
    const config = launchConfigOf(desiredServer('w', { local: { command: 'node', args: ['server.ts'] } }), settings) as LaunchConfig;
    expect(config.command).toBe('/opt/node24/bin/node');
  });
});
