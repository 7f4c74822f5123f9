import { describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_LIMITS, DEFAULT_SERVER_LIMITS } from '../gateway/index.ts';
import { connectionCap, openFileLimit } from './descriptor-limit.ts';
import { gatewayLimitSettings } from './gateway-limit-flags.ts';

describe('gatewayLimitSettings', () => {
  it("without flags: the gateway's defaults, and the connection cap this process computed", () => {
    expect(gatewayLimitSettings({}, 64)).toEqual({ ...DEFAULT_EDGE_LIMITS, ...DEFAULT_SERVER_LIMITS, maxConnections: 64 });
  });

  it('reads durations, sizes and counts', () => {
    const limits = gatewayLimitSettings(
      {
        'header-timeout': '5s',
        'body-timeout': '1m',
        'idle-timeout': '120s',
        'max-connections': '500',
        'max-connections-per-address': '50',
        'max-body': '16MiB',
        'upstream-timeout': '70s',
        'sse-keepalive': '20s',
      },
      64,
    );
    expect(limits).toEqual({
      headerTimeoutMs: 5_000,
      bodyTimeoutMs: 60_000,
      idleTimeoutMs: 120_000,
      maxConnections: 500,
      maxConnectionsPerAddress: 50,
      maxRequestBodyBytes: 16 * 1024 * 1024,
      upstreamTimeoutMs: 70_000,
      sseKeepaliveMs: 20_000,
    });
  });

  it('refuses values it cannot read, and per-server defaults a manifest could not state, naming the flag and the value', () => {
    const refusal = (values: Parameters<typeof gatewayLimitSettings>[0]) => {
      try {
        gatewayLimitSettings(values, 64);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refusal({ 'header-timeout': '10' })).toBe('--header-timeout must be a duration like 500ms, 15s, 5m, 12h or 30d (got "10")');
    expect(refusal({ 'max-body': '4 megs' })).toBe('--max-body must be a size like 512KiB, 4MiB, 5MB or 1048576 (bytes) (got "4 megs")');
    expect(refusal({ 'max-body': '512' })).toBe('--max-body must be from 1KiB to 256MiB, as spec.gateway.maxRequestBodyBytes may be (got "512")');
    expect(refusal({ 'upstream-timeout': '2h' })).toBe('--upstream-timeout must be from 1s to 1h, as spec.gateway.upstreamTimeoutSeconds may be (got "2h")');
    expect(refusal({ 'upstream-timeout': '500ms' })).toBe('--upstream-timeout must be from 1s to 1h, as spec.gateway.upstreamTimeoutSeconds may be (got "500ms")');
    expect(refusal({ 'max-connections': '0' })).toBe('--max-connections must be a whole number of connections, at least 1 (got "0")');
    expect(refusal({ 'max-connections-per-address': 'many' })).toBe('--max-connections-per-address must be a whole number of connections, at least 1 (got "many")');
  });
});

describe('the default connection cap, from the descriptor limit', () => {
  const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63429                63429                processes
Max open files            256                  256                  files
Max locked memory         8388608              8388608              bytes
`;

  it("reads the process's open-file limit from /proc/self/limits; unknown when unreadable or unlimited", () => {
    expect(openFileLimit(() => LIMITS)).toBe(256);
    expect(openFileLimit(() => LIMITS.replace('256                  256', 'unlimited            unlimited'))).toBeUndefined();
    expect(
      openFileLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
    expect(openFileLimit()).toBeGreaterThan(0); // this Linux machine's own
  });

  it('is half of what the limit leaves after the reserve, at most the gateway default, at least 8', () => {
    expect(connectionCap(256, 128)).toBe(64);
    expect(connectionCap(1024, 64)).toBe(480);
    expect(connectionCap(1_048_576, 64)).toBe(DEFAULT_EDGE_LIMITS.maxConnections);
    expect(connectionCap(undefined, 128)).toBe(DEFAULT_EDGE_LIMITS.maxConnections);
    expect(connectionCap(100, 128)).toBe(8);
  });
});
