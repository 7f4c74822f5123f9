/**
 * How many client connections the gateway may hold by default, from the file
 * descriptors the process may open. Every connection is a descriptor, and so
 * is everything else the process needs: in `berth up` the registry's and the
 * reconciler's sockets, the SQLite files, the local servers' pipes, the logs.
 * A gateway that takes them all makes everything else fail with EMFILE (300
 * idle sockets did that to a `berth up` limited to 256), so its connection cap
 * is derived from the limit rather than fixed.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_EDGE_LIMITS } from '../gateway/index.ts';

/** The fewest connections a derived cap allows, however low the limit. */
const MIN_CONNECTIONS = 8;

/**
 * The process's limit on open files (the soft RLIMIT_NOFILE, which Node raises to
 * the hard one at start), from `/proc/self/limits`; undefined where that cannot
 * be read (not Linux) or says "unlimited".
 * @example openFileLimit() // 1048576
 */
export function openFileLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | undefined {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * The default `--max-connections`: half of the descriptors `limit` leaves once
 * `reserved` are set aside for the rest of the process — half, because a request
 * in flight holds an upstream socket beside its client connection — and never
 * more than the gateway's own default ({@link DEFAULT_EDGE_LIMITS}), nor fewer
 * than 8. Without a known limit, the gateway's default.
 * @example connectionCap(256, 128) // 64
 * @example connectionCap(1_048_576, 64) // 10000
 */
export function connectionCap(limit: number | undefined, reserved: number): number {
  if (limit === undefined) return DEFAULT_EDGE_LIMITS.maxConnections;
  return Math.min(DEFAULT_EDGE_LIMITS.maxConnections, Math.max(MIN_CONNECTIONS, Math.floor((limit - reserved) / 2)));
}
