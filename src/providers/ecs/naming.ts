/**
 * Deterministic names and tokens, so that a crashed reconciler and its successor
 * compute the same names for the same server and find what the other created.
 * Pure.
 */
import { createHash } from 'node:crypto';

/** Tag keys Berth writes (ECS spells them key/value, ELBv2 Key/Value). */
export const TAG = {
  managedBy: 'berth:managed-by',
  server: 'berth:server',
  /** sha256 of the rendered desired form of THIS resource, at the time Berth last wrote it. */
  specHash: 'berth:spec-hash',
  /** On the service: hash of a configuration the circuit breaker rolled back. Not redeployed while the manifest renders to it. */
  failedSpecHash: 'berth:failed-spec-hash',
  /** On a target group: the attributes (deregistration delay) Berth set after creating it. */
  attributes: 'berth:attributes',
} as const;

/** Name of the only container in a Berth task definition. */
export const CONTAINER_NAME = 'mcp';

/** First 12 hex of sha256 over the parts, joined unambiguously. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Task definition family of a server. */
export function familyName(server: string): string {
  return `berth-${server}`;
}

/** ECS service name of a server. */
export function serviceName(server: string): string {
  return `berth-${server}`;
}

/** The settings a target group can't change after creation; a change means a new group. */
export interface TargetGroupIdentity {
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
}

/**
 * `b-<name, truncated>-<6 hex>`, at most 32 characters of `[A-Za-z0-9-]`. The hash
 * covers the full server name (truncated names stay unique) and the immutable
 * fields, so changing one of them yields a new group beside the old one.
 * @example targetGroupName('weather', { protocol: 'HTTP', port: 8080, vpcId: 'vpc-1', targetType: 'ip' }) // 'b-weather-3f9a1c'
 */
export function targetGroupName(server: string, id: TargetGroupIdentity): string {
  const hash = shortHash(server, id.protocol, String(id.port), id.vpcId, id.targetType).slice(0, 6);
  const stem = server.slice(0, 32 - 2 - 1 - 6).replace(/-+$/, '');
  return `b-${stem}-${hash}`;
}

/**
 * CreateService clientToken: same server, same installation and same rendered
 * service → same token, so a create repeated after a lost response is idempotent.
 * At most 36 ASCII characters.
 */
export function serviceClientToken(installationId: string, server: string, serviceHash: string): string {
  return `berth-${shortHash(installationId, server, serviceHash).slice(0, 30)}`;
}

// Listener rule priorities are chosen by specificity, not by name: see rule-order.ts.

/** DNS name of the ownership TXT record kept beside a Berth alias record (Route 53 records can't be tagged). */
export function ownershipRecordName(host: string): string {
  return `_berth.${normaliseDnsName(host)}`;
}

/** Lower case, absolute (trailing dot), `*` as Route 53 writes it (`\052`). */
export function normaliseDnsName(name: string): string {
  let n = name.trim().toLowerCase().replaceAll('\\052', '*');
  if (!n.endsWith('.')) n += '.';
  return n.replaceAll('*', '\\052');
}

/** True when `host` is `domain` or inside it. */
export function inDomain(host: string, domain: string): boolean {
  const h = normaliseDnsName(host);
  const d = normaliseDnsName(domain);
  return h === d || h.endsWith(`.${d}`);
}
