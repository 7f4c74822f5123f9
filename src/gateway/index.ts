/**
 * The gateway: the MCP edge agents call. A route table fed by an informer over
 * the registry, the streaming proxy, and its request pipeline.
 *
 * May import: client, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.ts';
export { createProxy, type Proxy, type ProxyOptions } from './proxy.ts';
export { RouteTable } from './route-table.ts';
export { DEFAULT_EDGE_LIMITS, DEFAULT_SERVER_LIMITS, type EdgeLimits, type ServerLimits } from './limits.ts';
export type { ConnectionCounts } from './connection-guard.ts';
export { routeFromServer, unroutableReason, type Route, type UpstreamTarget } from './route.ts';
export { followRegistry, type FollowRegistryOptions } from './follow-registry.ts';
export { CONTINUE, type GatewayContext, type GatewayStep, type StepVerdict } from './pipeline.ts';
export { GatewayErrorCode, type JsonRpcMessage, type JsonRpcId, type JsonRpcErrorObject } from './json-rpc.ts';
export { SessionKeys, SESSION_KEY_BYTES } from './session-keys.ts';
export { type EdgeOptions } from './edge/edge.ts';
export { parseHostPattern, type HostPattern } from './edge/allowed-hosts.ts';
export { parseOriginEntry, type OriginEntry } from './edge/origin-policy.ts';
export { HEALTH_PATH, METRICS_PATH, READY_PATH } from './edge/own-endpoints.ts';
export { TrustedProxies } from './trusted-proxies.ts';
export type { SecretResolver } from './upstream-credentials.ts';
