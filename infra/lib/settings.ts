/**
 * The settings of one Berth environment on AWS, read from the CDK context key
 * `berth:environments` (in `infra/cdk.json`, or `-c` on the command line) and
 * checked here, so a wrong value fails `cdk synth` naming the field, before
 * anything reaches CloudFormation.
 *
 * @example
 * const s = readEnvironmentSettings(app.node.tryGetContext('berth:environments'), 'production');
 */

/** The environments Berth knows (they are also the manifests' `spec.environment` values). */
export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
/** One of {@link ENVIRONMENTS}. */
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/**
 * How agents reach the gateway: `internal` (an internal ALB, reachable from the VPC and
 * what is peered or connected to it), `public` (an internet-facing ALB), or `cloudfront`
 * (CloudFront in front of an internet-facing ALB; a second stack in us-east-1 holds the
 * distribution, its certificate and its web ACL).
 */
export type Exposure = 'internal' | 'public' | 'cloudfront';

/** A new VPC (`cidr`, NAT gateways) or an existing one (`vpcId` with its subnets). */
export interface NetworkSettings {
  /** The VPC's CIDR: of the new VPC, or of the existing one (the gateway trusts proxies in it). */
  cidr: string;
  /** NAT gateways of a new VPC (tasks in private subnets reach ECR, AWS APIs and servers through them). */
  natGateways?: number;
  /** An existing VPC: its id, two or more AZs and the subnet ids in them. */
  vpcId?: string;
  availabilityZones?: string[];
  privateSubnetIds?: string[];
  publicSubnetIds?: string[];
}

/** Everything one environment needs; see `infra/cdk.json` for an example of each. */
export interface EnvironmentSettings {
  name: EnvironmentName;
  /** AWS account; absent = the account of the credentials `cdk deploy` runs with. */
  account?: string;
  region: string;
  /** `berth:managed-by` on everything the reconciler creates (the ECS provider's `installationId`). */
  installationId: string;
  /** The Route 53 public hosted zone the names below live in. */
  hostedZoneId: string;
  zoneName: string;
  /** The gateway's name (default `mcp.<zoneName>`). */
  gatewayHost: string;
  /** The registry API's name (default `registry.<zoneName>`), for `berth apply` from pipelines. */
  registryHost: string;
  /** Domain under which the teams' servers get names (default `servers.<zoneName>`). */
  serversDomain: string;
  exposure: Exposure;
  /** The Berth image: an ECR repository in this account and region, and a tag. */
  image: { repository: string; tag: string };
  network: NetworkSettings;
  database: { instances: number; instanceType: string };
  gateway: { minTasks: number; maxTasks: number };
  /** Requests per 5 minutes from one address before the web ACL blocks it. */
  rateLimitPer5Minutes: number;
  logRetentionDays: number;
  /** Where alarm notifications go (an SNS email subscription); none = the topic only. */
  alarmEmail?: string;
  /** Production: deletion protection, retained data, termination protection. */
  production: boolean;
}

/** A setting that is missing or wrong; the message names the environment and the field. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Raw = Record<string, unknown>;

function obj(v: unknown, where: string): Raw {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SettingsError(`${where}: expected an object`);
  return v as Raw;
}
function str(r: Raw, key: string, where: string, pattern?: RegExp): string {
  const v = r[key];
  if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) throw new SettingsError(`${where}.${key}: expected ${pattern ? `a string matching ${pattern}` : 'a non-empty string'}, got ${JSON.stringify(v)}`);
  return v;
}
function optStr(r: Raw, key: string, where: string, pattern?: RegExp): string | undefined {
  return r[key] === undefined ? undefined : str(r, key, where, pattern);
}
function int(r: Raw, key: string, where: string, min: number, max: number, dflt?: number): number {
  const v = r[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new SettingsError(`${where}.${key}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
}
function strList(r: Raw, key: string, where: string, pattern: RegExp, minLength: number): string[] {
  const v = r[key];
  if (!Array.isArray(v) || v.length < minLength || !v.every((x) => typeof x === 'string' && pattern.test(x))) throw new SettingsError(`${where}.${key}: expected at least ${minLength} strings matching ${pattern}`);
  return v as string[];
}

/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/**
 * Reads and checks the settings of `name` from the `berth:environments` context value.
 * @throws SettingsError naming the field when a setting is missing or malformed
 */
export function readEnvironmentSettings(context: unknown, name: string): EnvironmentSettings {
  if (!(ENVIRONMENTS as readonly string[]).includes(name)) throw new SettingsError(`environment "${name}": expected one of ${ENVIRONMENTS.join(', ')} (-c environment=production)`);
  const all = obj(context, 'context berth:environments (infra/cdk.json)');
  const where = `berth:environments.${name}`;
  const r = obj(all[name], where);
  const zoneName = str(r, 'zoneName', where, HOST);
  const exposure = str(r, 'exposure', where, /^(internal|public|cloudfront)$/) as Exposure;
  const net = obj(r.network, `${where}.network`);
  const nw = `${where}.network`;
  const network: NetworkSettings = { cidr: str(net, 'cidr', nw, CIDR) };
  if (net.vpcId !== undefined) {
    network.vpcId = str(net, 'vpcId', nw, /^vpc-[0-9a-f]{8,17}$/);
    network.availabilityZones = strList(net, 'availabilityZones', nw, /^[a-z]{2}-[a-z]+-\d[a-z]$/, 2);
    network.privateSubnetIds = strList(net, 'privateSubnetIds', nw, /^subnet-[0-9a-f]{8,17}$/, network.availabilityZones.length);
    network.publicSubnetIds = exposure === 'internal' && net.publicSubnetIds === undefined ? [] : strList(net, 'publicSubnetIds', nw, /^subnet-[0-9a-f]{8,17}$/, network.availabilityZones.length);
  } else {
    network.natGateways = int(net, 'natGateways', nw, 1, 3, 1);
  }
  const image = obj(r.image, `${where}.image`);
  const database = obj(r.database ?? {}, `${where}.database`);
  const gateway = obj(r.gateway ?? {}, `${where}.gateway`);
  const production = name === 'production';
  const settings: EnvironmentSettings = {
    name: name as EnvironmentName,
    region: str(r, 'region', where, /^[a-z]{2}(-gov)?-[a-z]+-\d$/),
    installationId: str(r, 'installationId', where, /^[a-z0-9][a-z0-9-]{0,62}$/),
    hostedZoneId: str(r, 'hostedZoneId', where, /^Z[A-Z0-9]{1,31}$/),
    zoneName,
    gatewayHost: optStr(r, 'gatewayHost', where, HOST) ?? `mcp.${zoneName}`,
    registryHost: optStr(r, 'registryHost', where, HOST) ?? `registry.${zoneName}`,
    serversDomain: optStr(r, 'serversDomain', where, HOST) ?? `servers.${zoneName}`,
    exposure,
    image: { repository: str(image, 'repository', `${where}.image`, /^[a-z0-9][a-z0-9._\/-]{0,255}$/), tag: str(image, 'tag', `${where}.image`, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/) },
    network,
    database: { instances: int(database, 'instances', `${where}.database`, 1, 16, production ? 3 : 1), instanceType: optStr(database, 'instanceType', `${where}.database`, /^[a-z0-9]+\.[a-z0-9]+$/) ?? 't4g.medium' },
    gateway: { minTasks: int(gateway, 'minTasks', `${where}.gateway`, 2, 100, 2), maxTasks: int(gateway, 'maxTasks', `${where}.gateway`, 2, 100, 6) },
    rateLimitPer5Minutes: int(r, 'rateLimitPer5Minutes', where, 100, 2_000_000_000, 3000),
    logRetentionDays: int(r, 'logRetentionDays', where, 1, 3653, production ? 365 : 30),
    production,
  };
  const account = optStr(r, 'account', where, /^\d{12}$/);
  if (account !== undefined) settings.account = account;
  const alarmEmail = optStr(r, 'alarmEmail', where, /^[^@\s]+@[^@\s]+$/);
  if (alarmEmail !== undefined) settings.alarmEmail = alarmEmail;
  if (!RETENTION_DAYS.includes(settings.logRetentionDays)) throw new SettingsError(`${where}.logRetentionDays: CloudWatch Logs accepts ${RETENTION_DAYS.join(', ')}`);
  if (settings.gateway.maxTasks < settings.gateway.minTasks) throw new SettingsError(`${where}.gateway.maxTasks: must be at least minTasks (${settings.gateway.minTasks})`);
  for (const h of [settings.gatewayHost, settings.registryHost, settings.serversDomain]) {
    if (h !== zoneName && !h.endsWith(`.${zoneName}`)) throw new SettingsError(`${where}: ${h} is not inside the hosted zone ${zoneName}; names must be in the zone so their certificates validate in the same deploy`);
  }
  return settings;
}
