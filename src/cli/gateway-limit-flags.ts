/**
 * The flags of the gateway's limits in `berth gateway` and `berth up`: how long
 * a client may take, how many connections it may hold, and the defaults of each
 * server's body size and upstream timeout (a manifest's `spec.gateway` overrides
 * those per server). The defaults and why: src/gateway/limits.ts.
 */
import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_EDGE_LIMITS, DEFAULT_SERVER_LIMITS, type EdgeLimits, type ServerLimits } from '../gateway/index.ts';
import { formatSize, parseSize, SIZE_EXAMPLES } from '../kit/size.ts';
import { UsageError } from './command.ts';
import { durationFlag } from './config.ts';

/** The flags, for `parseFlags`. */
export const GATEWAY_LIMIT_FLAGS = {
  'header-timeout': { type: 'string' },
  'body-timeout': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  'max-body': { type: 'string' },
  'upstream-timeout': { type: 'string' },
  'sse-keepalive': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Every limit of the gateway: the edge's and the per-server defaults. */
export type GatewayLimitSettings = EdgeLimits & ServerLimits;

/** The manifest field's range, so a gateway default is one a manifest could state. */
const MAX_BODY_RANGE = { min: 1024, max: 256 * 1024 * 1024 };
const UPSTREAM_TIMEOUT_RANGE_MS = { min: 1_000, max: 3_600_000 };

/**
 * Usage lines for {@link GATEWAY_LIMIT_FLAGS}; `maxConnections` is the default
 * this process computed from its descriptor limit (descriptor-limit.ts).
 */
export function gatewayLimitUsage(maxConnections: number): string {
  const e = DEFAULT_EDGE_LIMITS;
  const s = DEFAULT_SERVER_LIMITS;
  const rows: Array<[string, ...string[]]> = [
    ['--header-timeout D', "a request's headers must arrive within D, else 408 and the connection", `closes; so does a connection that sends nothing for D (default ${e.headerTimeoutMs / 1000}s)`],
    ['--body-timeout D', `then the rest of the request must arrive within D (default ${e.bodyTimeoutMs / 1000}s)`],
    ['--idle-timeout D', `close a kept-alive connection idle for D (default ${e.idleTimeoutMs / 1000}s: longer than an ALB's 60s)`],
    ['--max-connections N', `client connections at once; more are closed when accepted (default ${maxConnections},`, `from this process's descriptor limit; at most ${e.maxConnections})`],
    ['--max-connections-per-address N', '', `client connections at once from one address (default ${e.maxConnectionsPerAddress}); behind a load`, "balancer the address is the balancer's: raise it to --max-connections"],
    ['--max-body SIZE', 'largest request body of a server whose manifest sets no', `spec.gateway.maxRequestBodyBytes (default ${formatSize(s.maxRequestBodyBytes).replace(' ', '')})`],
    ['--upstream-timeout D', 'how long a server whose manifest sets no spec.gateway.upstreamTimeoutSeconds', `may take to answer (headers, and a non-SSE body's end); then 504 (default ${s.upstreamTimeoutMs / 1000}s)`],
    ['--sse-keepalive D', `write a ': keepalive' comment to an SSE stream silent for D (default ${e.sseKeepaliveMs / 1000}s)`],
  ];
  const lines: string[] = [];
  for (const [flag, first, ...more] of rows) {
    lines.push(first === '' ? `  ${flag}` : `  ${flag.padEnd(24)}${first}`);
    for (const line of more) lines.push(`  ${''.padEnd(24)}${line}`);
  }
  return lines.join('\n');
}

/**
 * The gateway's limits from the flags; `maxConnections` is the default of
 * `--max-connections` (descriptor-limit.ts).
 * @throws UsageError naming the flag, the value and what it must be
 * @example gatewayLimitSettings({ 'max-body': '16MiB' }, 10_000).maxRequestBodyBytes // 16777216
 */
export function gatewayLimitSettings(values: Partial<Record<keyof typeof GATEWAY_LIMIT_FLAGS, string | undefined>>, maxConnections: number): GatewayLimitSettings {
  const e = DEFAULT_EDGE_LIMITS;
  const s = DEFAULT_SERVER_LIMITS;
  const upstreamTimeoutMs = durationFlag(values['upstream-timeout'], '--upstream-timeout', s.upstreamTimeoutMs);
  if (upstreamTimeoutMs < UPSTREAM_TIMEOUT_RANGE_MS.min || upstreamTimeoutMs > UPSTREAM_TIMEOUT_RANGE_MS.max) {
    throw new UsageError(`--upstream-timeout must be from 1s to 1h, as spec.gateway.upstreamTimeoutSeconds may be (got "${values['upstream-timeout']}")`);
  }
  return {
    headerTimeoutMs: durationFlag(values['header-timeout'], '--header-timeout', e.headerTimeoutMs),
    bodyTimeoutMs: durationFlag(values['body-timeout'], '--body-timeout', e.bodyTimeoutMs),
    idleTimeoutMs: durationFlag(values['idle-timeout'], '--idle-timeout', e.idleTimeoutMs),
    maxConnections: countFlag(values['max-connections'], '--max-connections', maxConnections),
    maxConnectionsPerAddress: countFlag(values['max-connections-per-address'], '--max-connections-per-address', e.maxConnectionsPerAddress),
    sseKeepaliveMs: durationFlag(values['sse-keepalive'], '--sse-keepalive', e.sseKeepaliveMs),
    maxRequestBodyBytes: sizeFlag(values['max-body'], '--max-body', s.maxRequestBodyBytes),
    upstreamTimeoutMs,
  };
}

function countFlag(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of connections, at least 1 (got "${text}")`);
  return n;
}

function sizeFlag(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UsageError(`${flag} must be ${SIZE_EXAMPLES} (got "${text}")`);
  if (bytes < MAX_BODY_RANGE.min || bytes > MAX_BODY_RANGE.max) {
    throw new UsageError(`${flag} must be from 1KiB to 256MiB, as spec.gateway.maxRequestBodyBytes may be (got "${text}")`);
  }
  return bytes;
}
