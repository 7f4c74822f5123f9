/**
 * The settings of one ECS environment (cluster, network, load balancers, DNS,
 * roles, tags) and their validation. Pure: the CLI reads the file and passes the
 * parsed YAML/JSON object here; nothing in this module touches the disk or env.
 *
 * File shape (`berth.config.yaml`):
 * ```yaml
 * environments:
 *   production:
 *     installationId: acme-prod          # written in berth:managed-by on everything
 *     region: eu-west-1
 *     clusterArn: arn:aws:ecs:eu-west-1:123456789012:cluster/berth
 *     vpcId: vpc-0abc
 *     subnets: [subnet-1, subnet-2]
 *     securityGroups: [sg-1]
 *     assignPublicIp: false
 *     listeners:                          # one per ALB shard (100 rules / target groups each)
 *       - arn: arn:aws:elasticloadbalancing:…:listener/app/berth-a/…/…
 *         dnsName: berth-a-123.eu-west-1.elb.amazonaws.com
 *         canonicalHostedZoneId: Z32O12XQLNTSW2
 *     hostedZoneId: Z0123456789        # optional: Route 53 alias records for routing.host
 *     domain: mcp.acme.example
 *     executionRoleArn: arn:aws:iam::123456789012:role/berth-task-execution
 *     taskRoleArn: arn:aws:iam::123456789012:role/berth-task
 *     logGroup: /berth/production
 *     tags: { cost-center: platform }
 *     maxRetirementsPerMinute: 50          # mass-deletion guard: retirements started per minute
 *     maxRetirementFraction: 0.5           # optional: hold retirements beyond half the fleet until an operator acts
 *     rulesPerLoadBalancer: 100            # AWS's listener-rule quota per ALB (raise only if AWS raised yours)
 *     stdioBridgeEntryPoint: [berth, bridge]  # entry point of stdio servers' containers (the image must contain it)
 * ```
 */

import { configProblems } from '../../manifest/config-check.ts';
import { BAND_WIDTH } from './rule-order.ts';

/** One ALB listener Berth may put rules on, and how to reach its load balancer. */
export interface ListenerConfig {
  arn: string;
  /** The ALB's DNS name (alias target and endpoint host when the server sets no host). */
  dnsName: string;
  /** The ALB's canonical hosted zone id (alias records need it). */
  canonicalHostedZoneId: string;
  /** Derived from the listener ARN: listeners of one ALB share its quotas. */
  loadBalancerArn: string;
}

/** Everything the ECS provider needs to know about one environment. */
export interface EcsEnvironmentConfig {
  environment: string;
  /** Identifies this Berth installation; resources tagged with another id are foreign. */
  installationId: string;
  region: string;
  clusterArn: string;
  vpcId: string;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
  listeners: ListenerConfig[];
  hostedZoneId?: string;
  /** Zone apex, without trailing dot; hosts outside it get no DNS record. */
  domain?: string;
  executionRoleArn?: string;
  taskRoleArn?: string;
  logGroup?: string;
  /** Extra tags on everything Berth creates (never overriding berth:* tags). */
  tags: Record<string, string>;
  /** Scheme of the endpoint URL written in status. Default https. */
  endpointScheme: 'http' | 'https';
  /** Target-group deregistration delay. Default 30 s (AWS's 300 s makes rollouts slow). */
  deregistrationDelaySeconds: number;
  /** At most this many retirements start per minute (mass-deletion guard, see retirement-guard.ts). Default 50. */
  maxRetirementsPerMinute: number;
  /**
   * At most this fraction (0–1) of the servers Berth managed before a prune began
   * retires in that prune (a folder emptied by mistake); the rest is held until an
   * operator raises this value (and restarts the reconciler) or applies the manifests
   * again. Absent: no fraction check, only the per-minute cap.
   */
  maxRetirementFraction?: number;
  /** Rules per load balancer Berth may fill (AWS's quota, default 100; at most 198, a priority band's width; see quota.ts). */
  rulesPerLoadBalancer: number;
  /**
   * Entry point of a stdio server's container: Berth's stdio-to-HTTP bridge, which
   * the server image must contain. Default `['berth', 'bridge']`. Bridge flags and
   * `--` follow it, then the server's command.
   */
  stdioBridgeEntryPoint: string[];
}

/** A configuration file that says something wrong; the message names the field and the fix. */
export class EcsConfigError extends Error {
  override readonly name = 'EcsConfigError';
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options);
    this.path = path;
  }
}

/**
 * Validates the `environments.<environment>` entry of a parsed config file.
 * Throws {@link EcsConfigError} naming the field and what to write instead; an
 * unknown key anywhere in the file (schemas/ecs-environment.schema.json) is an
 * error naming every such key and the known one it most likely meant.
 * @example parseEcsEnvironment(YAML.parse(text), 'production').clusterArn
 */
export function parseEcsEnvironment(file: unknown, environment: string, source = 'berth.config.yaml'): EcsEnvironmentConfig {
  // A misspelt optional key would otherwise be ignored silently and its default used.
  const unknown = configProblems('ecs-environment', file, 'unknown-keys');
  if (unknown.length > 0) {
    throw new EcsConfigError(`${source}: ${unknown[0]!.path}`, unknown.map((p, i) => (i === 0 ? p.message : `${p.path} ${p.message}`)).join('; also '));
  }
  const envs = record(file, source)['environments'];
  const all = record(envs, `${source}: environments`);
  const raw = all[environment];
  if (raw === undefined) {
    const known = Object.keys(all).join(', ') || 'none';
    throw new EcsConfigError(`${source}: environments`, `has no environment '${environment}' (found: ${known}); add environments.${environment} or pass another --environment`);
  }
  const at = `${source}: environments.${environment}`;
  const e = record(raw, at);
  const listenersRaw = e['listeners'];
  if (!Array.isArray(listenersRaw) || listenersRaw.length === 0) {
    throw new EcsConfigError(`${at}.listeners`, 'must list at least one ALB listener ({ arn, dnsName, canonicalHostedZoneId })');
  }
  const listeners = listenersRaw.map((l, i) => {
    const where = `${at}.listeners[${i}]`;
    const obj = record(l, where);
    const arn = str(obj, 'arn', where);
    return {
      arn,
      dnsName: str(obj, 'dnsName', where).replace(/\.$/, '').toLowerCase(),
      canonicalHostedZoneId: str(obj, 'canonicalHostedZoneId', where),
      loadBalancerArn: loadBalancerArnOf(arn, `${where}.arn`),
    };
  });
  const hostedZoneId = optStr(e, 'hostedZoneId', at);
  const domain = optStr(e, 'domain', at)?.replace(/\.$/, '').toLowerCase();
  if ((hostedZoneId === undefined) !== (domain === undefined)) {
    throw new EcsConfigError(at, 'hostedZoneId and domain go together: set both for DNS records, or neither');
  }
  const tags = e['tags'] === undefined ? {} : record(e['tags'], `${at}.tags`);
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new EcsConfigError(`${at}.tags.${k}`, 'must be a string');
    if (k.startsWith('berth:')) throw new EcsConfigError(`${at}.tags.${k}`, "keys starting with 'berth:' are Berth's own; choose another key");
  }
  const scheme = optStr(e, 'endpointScheme', at) ?? 'https';
  if (scheme !== 'http' && scheme !== 'https') throw new EcsConfigError(`${at}.endpointScheme`, "must be 'http' or 'https'");
  const installationId = str(e, 'installationId', at);
  if (!/^[A-Za-z0-9_.:/=+@-]{1,64}$/.test(installationId)) {
    throw new EcsConfigError(`${at}.installationId`, 'must be 1–64 characters usable in an AWS tag value (letters, digits, _ . : / = + - @)');
  }
  return {
    environment,
    installationId,
    region: str(e, 'region', at),
    clusterArn: str(e, 'clusterArn', at),
    vpcId: str(e, 'vpcId', at),
    subnets: strList(e, 'subnets', at),
    securityGroups: strList(e, 'securityGroups', at),
    assignPublicIp: e['assignPublicIp'] === undefined ? false : bool(e, 'assignPublicIp', at),
    listeners,
    ...(hostedZoneId !== undefined && domain !== undefined ? { hostedZoneId: hostedZoneId.replace(/^\/hostedzone\//, ''), domain } : {}),
    ...optional('executionRoleArn', optStr(e, 'executionRoleArn', at)),
    ...optional('taskRoleArn', optStr(e, 'taskRoleArn', at)),
    ...optional('logGroup', optStr(e, 'logGroup', at)),
    tags: tags as Record<string, string>,
    endpointScheme: scheme,
    deregistrationDelaySeconds: optInt(e, 'deregistrationDelaySeconds', at, 0, 3600) ?? 30,
    maxRetirementsPerMinute: optInt(e, 'maxRetirementsPerMinute', at, 1, 100_000) ?? 50,
    ...optional('maxRetirementFraction', optFraction(e, 'maxRetirementFraction', at)),
    // At most one priority band's width: then a band can never fill, whatever the routes (rule-order.ts).
    rulesPerLoadBalancer: optInt(e, 'rulesPerLoadBalancer', at, 1, BAND_WIDTH) ?? 100,
    stdioBridgeEntryPoint: e['stdioBridgeEntryPoint'] === undefined ? ['berth', 'bridge'] : strList(e, 'stdioBridgeEntryPoint', at),
  };
}

/** `…:listener/app/<lb>/<lb-id>/<listener-id>` → `…:loadbalancer/app/<lb>/<lb-id>`. */
export function loadBalancerArnOf(listenerArn: string, where = 'listener arn'): string {
  const m = /^(arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:)listener\/(app\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn);
  if (!m) throw new EcsConfigError(where, `'${listenerArn}' is not an Application Load Balancer listener ARN (…:listener/app/<name>/<id>/<id>)`);
  return `${m[1]}loadbalancer/${m[2]}`;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EcsConfigError(where, 'must be a mapping');
  return value as Record<string, unknown>;
}

function str(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0) throw new EcsConfigError(`${where}.${key}`, 'is required and must be a non-empty string');
  return v;
}

function optStr(obj: Record<string, unknown>, key: string, where: string): string | undefined {
  return obj[key] === undefined ? undefined : str(obj, key, where);
}

function strList(obj: Record<string, unknown>, key: string, where: string): string[] {
  const v = obj[key];
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw new EcsConfigError(`${where}.${key}`, 'is required and must be a non-empty list of strings');
  }
  return v as string[];
}

function bool(obj: Record<string, unknown>, key: string, where: string): boolean {
  const v = obj[key];
  if (typeof v !== 'boolean') throw new EcsConfigError(`${where}.${key}`, 'must be true or false');
  return v;
}

function optFraction(obj: Record<string, unknown>, key: string, where: string): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v > 0) || v > 1) throw new EcsConfigError(`${where}.${key}`, 'must be a number above 0 and at most 1 (e.g. 0.5: refuse when over half the servers retire at once)');
  return v;
}

function optInt(obj: Record<string, unknown>, key: string, where: string, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new EcsConfigError(`${where}.${key}`, `must be a whole number from ${min} to ${max}`);
  return v;
}
