/**
 * The CDK app in infra/ (issue 16): every environment synthesises offline, with cdk-nag's
 * AwsSolutions pack on (an unacknowledged finding stops synthesis), and the templates hold
 * what matters: tasks in private subnets, TLS only, a private database, tag-conditioned writes
 * for the reconciler, no `*` on writes, log retention, WAF attached, deletion protection in
 * production, secrets only through `secrets`. Synthesises each environment once and reuses it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBerthStacks, SETTINGS_CONTEXT } from '../infra/lib/app.ts';
import { DOCDB_CA_URL } from '../infra/lib/container-commands.ts';
import { MANAGED_BY_TAG, UNTAGGED_WRITE_EXCEPTIONS, WILDCARD_WRITE_EXCEPTIONS } from '../infra/lib/reconciler-policy.ts';
import { readEnvironmentSettings, SettingsError } from '../infra/lib/settings.ts';
import { parseToken } from '../src/client/tokens.ts';
import { loadEcsEnvironment } from '../src/cli/ecs-wiring.ts';
import { readSessionKeyFile } from '../src/cli/session-key-file.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../infra/cdk.json', import.meta.url), 'utf8')) as { app: string; context: Record<string, unknown> };
const context = cdkJson.context;
type Json = Record<string, any>;

const outdirs: string[] = [];
function newApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'berth-cdk-'));
  outdirs.push(outdir);
  return new App({ outdir, context });
}

let templates: Record<string, Template>;
let raw: Record<string, Json>;

beforeAll(() => {
  const app = newApp();
  addBerthStacks(app);
  const assembly = app.synth(); // throws when cdk-nag reports an unacknowledged finding
  templates = {};
  raw = {};
  for (const stack of assembly.stacks) {
    raw[stack.stackName] = stack.template as Json;
    templates[stack.stackName] = Template.fromJSON(stack.template as Json);
    const counts: Record<string, number> = {};
    for (const r of Object.values(stack.template.Resources as Json)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    const size = JSON.stringify(stack.template).length;
    console.info(`${stack.stackName}: template ${(size / 1024).toFixed(1)} KiB, ${Object.values(counts).reduce((a, b) => a + b, 0)} resources (${Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t.replace('AWS::', '')} ${n}`).join(', ')})`);
  }
}, 120_000);

afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

const ENVS = ['dev', 'staging', 'production'] as const;
const resources = (env: string, type: string): Array<[string, Json]> => Object.entries(raw[`Berth-${env}`]!.Resources as Json).filter(([, r]) => r.Type === type) as Array<[string, Json]>;
const one = (env: string, type: string): [string, Json] => {
  const all = resources(env, type);
  expect(all, `${type} in Berth-${env}`).toHaveLength(1);
  return all[0]!;
};
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const isRead = (action: string) => /^[a-z0-9-]+:(Describe|List|Get)/.test(action) && action !== 'secretsmanager:GetSecretValue' ? true : action === 'secretsmanager:GetSecretValue' || action === 'ssm:GetParameter' || action === 'ssm:GetParameters';

describe('infra: the CDK app', () => {
  it('cdk.json runs bin/berth.ts with the repository Node (from infra/)', () => {
    expect(cdkJson.app).toBe('../node_modules/.bin/node bin/berth.ts');
  });

  it('synthesises every environment, CloudFront mode adding a us-east-1 stack', () => {
    expect(Object.keys(templates).sort()).toEqual(['Berth-dev', 'Berth-production', 'Berth-production-Edge', 'Berth-staging']);
  });

  it('runs the roles as `berth registry|reconciler|gateway` with (≥2, 2, ≥2) tasks in private subnets, no public IP', () => {
    for (const env of ENVS) {
      const services = resources(env, 'AWS::ECS::Service');
      expect(services).toHaveLength(3);
      const subnetIds = new Set<string>();
      for (const [, svc] of services) {
        const net = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
        expect(net.AssignPublicIp).toBe('DISABLED');
        for (const sn of net.Subnets) subnetIds.add(JSON.stringify(sn));
        expect(svc.Properties.DesiredCount).toBeGreaterThanOrEqual(2);
        expect(svc.Properties.DeploymentConfiguration.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
      }
      for (const id of subnetIds) {
        if (env === 'staging') expect(['"subnet-0aaa1111bbbb2222c"', '"subnet-0ddd3333eeee4444f"']).toContain(id);
        else expect(id).toMatch(/privateSubnet\dSubnet/);
      }
      // Start order: DocumentDB instances → registry → reconciler and gateway (each exits when what it needs does not answer).
      const byName = Object.fromEntries(services.map(([id, svc]) => [svc.Properties.ServiceName, { id, deps: asList<string>(svc.DependsOn ?? []) }]));
      expect(byName['berth-registry']!.deps.some((d: string) => /^DatabaseInstance/.test(d))).toBe(true);
      expect(byName['berth-reconciler']!.deps).toContain(byName['berth-registry']!.id);
      expect(byName['berth-gateway']!.deps).toContain(byName['berth-registry']!.id);
      const commands = resources(env, 'AWS::ECS::TaskDefinition').map(([, t]) => t.Properties.ContainerDefinitions[0].Command[0] as string);
      expect(commands.map((c) => /exec berth (\w+)/.exec(c)?.[1]).sort()).toEqual(['gateway', 'reconciler', 'registry']);
      expect(commands.find((c) => c.includes('berth reconciler'))).toContain(`--provider ecs --environment '${env}'`);
      expect(commands.find((c) => c.includes('berth registry'))).toContain(`--logs-provider ecs --environment '${env}' --config /tmp/berth/environments.yaml`);
      expect(commands.find((c) => c.includes('berth gateway'))).toContain('--session-key-file /tmp/berth/session-keys');
    }
  });

  it('is TLS only: HTTPS listeners with a modern policy, HTTP only redirects, certificates DNS-validated in the same deploy, DocumentDB requires TLS', () => {
    for (const env of ENVS) {
      const listeners = resources(env, 'AWS::ElasticLoadBalancingV2::Listener');
      expect(listeners.length).toBe(3); // gateway HTTPS + HTTP redirect, servers HTTPS
      for (const [, l] of listeners) {
        if (l.Properties.Protocol === 'HTTPS') expect(l.Properties.SslPolicy).toMatch(/^ELBSecurityPolicy-TLS13/);
        else {
          expect(l.Properties.Protocol).toBe('HTTP');
          expect(l.Properties.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]);
        }
      }
      for (const [, c] of resources(env, 'AWS::CertificateManager::Certificate')) {
        expect(c.Properties.ValidationMethod).toBe('DNS');
        for (const o of c.Properties.DomainValidationOptions) expect(o.HostedZoneId).toMatch(/^Z/);
      }
      expect(one(env, 'AWS::DocDB::DBClusterParameterGroup')[1].Properties.Parameters.tls).toBe('enabled');
      expect(one(env, 'AWS::DocDB::DBCluster')[1].Properties.StorageEncrypted).toBe(true);
    }
    templates['Berth-production-Edge']!.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: { ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' }, DefaultCacheBehavior: { ViewerProtocolPolicy: 'https-only' } },
    });
  });

  it('keeps the database private: reachable only from the registry security group, with backups', () => {
    for (const env of ENVS) {
      const [, cluster] = one(env, 'AWS::DocDB::DBCluster');
      expect(cluster.Properties.BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
      const sgRef = cluster.Properties.VpcSecurityGroupIds[0]['Fn::GetAtt'][0] as string;
      const ingress = [
        ...resources(env, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties).filter((p) => p.GroupId?.['Fn::GetAtt']?.[0] === sgRef),
        ...(raw[`Berth-${env}`]!.Resources[sgRef].Properties.SecurityGroupIngress ?? []),
      ];
      expect(ingress).toHaveLength(1);
      expect(ingress[0].CidrIp).toBeUndefined();
      expect(ingress[0].SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/^RegistrySg/);
      const subnets = one(env, 'AWS::DocDB::DBSubnetGroup')[1].Properties.SubnetIds.map((s: unknown) => JSON.stringify(s));
      for (const s of subnets) expect(s).toMatch(env === 'staging' ? /subnet-0(aaa|ddd)/ : /privateSubnet/);
    }
  });

  it('gives the reconciler tag-conditioned writes only, and no policy a `*` resource on writes but the documented exceptions', () => {
    for (const env of ENVS) {
      const policies = resources(env, 'AWS::IAM::Policy');
      const reconciler = policies.find(([id]) => id.startsWith('ReconcilerTaskTaskRoleDefaultPolicy'));
      expect(reconciler, 'the reconciler task role policy').toBeDefined();
      let writes = 0;
      for (const st of reconciler![1].Properties.PolicyDocument.Statement as Json[]) {
        expect(st.Effect).toBe('Allow');
        for (const action of asList<string>(st.Action)) {
          if (isRead(action)) continue;
          writes++;
          if (action in UNTAGGED_WRITE_EXCEPTIONS) {
            if (action !== 'ecs:DeregisterTaskDefinition') expect(Object.keys(st.Condition ?? {}), `${action} is scoped by a condition`).not.toHaveLength(0);
            continue;
          }
          const keys = Object.values(st.Condition ?? {}).flatMap((c) => Object.entries(c as Json));
          const tagged = keys.find(([k]) => k === `aws:RequestTag/${MANAGED_BY_TAG}` || k === `aws:ResourceTag/${MANAGED_BY_TAG}`);
          expect(tagged, `${st.Sid}: ${action} has a ${MANAGED_BY_TAG} tag condition`).toBeDefined();
          expect(tagged![1]).toBe(readEnvironmentSettings(context[SETTINGS_CONTEXT], env).installationId);
        }
      }
      expect(writes).toBeGreaterThanOrEqual(15);
      for (const [id, p] of policies) {
        for (const st of p.Properties.PolicyDocument.Statement as Json[]) {
          if (!asList(st.Resource).includes('*')) continue;
          for (const action of asList<string>(st.Action)) {
            const allowed = isRead(action) || action in WILDCARD_WRITE_EXCEPTIONS || action === 'ecr:GetAuthorizationToken';
            expect(allowed, `${id}: ${action} on *`).toBe(true);
          }
        }
      }
    }
  });

  it("offers berth logs --provider ecs a read policy: logs:FilterLogEvents on the servers' log group only, given of Berth's own roles to the registry's alone (its dashboard)", () => {
    for (const env of ENVS) {
      const [policyId, policy] = one(env, 'AWS::IAM::ManagedPolicy');
      const statements = policy.Properties.PolicyDocument.Statement as Json[];
      const byAction = Object.fromEntries(statements.map((st) => [asList<string>(st.Action).join(','), st]));
      expect(Object.keys(byAction).sort()).toEqual(['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'logs:FilterLogEvents']);
      const [groupId] = resources(env, 'AWS::Logs::LogGroup').find(([, g]) => g.Properties.LogGroupName === `/berth/${env}/servers`)!;
      expect(byAction['logs:FilterLogEvents']!.Resource).toEqual({ 'Fn::GetAtt': [groupId, 'Arn'] });
      expect(JSON.stringify(byAction['ecs:DescribeServices']!.Resource)).toMatch(/service\/",\{"Ref":"ServersCluster[0-9A-F]+"\},"\/berth-\*"/);
      const [, registryTask] = resources(env, 'AWS::ECS::TaskDefinition').find(([, t]) => (t.Properties.ContainerDefinitions[0].Command[0] as string).includes('exec berth registry'))!;
      const registryRoleId = registryTask.Properties.TaskRoleArn['Fn::GetAtt'][0] as string;
      expect(policy.Properties.Roles, "attached to the registry's task role only").toEqual([{ Ref: registryRoleId }]);
      for (const [id, p] of resources(env, 'AWS::IAM::Policy')) expect(JSON.stringify(p.Properties.PolicyDocument), id).not.toContain('logs:FilterLogEvents');
      expect(raw[`Berth-${env}`]!.Outputs.ServerLogsReadPolicyArn.Value).toEqual({ Ref: policyId });
    }
  });

  it('sets retention on every log group, exports DocumentDB logs, and counts reconcile errors and audit failures', () => {
    for (const env of ENVS) {
      const groups = resources(env, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThanOrEqual(6);
      for (const [id, g] of groups) expect(g.Properties.RetentionInDays, id).toBe(readEnvironmentSettings(context[SETTINGS_CONTEXT], env).logRetentionDays);
      const filters = resources(env, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties.MetricTransformations[0].MetricName).sort();
      expect(filters).toEqual(['AuditSinkFailures', 'ReconcileErrors']);
      const alarms = resources(env, 'AWS::CloudWatch::Alarm').map(([id]) => id.replace(/[A-F0-9]{8}$/, ''));
      expect(alarms.sort()).toEqual(['AuditSinkFailures', 'Http5xxRate', 'ReconcileErrors', 'Unhealthygateway', 'Unhealthyregistry']);
    }
  });

  it('attaches a web ACL with managed rule groups and a rate limit to the gateway ALB (and to CloudFront)', () => {
    for (const env of ENVS) {
      const [aclId, acl] = one(env, 'AWS::WAFv2::WebACL');
      expect(acl.Properties.Scope).toBe('REGIONAL');
      const rules = acl.Properties.Rules as Json[];
      // Behind CloudFront every request comes from CloudFront's addresses: the ALB's limit counts the client's.
      expect(rules.find((r) => r.Statement.RateBasedStatement)?.Statement.RateBasedStatement.AggregateKeyType).toBe(env === 'production' ? 'FORWARDED_IP' : 'IP');
      expect(rules.filter((r) => r.Statement.ManagedRuleGroupStatement).map((r) => r.Name)).toContain('AWSManagedRulesCommonRuleSet');
      const [, assoc] = one(env, 'AWS::WAFv2::WebACLAssociation');
      expect(assoc.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(assoc.Properties.ResourceArn.Ref).toMatch(/^Alb/);
    }
    const edge = raw['Berth-production-Edge']!.Resources as Json;
    const edgeAcl = Object.entries(edge).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL')!;
    expect(edgeAcl[1].Properties.Scope).toBe('CLOUDFRONT');
    expect((edgeAcl[1].Properties.Rules as Json[]).find((r) => r.Statement.RateBasedStatement)?.Statement.RateBasedStatement.AggregateKeyType).toBe('IP');
    templates['Berth-production-Edge']!.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: { WebACLId: { 'Fn::GetAtt': [edgeAcl[0], 'Arn'] } } });
  });

  it('exposes the gateway in the configured mode: internal ALB, public ALB, CloudFront in front', () => {
    const scheme = (env: string) => resources(env, 'AWS::ElasticLoadBalancingV2::LoadBalancer').map(([id, lb]) => [id.replace(/[A-F0-9]{8}$/, ''), lb.Properties.Scheme]);
    expect(scheme('dev')).toEqual(expect.arrayContaining([['Alb', 'internal'], ['ServersAlb', 'internal']]));
    expect(scheme('staging')).toEqual(expect.arrayContaining([['Alb', 'internet-facing'], ['ServersAlb', 'internal']]));
    expect(scheme('production')).toEqual(expect.arrayContaining([['Alb', 'internet-facing'], ['ServersAlb', 'internal']]));
    templates['Berth-production-Edge']!.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'mcp.acme.example.', Type: 'A' });
    templates['Berth-production']!.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'origin.acme.example.', Type: 'A' });
    templates['Berth-dev']!.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'mcp.dev.acme.example.', Type: 'A' });
  });

  it('protects production from deletion and keeps its data; dev and staging can be torn down', () => {
    const prod = raw['Berth-production']!.Resources as Json;
    const kinds = ['AWS::DocDB::DBCluster', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret', 'AWS::S3::Bucket'];
    for (const r of Object.values(prod).filter((r) => kinds.includes(r.Type))) expect(r.DeletionPolicy, r.Type).toBe('Retain');
    expect(one('production', 'AWS::DocDB::DBCluster')[1].Properties.DeletionProtection).toBe(true);
    for (const [, lb] of resources('production', 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      expect(lb.Properties.LoadBalancerAttributes).toEqual(expect.arrayContaining([{ Key: 'deletion_protection.enabled', Value: 'true' }]));
    }
    expect(one('dev', 'AWS::DocDB::DBCluster')[1].Properties.DeletionProtection).toBe(false);
    expect(one('dev', 'AWS::DocDB::DBCluster')[1].DeletionPolicy).toBe('Snapshot');
  });

  it('passes secrets only through `secrets`, never in a task definition plain environment', () => {
    for (const env of ENVS) {
      const secretIds = new Set(resources(env, 'AWS::SecretsManager::Secret').map(([id]) => id));
      const attachments = new Set(resources(env, 'AWS::SecretsManager::SecretTargetAttachment').map(([id]) => id));
      for (const [id, task] of resources(env, 'AWS::ECS::TaskDefinition')) {
        const c = task.Properties.ContainerDefinitions[0];
        for (const e of c.Environment as Json[]) {
          expect(e.Name, `${id} ${e.Name}`).not.toMatch(/PASSWORD|TOKEN|SECRET|SESSION_KEY/);
          const text = JSON.stringify(e.Value);
          expect(text).not.toContain('resolve:secretsmanager');
          for (const s of [...secretIds, ...attachments]) expect(text, `${id} ${e.Name}`).not.toContain(`"${s}"`);
        }
        expect(c.Secrets.length, id).toBeGreaterThanOrEqual(2);
        expect(c.ReadonlyRootFilesystem).toBe(true);
      }
    }
  });
});

describe('infra: cdk-nag, settings, rooms', () => {
  it('infra/ imports nothing from src/ and reads no environment variable (it deploys Berth, it is not part of it)', () => {
    const root = new URL('../infra/', import.meta.url);
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('cdk.out') && !f.startsWith('node_modules'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const text = readFileSync(new URL(f, root), 'utf8');
      expect(text, f).not.toMatch(/from '\.\.\/(\.\.\/)*src\//);
      expect(text, f).not.toMatch(/\bprocess\.env\b/);
    }
  });

  it('stops synthesis on an unacknowledged AwsSolutions finding', () => {
    const app = newApp();
    const [dev] = addBerthStacks(app, 'dev');
    new s3.Bucket(dev!, 'Unencrypted', { enforceSSL: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  }, 60_000);

  it('refuses a wrong setting, naming the environment and the field', () => {
    const ctx = structuredClone(context[SETTINGS_CONTEXT]) as Json;
    ctx.staging.network.privateSubnetIds = ['subnet-zzz'];
    expect(() => readEnvironmentSettings(ctx, 'staging')).toThrow(SettingsError);
    expect(() => readEnvironmentSettings(ctx, 'staging')).toThrow(/berth:environments\.staging\.network\.privateSubnetIds/);
    expect(() => readEnvironmentSettings(context[SETTINGS_CONTEXT], 'qa')).toThrow(/expected one of dev, staging, production/);
    const outside = structuredClone(context[SETTINGS_CONTEXT]) as Json;
    outside.dev.gatewayHost = 'mcp.elsewhere.example';
    outside.staging.logRetentionDays = 42;
    expect(() => readEnvironmentSettings(outside, 'staging')).toThrow(/logRetentionDays: CloudWatch Logs accepts/);
    expect(() => readEnvironmentSettings(outside, 'dev')).toThrow(/not inside the hosted zone dev\.acme\.example/);
  });
});

/**
 * What each container runs, run: the task definition's own `sh` script (from the dev template,
 * its scratch folder and CA URL pointed at a temporary folder and a local server) with the
 * variables ECS would inject, and a `berth` on PATH that records its arguments and environment.
 * The files it writes are then read by the CLI's own readers.
 */
describe('infra: the container scripts', () => {
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB (test bundle)\n-----END CERTIFICATE-----\n';
  const SECRET43 = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v';
  let work: string;
  let caServer: Server;
  let caUrl: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'berth-scripts-'));
    outdirs.push(work);
    mkdirSync(join(work, 'bin'));
    // Records what `exec berth …` received, then exits 0.
    writeFileSync(join(work, 'bin', 'berth'), '#!/bin/sh\n{ printf "ARGS %s\\n" "$*"; env; } > "$BERTH_TEST_RECORD"\n', { mode: 0o755 });
    caServer = createServer((req, res) => {
      if (req.url === '/bundle.pem') res.end(CA);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => caServer.listen(0, '127.0.0.1', r));
    caUrl = `http://127.0.0.1:${(caServer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => caServer.close(() => r())));

  /** The dev task definition of `role`: its script and its plain environment, Refs resolved to plausible values. */
  function task(role: 'Registry' | 'Reconciler' | 'Gateway'): { script: string; env: Record<string, string> } {
    const [, t] = resources('dev', 'AWS::ECS::TaskDefinition').find(([id]) => id.startsWith(`${role}Task`))!;
    const c = t.Properties.ContainerDefinitions[0];
    const env = Object.fromEntries((c.Environment as Json[]).map((e) => [e.Name, resolveCfn(e.Value, raw['Berth-dev']!.Resources)]));
    return { script: (c.Command[0] as string).replaceAll('/tmp/berth', join(work, role)), env };
  }

  function run(script: string, env: Record<string, string>, record: string): Promise<{ code: number | null; stderr: string; recorded: Record<string, string>; args: string }> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', script], { env: { PATH: `${join(work, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, BERTH_TEST_RECORD: record, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => {
        const lines = existsSync(record) ? readFileSync(record, 'utf8').split('\n') : [];
        const recorded = Object.fromEntries(lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        resolve({ code, stderr, recorded, args: lines.find((l) => l.startsWith('ARGS '))?.slice(5) ?? '' });
      });
    });
  }

  it('registry: composes the store URL and the bootstrap tokens, fetches the CA bundle, unsets the parts; reads the servers\' logs with the environment config the ECS provider accepts', async () => {
    const { script, env } = task('Registry');
    const injected = { BERTH_DEPLOY_DB_USERNAME: 'berth', BERTH_DEPLOY_DB_PASSWORD: 'Pw0rdNoPunct', BERTH_DEPLOY_ADMIN_TOKEN_ID: 'tok_bootstrapadm', BERTH_DEPLOY_ADMIN_TOKEN_SECRET: SECRET43, BERTH_DEPLOY_GATEWAY_TOKEN_ID: 'tok_bootstrapgwy', BERTH_DEPLOY_GATEWAY_TOKEN_SECRET: SECRET43.split('').reverse().join('') };
    const r = await run(script.replace(DOCDB_CA_URL, `${caUrl}/bundle.pem`), { ...env, ...injected }, join(work, 'registry.rec'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = join(work, 'Registry');
    expect(r.args).toBe(`registry --host 0.0.0.0 --port 7070 --state-dir ${dir}/state --store-ca ${dir}/docdb-ca.pem --logs-provider ecs --environment dev --config ${dir}/environments.yaml`);
    expect(await loadEcsEnvironment(join(dir, 'environments.yaml'), 'dev', work)).toMatchObject({ installationId: 'acme-dev', logGroup: '/berth/dev/servers' });
    expect(readFileSync(join(dir, 'docdb-ca.pem'), 'utf8')).toBe(CA);
    expect(statSync(join(dir, 'docdb-ca.pem')).mode & 0o777).toBe(0o600);
    expect(r.recorded.BERTH_STORE).toBe('mongodb://berth:Pw0rdNoPunct@docdb.example.internal:27117/berth?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false');
    expect(parseToken(r.recorded.BERTH_BOOTSTRAP_ADMIN_TOKEN!)).toEqual({ id: 'tok_bootstrapadm', secret: SECRET43 });
    expect(parseToken(r.recorded.BERTH_BOOTSTRAP_GATEWAY_TOKEN!)?.id).toBe('tok_bootstrapgwy');
    for (const name of Object.keys(injected)) expect(r.recorded[name], `${name} is unset before exec`).toBeUndefined();
  });

  it('registry: refuses to start when the CA bundle cannot be fetched, saying what the task needs', async () => {
    const { script, env } = task('Registry');
    const r = await run(script.replace(DOCDB_CA_URL, `${caUrl}/missing.pem`), env, join(work, 'registry-fail.rec'));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot fetch the DocumentDB CA bundle');
    expect(r.stderr).toContain('HTTPS egress');
    expect(existsSync(join(work, 'registry-fail.rec'))).toBe(false); // berth never ran
  });

  it('gateway: writes the session key file the CLI reads (0600) and composes its gateway token', async () => {
    const { script, env } = task('Gateway');
    const key = 'f'.repeat(32) + '0123456789abcdef0123456789abcdef';
    const r = await run(script, { ...env, BERTH_DEPLOY_SESSION_KEY: key, BERTH_DEPLOY_GATEWAY_TOKEN_ID: 'tok_bootstrapgwy', BERTH_DEPLOY_GATEWAY_TOKEN_SECRET: SECRET43 }, join(work, 'gateway.rec'));
    expect(r.code).toBe(0);
    const file = join(work, 'Gateway', 'session-keys');
    expect(r.args).toBe(`gateway --host 0.0.0.0 --port 8080 --public-url https://mcp.dev.acme.example --trusted-proxy 10.20.0.0/16 --session-key-file ${file}`);
    const read = await readSessionKeyFile(file, '--session-key-file');
    expect(read.keys).toHaveLength(1);
    expect(read.keys[0]!.toString('hex')).toBe(key);
    expect(read.readableByOthers).toBe(false);
    expect(r.recorded.BERTH_TOKEN).toBe(`berth_tok_bootstrapgwy_${SECRET43}`);
    expect(r.recorded.BERTH_SERVER).toBe('http://registry.berth-dev.internal:7070');
    for (const name of ['BERTH_DEPLOY_SESSION_KEY', 'BERTH_DEPLOY_GATEWAY_TOKEN_SECRET']) expect(r.recorded[name]).toBeUndefined();
  });

  it('reconciler: writes an environment config the ECS provider accepts, and runs --provider ecs with the admin token', async () => {
    const { script, env } = task('Reconciler');
    const r = await run(script, { ...env, BERTH_DEPLOY_ADMIN_TOKEN_ID: 'tok_bootstrapadm', BERTH_DEPLOY_ADMIN_TOKEN_SECRET: SECRET43 }, join(work, 'reconciler.rec'));
    expect(r.code).toBe(0);
    const file = join(work, 'Reconciler', 'environments.yaml');
    expect(r.args).toBe(`reconciler --provider ecs --environment dev --config ${file}`);
    const config = await loadEcsEnvironment(file, 'dev', work);
    expect(config).toMatchObject({ installationId: 'acme-dev', region: 'eu-west-1', domain: 'servers.dev.acme.example', hostedZoneId: 'Z0123456789DEVZONE00', assignPublicIp: false });
    expect(config.listeners).toHaveLength(1);
    expect(config.subnets).toHaveLength(2);
    expect(r.recorded.BERTH_TOKEN).toBe(`berth_tok_bootstrapadm_${SECRET43}`);
    expect(r.recorded.BERTH_DEPLOY_ADMIN_TOKEN_SECRET).toBeUndefined();
  });
});

/**
 * Resolves a CloudFormation value of the dev template to a plausible deployed value: what ECS
 * would hand the container. Handles the intrinsics the task definitions use.
 */
function resolveCfn(v: unknown, res: Json): string {
  if (typeof v === 'string') return v;
  const o = v as Json;
  if ('Fn::Join' in o) return (o['Fn::Join'][1] as unknown[]).map((x) => resolveCfn(x, res)).join(o['Fn::Join'][0]);
  const fake = (id: string, attr?: string): string => {
    if (id === 'AWS::Region') return 'eu-west-1';
    if (id === 'AWS::AccountId') return '123456789012';
    if (id === 'AWS::Partition') return 'aws';
    if (id === 'AWS::URLSuffix') return 'amazonaws.com';
    const type = res[id]?.Type as string;
    const hex = createHash('sha256').update(id).digest('hex');
    switch (`${type}${attr ? `.${attr}` : ''}`) {
      case 'AWS::DocDB::DBCluster.Endpoint': return 'docdb.example.internal';
      case 'AWS::ECS::Cluster.Arn': return `arn:aws:ecs:eu-west-1:123456789012:cluster/${res[id].Properties.ClusterName}`;
      case 'AWS::EC2::VPC': return `vpc-${hex.slice(0, 17)}`;
      case 'AWS::EC2::Subnet': return `subnet-${hex.slice(0, 17)}`;
      case 'AWS::EC2::SecurityGroup.GroupId': return `sg-${hex.slice(0, 17)}`;
      case 'AWS::ElasticLoadBalancingV2::Listener': return `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/servers/${hex.slice(0, 16)}/${hex.slice(16, 32)}`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName': return `internal-servers-123.eu-west-1.elb.amazonaws.com`;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer.CanonicalHostedZoneID': return 'Z32O12XQLNTSW2';
      case 'AWS::IAM::Role.Arn': return `arn:aws:iam::123456789012:role/${id}`;
      case 'AWS::Logs::LogGroup': return res[id].Properties.LogGroupName;
      default: throw new Error(`resolveCfn: no fake for ${id} (${type}) ${attr ?? 'Ref'}`);
    }
  };
  if ('Ref' in o) return fake(o.Ref);
  if ('Fn::GetAtt' in o) return fake(o['Fn::GetAtt'][0], o['Fn::GetAtt'][1]);
  throw new Error(`resolveCfn: unexpected ${JSON.stringify(o)}`);
}
