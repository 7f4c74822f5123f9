/**
 * The governed gateway's parts, built once per gateway process from a registry
 * client and configuration: who may call (agent keys reviewed by the registry,
 * access tokens from an identity provider), what they may do (AccessPolicies
 * followed from the registry), the audit sink and rate limits — the
 * {@link Governor} the proxy consults — plus the endpoints that
 * are not MCP routes: OAuth protected resource metadata (RFC 9728) and
 * discovery for agents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { RegistryError } from '../../client/errors.ts';
import type { RegistryClient } from '../../client/registry-client.ts';
import type { CallRecord } from '../../client/wire.ts';
import { AgentKeyVerifier } from '../auth/agent-keys.ts';
import { Authenticator } from '../auth/authenticate.ts';
import { createOidcVerifier, type OidcVerifier } from '../auth/oidc.ts';
import type { OidcConfig } from '../auth/oidc-config.ts';
import { PROTECTED_RESOURCE_PATH, protectedResourceMetadata, resourceMetadataUrl, wwwAuthenticate } from '../auth/protected-resource.ts';
import { GatewayErrorCode, jsonRpcErrorBody } from '../json-rpc.ts';
import type { RouteTable } from '../route-table.ts';
import { AuditSink } from './audit-sink.ts';
import { discover, registryListing } from './discovery.ts';
import { createGatewayMetrics } from './gateway-metrics.ts';
import { Governor } from './governor.ts';
import { PolicyIndex } from './policy-index.ts';
import { RateLimiter, type RateLimit } from './rate-limiter.ts';

/** Configuration of the governed gateway. */
export interface GovernanceOptions {
  /** The registry, with a token of role `gateway` (or admin): policies, key reviews, approvals, call records. */
  registry: RegistryClient;
  routeTable: RouteTable;
  logger: Logger;
  /**
   * The gateway's public URL: its OAuth resource identifier, the default token
   * audience, and the base of discovery URLs. A function when it is known only
   * once the gateway listens (port 0); then an identity provider needs its own `audience`.
   */
  publicUrl: string | (() => string);
  /** An identity provider whose access tokens the gateway accepts; absent: agent keys only. */
  oidc?: Omit<OidcConfig, 'audience'> & { audience?: string | string[] };
  /** Where the gateway's metrics go. */
  metrics?: Registry;
  /** How long an accepted agent key is trusted before the registry is asked again; default 5 s. */
  agentKeyCacheMs?: number;
  /** Buckets for callers whose policies set none; defaults 600/min (burst 100) per agent, 300/min (burst 50) per agent × server. */
  defaultRateLimit?: RateLimit;
  defaultServerRateLimit?: RateLimit;
  /** Audit: how long persisting may fail before calls are refused (default 10 s), and the most records held (10,000). */
  auditFailClosedAfterMs?: number;
  auditMaxBuffered?: number;
}

/** The governed gateway's parts. */
export interface Governance {
  governor: Governor;
  /** Serves the endpoints that are not MCP routes; false when `pathname` is none of them. */
  serveSpecial(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): boolean;
  /** Resolves once the AccessPolicies are loaded. */
  synced(): Promise<void>;
  /** Stops following policies and flushes the audit (resolves with records that could not be persisted). */
  close(): Promise<number>;
}

/** Builds the governance; see {@link GovernanceOptions}. */
export function createGovernance(opts: GovernanceOptions): Governance {
  const { registry, logger } = opts;
  const publicUrl = (): string => (typeof opts.publicUrl === 'string' ? opts.publicUrl : opts.publicUrl()).replace(/\/+$/, '');
  let oidc: OidcVerifier | undefined;
  if (opts.oidc !== undefined) {
    const audience = opts.oidc.audience ?? (typeof opts.publicUrl === 'string' ? publicUrl() : undefined);
    if (audience === undefined) throw new Error('an identity provider needs the token audience: set the gateway\'s public URL (--public-url) or the audience (--oidc-audience)');
    oidc = createOidcVerifier({ ...opts.oidc, audience });
  }
  const authenticator = new Authenticator({
    agentKeys: new AgentKeyVerifier({ reviewer: registry, ...(opts.agentKeyCacheMs !== undefined ? { acceptedForMs: opts.agentKeyCacheMs } : {}) }),
    ...(oidc !== undefined ? { oidc } : {}),
  });
  const policies = new PolicyIndex({ source: registry, logger: logger.child({ part: 'policies' }) });
  const audit = new AuditSink<CallRecord>({
    persist: (batch) => registry.appendCallRecords(batch),
    // The registry refused the records themselves (400, 413, 422): no retry can fix that.
    refusedForGood: (err) => err instanceof RegistryError && [400, 413, 422].includes(err.status),
    // Records are bounded (governor.ts: text limits, PAYLOAD_JSON_BYTES): about 4 KiB without kept
    // payloads, 20 KiB with. Weighing them so lets 1,000 small ones (the registry's most per append)
    // share one request and one commit, while 200 large ones still fit one 8 MiB append.
    batchSize: 1_000,
    weightOf: (r) => (r.arguments !== undefined || r.result !== undefined ? 5 : 1),
    maxBatchWeight: 1_000,
    // Call records are built from fixed fields, and kept payloads are redacted before
    // they are recorded (redactPayload): the process's wildcard redaction would only
    // triple the cost of every line (2.7 µs → 7.7 µs here) without hiding anything.
    logger: logger.child({ part: 'audit' }, { redact: { paths: [], censor: '' } }),
    ...(opts.auditFailClosedAfterMs !== undefined ? { failClosedAfterMs: opts.auditFailClosedAfterMs } : {}),
    ...(opts.auditMaxBuffered !== undefined ? { maxBuffered: opts.auditMaxBuffered } : {}),
  });
  const metrics = opts.metrics ? createGatewayMetrics(opts.metrics, () => audit.buffered) : undefined;
  const governor = new Governor({
    authenticator,
    policies,
    limiter: new RateLimiter(),
    audit,
    approvals: registry,
    ...(metrics ? { metrics } : {}),
    logger,
    resourceMetadataUrl: () => resourceMetadataUrl(publicUrl()),
    defaultRateLimit: opts.defaultRateLimit ?? { requestsPerMinute: 600, burst: 100 },
    defaultServerRateLimit: opts.defaultServerRateLimit ?? { requestsPerMinute: 300, burst: 50 },
  });
  let metadata: string | undefined;

  function serveSpecial(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): boolean {
    if (pathname === PROTECTED_RESOURCE_PATH || pathname.startsWith(`${PROTECTED_RESOURCE_PATH}/`)) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end((metadata ??= JSON.stringify(protectedResourceMetadata(publicUrl(), opts.oidc ? [opts.oidc.issuer] : []))));
      return true;
    }
    if (pathname !== '/v1/discovery' && pathname !== '/v0.1/servers') return false;
    serveDiscovery(req, res, pathname, query).catch((err: unknown) => {
      // Never an unhandled rejection (which ends the process) nor a request left hanging.
      logger.error({ err, path: pathname }, 'answering discovery failed');
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(jsonRpcErrorBody(-32603, `the gateway failed to answer ${pathname}`, null));
      }
    });
    return true;
  }

  async function serveDiscovery(req: IncomingMessage, res: ServerResponse, pathname: string, query: string): Promise<void> {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' });
      res.end(jsonRpcErrorBody(GatewayErrorCode.InvalidRequest, `${pathname} answers GET only`, null));
      return;
    }
    const auth = await authenticator.authenticate(req.headers.authorization, query);
    if (!auth.ok) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth.refusal.status === 401) headers['www-authenticate'] = wwwAuthenticate(resourceMetadataUrl(publicUrl()), { error: auth.refusal.error, description: auth.refusal.description });
      res.writeHead(auth.refusal.status, headers);
      res.end(jsonRpcErrorBody(GatewayErrorCode.Unauthenticated, auth.refusal.description, null));
      return;
    }
    const who = auth.identity;
    const params = new URLSearchParams(query);
    const routes = opts.routeTable.routes();
    const found = discover(routes, policies.grantsOf(who), who.kind === 'anonymous', publicUrl(), params.get(pathname === '/v1/discovery' ? 'q' : 'search') ?? undefined);
    let body: unknown;
    if (pathname === '/v1/discovery') body = { servers: found };
    else {
      const limit = Math.min(100, Math.max(1, Number(params.get('limit') ?? 30) || 30));
      body = registryListing(found, new Map(routes.map((r) => [r.name, r.server])), { limit, cursor: params.get('cursor') ?? undefined });
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  return {
    governor,
    serveSpecial,
    synced: () => policies.synced(),
    async close() {
      await policies.stop();
      oidc?.close();
      return audit.close();
    },
  };
}
