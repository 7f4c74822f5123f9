import { describe, expect, it } from 'vitest';
import { describeChanges, launchConfigOf, launchHashOf, processCommandOf, summarize, type LaunchConfig, type LaunchSettings } from './launch.ts';
import { BridgeFlagError, parseStdioLimitFlags } from './stdio-limits.ts';
import { desiredServer } from '../../../test/fixtures/mcp-servers/harness.ts';

const settings: LaunchSettings = {
  nodePath: '/opt/node24/bin/node',
  host: '127.0.0.1',
  parentEnv: {},
  bridgeScript: '/opt/berth/stdio-bridge-main.ts',
  defaultCwd: '/srv/berth-run',
  stateId: 'state-1',
  stateDir: '/srv/berth-run/.berth',
  hidden: [],
  packageRoot: '/opt/berth',
  sandbox: { kind: 'off', reason: 'test' },
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

describe('the restart marker (berth.dev/restartedAt) in the launch', () => {
  it('a new marker changes the launch hash and says so; no marker hashes as records written before markers existed', () => {
    const plain = desiredServer('w', { local: { command: 'node', args: ['server.ts'] } });
    const before = launchConfigOf(plain, settings) as LaunchConfig;
    const restarted = launchConfigOf({ ...plain, restartedAt: '2026-12-06T06:40:00.000Z' }, settings) as LaunchConfig;
    expect(summarize(before)).not.toHaveProperty('restartedAt');
    expect(launchHashOf(restarted)).not.toBe(launchHashOf(before));
    expect(describeChanges(summarize(before), summarize(restarted))).toBe('restart requested at 2026-12-06T06:40:00.000Z');
    expect(launchHashOf(launchConfigOf({ ...plain, restartedAt: '2026-12-06T06:40:00.000Z' }, settings) as LaunchConfig)).toBe(launchHashOf(restarted));
  });
});

describe('stdio bridge limits in the launch', () => {
  const stdio = (limits?: { maxSessions?: number; maxMemoryMiB?: number; idleTimeoutSeconds?: number }) =>
    launchConfigOf(desiredServer('kb', { transport: 'stdio', local: { command: 'node', args: ['kb.ts'] }, ...(limits ? { stdio: limits } : {}) }), settings) as LaunchConfig;

  it('passes the manifest limits to the bridge as flags, each absent one its default', () => {
    const cmd = processCommandOf(stdio({ maxSessions: 3 }), 4100, settings);
    expect(cmd.args).toEqual([
      '/opt/berth/stdio-bridge-main.ts',
      ...['--host', '127.0.0.1', '--port', '4100', '--path', '/mcp'],
      ...['--max-sessions', '3', '--max-memory-mib', '512', '--idle-timeout-s', '300'],
      '--',
      '/opt/node24/bin/node',
      'kb.ts',
    ]);
    expect(parseStdioLimitFlags((f) => cmd.args[cmd.args.indexOf(f) + 1])).toEqual({ maxSessions: 3, maxMemoryMiB: 512, idleTimeoutSeconds: 300 });
  });

  it('restarts the bridge when a limit changes, saying which', () => {
    const before = summarize(stdio());
    const after = summarize(stdio({ maxMemoryMiB: 1024, idleTimeoutSeconds: 60 }));
    expect(launchHashOf(stdio())).not.toBe(launchHashOf(stdio({ maxMemoryMiB: 1024 })));
    expect(describeChanges(before, after)).toBe('stdio limits changed (maxMemoryMiB 512 → 1024, idleTimeoutSeconds 300 → 60)');
    const { stdio: _, ...recordedByOlderBerth } = before;
    expect(describeChanges(recordedByOlderBerth, before)).toBe('stdio bridge limits added (maxSessions 8, maxMemoryMiB 512, idleTimeoutSeconds 300)');
  });

  it('leaves HTTP servers without limits, so their launch hash is what it was', () => {
    const http = launchConfigOf(desiredServer('w', { local: { command: 'node', args: ['server.ts'] }, stdio: { maxSessions: 3 } }), settings) as LaunchConfig;
    expect(http.stdio).toBeUndefined();
    expect(summarize(http)).not.toHaveProperty('stdio');
  });

  it('refuses a limit flag that is not a positive number', () => {
    expect(() => parseStdioLimitFlags((f) => (f === '--max-sessions' ? 'lots' : undefined))).toThrow(BridgeFlagError);
    expect(() => parseStdioLimitFlags((f) => (f === '--idle-timeout-s' ? '0' : undefined))).toThrow('--idle-timeout-s needs a positive number, got "0"');
  });
});
