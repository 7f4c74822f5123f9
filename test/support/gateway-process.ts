/**
 * A gateway in a process of its own, for the tests where the client must not
 * share the gateway's event loop (a client in the same process cannot write
 * while the gateway works, which hides races such as a reset during an early
 * 413) or where the gateway's own file descriptors are counted:
 *   node test/support/gateway-process.ts '{"servers": [...], "limits": {...}, "serverDefaults": {...}}'
 * `servers`: MCPServer objects for the route table; `limits`: the edge's limits;
 * `serverDefaults`: the route table's per-server defaults. Prints `LISTENING <port>`.
 */
import pino from 'pino';
import { startGateway } from '../../src/gateway/gateway.ts';
import type { EdgeLimits, ServerLimits } from '../../src/gateway/limits.ts';
import { RouteTable } from '../../src/gateway/route-table.ts';
import type { MCPServer } from '../../src/manifest/types.ts';
import { LOOPBACK_REMOTES } from './remote-allow.ts';

/** What the process is started with (one JSON argument). */
export interface GatewayProcessConfig {
  servers: MCPServer[];
  limits?: Partial<EdgeLimits>;
  serverDefaults?: Partial<ServerLimits>;
}

if (import.meta.main) {
  const config = JSON.parse(process.argv[2] ?? '{"servers": []}') as GatewayProcessConfig;
  const routeTable = new RouteTable(config.serverDefaults);
  routeTable.replaceAll(config.servers);
  const gateway = await startGateway({ routeTable, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), ...(config.limits ? { limits: config.limits } : {}), remoteAddresses: LOOPBACK_REMOTES });
  process.stdout.write(`LISTENING ${gateway.port}\n`);
}
