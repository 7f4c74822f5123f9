/**
 * The gateway's connection caps: how many client connections it holds at once,
 * in all and from one address, so that neither a flood nor one greedy client
 * can take every file descriptor of the process (which `berth up` shares with
 * the registry, the reconciler and the servers' pipes).
 *
 * A connection over a cap is closed as soon as it is accepted, never answered:
 * it has sent nothing yet, so an answer would race the request the client is
 * about to write (and a reset would likely destroy it, as for an early 413),
 * and holding the connection open to answer it would spend the very descriptor
 * the cap protects. Node's `server.maxConnections` applies the global cap
 * before a socket is even made; the per-address cap is counted here. Every
 * rejection is counted (metrics, and a warning at most every 10 s per cap).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { EdgeMetrics } from './edge/edge-metrics.ts';
import type { EdgeLimits } from './limits.ts';

/** What the guard has seen. */
export interface ConnectionCounts {
  /** Client connections open now. */
  readonly open: number;
  /** Connections closed at once because `maxConnections` was reached. */
  readonly rejectedOverall: number;
  /** Connections closed at once because their address had `maxConnectionsPerAddress` open. */
  readonly rejectedPerAddress: number;
}

/** How often a cap's rejections are logged at most. */
const WARN_EVERY_MS = 10_000;

/**
 * Applies `limits`' connection caps to `server` (call before it listens) and
 * counts connections; the returned object reads the counts at any time.
 * @example const counts = guardConnections(server, { maxConnections: 1000, maxConnectionsPerAddress: 100 }, logger); counts.open
 */
export function guardConnections(
  server: Server,
  limits: Pick<EdgeLimits, 'maxConnections' | 'maxConnectionsPerAddress'>,
  logger: Logger,
  metrics?: EdgeMetrics,
): ConnectionCounts {
  const counts = { open: 0, rejectedOverall: 0, rejectedPerAddress: 0 };
  const warned = { overall: 0, perAddress: 0 };
  const unwarned = { overall: 0, perAddress: 0 };
  const warn = (cap: 'overall' | 'perAddress', detail: Record<string, unknown>, message: string) => {
    unwarned[cap]++;
    const now = Date.now();
    if (now - warned[cap] < WARN_EVERY_MS) return;
    logger.warn({ ...detail, rejectedSinceLastWarning: unwarned[cap] }, message);
    warned[cap] = now;
    unwarned[cap] = 0;
  };

  server.maxConnections = limits.maxConnections;
  server.on('drop', () => {
    counts.rejectedOverall++;
    metrics?.connectionRefused('max-connections');
    warn('overall', { maxConnections: limits.maxConnections }, `client connections refused: ${limits.maxConnections} are open (--max-connections); raise it if the process has descriptors and memory to spare`);
  });

  // Counted per address only when that cap can bind before the overall one.
  const perAddress = limits.maxConnectionsPerAddress < limits.maxConnections ? new Map<string, number>() : undefined;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (perAddress !== undefined && address !== undefined) {
      const held = perAddress.get(address) ?? 0;
      if (held >= limits.maxConnectionsPerAddress) {
        counts.rejectedPerAddress++;
        metrics?.connectionRefused('max-connections-per-address');
        warn(
          'perAddress',
          { address, maxConnectionsPerAddress: limits.maxConnectionsPerAddress },
          `client connections refused: ${address} has ${held} open (--max-connections-per-address); behind a load balancer the address is the balancer's, so raise the cap to --max-connections there`,
        );
        socket.destroy();
        return;
      }
      perAddress.set(address, held + 1);
    }
    counts.open++;
    socket.once('close', () => {
      counts.open--;
      if (perAddress === undefined || address === undefined) return;
      const left = perAddress.get(address)! - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return counts;
}
