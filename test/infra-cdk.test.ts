/**
 * The CDK app in infra/ (issue 16): every environment synthesises offline, with cdk-nag's
 * AwsSolutions pack on (an unacknowledged finding stops synthesis), and the templates hold
 * what matters: tasks in private subnets, TLS only, a private database, tag-conditioned writes
 * for the reconciler, no `*` on writes, log retention, WAF attached, deletion protection in
 * production, secrets only through `secrets`. Synthesises each environment once and reuses it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addBerthStacks, SETTINGS_CONTEXT } from '../infra/lib/app.ts';
import { MANAGED_BY_TAG, UNTAGGED_WRITE_EXCEPTIONS, WILDCARD_WRITE_EXCEPTIONS } from '../infra/lib/reconciler-policy.ts';
import { readEnvironmentSettings, SettingsError } from '../infra/lib/settings.ts';

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
      expect(byName['berth-registry']!.deps.some((d) => /^DatabaseInstance/.test(d))).toBe(true);
      expect(byName['berth-reconciler']!.deps).toContain(byName['berth-registry']!.id);
      expect(byName['berth-gateway']!.deps).toContain(byName['berth-registry']!.id);
      const commands = resources(env, 'AWS::ECS::TaskDefinition').map(([, t]) => t.Properties.ContainerDefinitions[0].Command[0] as string);
      expect(commands.map((c) => /exec berth (\w+)/.exec(c)?.[1]).sort()).toEqual(['gateway', 'reconciler', 'registry']);
      expect(commands.find((c) => c.includes('berth reconciler'))).toContain(`--provider ecs --environment '${env}'`);
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
      expect(rules.some((r) => r.Statement.RateBasedStatement?.AggregateKeyType === 'IP')).toBe(true);
      expect(rules.filter((r) => r.Statement.ManagedRuleGroupStatement).map((r) => r.Name)).toContain('AWSManagedRulesCommonRuleSet');
      const [, assoc] = one(env, 'AWS::WAFv2::WebACLAssociation');
      expect(assoc.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(assoc.Properties.ResourceArn.Ref).toMatch(/^Alb/);
    }
    const edge = raw['Berth-production-Edge']!.Resources as Json;
    const edgeAcl = Object.entries(edge).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL')!;
    expect(edgeAcl[1].Properties.Scope).toBe('CLOUDFRONT');
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
