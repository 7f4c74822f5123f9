/**
 * The flags of the gateway's edge in `berth gateway` and `berth up`: which
 * `Host` names and browser origins it serves, beyond its public URL(s) and
 * listen address (src/gateway/edge/). CORS is off unless `--cors-origin` is given.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseHostPattern, parseOriginEntry } from '../gateway/index.ts';
import { UsageError } from './command.ts';
import { listFlag, publicUrlsFlag } from './gateway-flags.ts';
import type { GatewayPart } from './runtime.ts';

/** The flags, for `parseFlags`. */
export const GATEWAY_EDGE_FLAGS = {
  'allowed-host': { type: 'string', multiple: true },
  'cors-origin': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link GATEWAY_EDGE_FLAGS}. */
export const GATEWAY_EDGE_USAGE = `  --allowed-host H        another Host name clients use (repeatable or comma-separated): name (any port),
                          name:port, or *.example.com (every name under it). Always allowed: the
                          --public-url hosts, the listen address, localhost over loopback, and every
                          server's routing.host; any other Host gets 421 (DNS rebinding guard)
  --cors-origin O         let browser pages on origin O call the gateway (CORS; repeatable or
                          comma-separated): https://app.example.com, * (any origin), null (sandboxed
                          pages). Off without it. A request whose Origin is neither listed nor the
                          gateway's own gets 403`;

/** The flag values {@link gatewayEdgeSettings} reads. */
export interface GatewayEdgeValues {
  'public-url'?: string[] | undefined;
  'allowed-host'?: string[] | undefined;
  'cors-origin'?: string[] | undefined;
}

/**
 * The gateway part's edge settings from the flags: every public URL, the allowed
 * hosts and the CORS origins, each entry checked.
 * @throws UsageError naming the flag and the entry that is malformed, and what it should look like
 * @example gatewayEdgeSettings({ 'allowed-host': ['*.mcp.internal'], 'cors-origin': ['https://app.example.com'] })
 * // { edge: { publicUrls: [], allowedHosts: ['*.mcp.internal'], corsOrigins: ['https://app.example.com'] } }
 */
export function gatewayEdgeSettings(values: GatewayEdgeValues): Required<Pick<GatewayPart, 'edge'>> {
  const allowedHosts = listFlag(values['allowed-host']);
  for (const entry of allowedHosts) {
    const pattern = parseHostPattern(entry);
    if (typeof pattern === 'string') throw new UsageError(`--allowed-host ${pattern}`);
  }
  const corsOrigins = listFlag(values['cors-origin']);
  for (const entry of corsOrigins) {
    const origin = parseOriginEntry(entry);
    if (typeof origin === 'string') throw new UsageError(`--cors-origin ${origin}`);
  }
  return { edge: { publicUrls: publicUrlsFlag(values), allowedHosts, corsOrigins } };
}
