/**
 * One environment of Berth on AWS, in one stack: the network, DocumentDB, the registry,
 * reconciler and gateway on Fargate, the gateway's load balancer with its certificate, DNS
 * records and web ACL, the resources Berth manages for teams (their cluster, an internal
 * load balancer whose listener takes the servers' rules, their roles), secrets, logs and
 * alarms. With `exposure: cloudfront` a second stack ({@link BerthEdgeStack}) puts CloudFront
 * in front of `origin.<zone>`.
 */
import { Annotations, type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { berthAlarms } from './alarms.ts';
import { gatewayCommand, reconcilerCommand, registryCommand, SCRATCH_DIR, VARS, type ShellCommand } from './container-commands.ts';
import { headerSecretArns, reconcilerStatements } from './reconciler-policy.ts';
import type { EnvironmentSettings } from './settings.ts';
import { berthWebAcl } from './waf.ts';

const REGISTRY_PORT = 7070;
const GATEWAY_PORT = 8080;
/** DocumentDB on a port other than the default (cdk-nag AwsSolutions-DOC2). */
const DOCDB_PORT = 27117;
/** Characters left out of generated passwords and token secrets: URL-safe, and a Berth token secret is [A-Za-z0-9]. */
const PUNCTUATION = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;

/** Acknowledges a cdk-nag finding on `scope`, with the reason it does not apply. */
export function acknowledge(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** What {@link BerthStack} needs. */
export interface BerthStackProps extends StackProps {
  settings: EnvironmentSettings;
}

/** One environment's control plane and the resources it manages for teams. */
export class BerthStack extends Stack {
  /** The hostname CloudFront (exposure `cloudfront`) sends requests to: an alias of the gateway's ALB. */
  readonly originHost: string;

  constructor(scope: Construct, id: string, props: BerthStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const retain = s.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retention = s.logRetentionDays as logs.RetentionDays;
    this.originHost = `origin.${s.zoneName}`;

    // ---- network: tasks and the database only in private subnets
    const vpc = this.network(s);
    const privateSubnets: ec2.SubnetSelection = { subnets: vpc.privateSubnets };
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: s.hostedZoneId, zoneName: s.zoneName });

    // ---- secrets the deploy generates
    const tokenSecret = (sid: string, tokenId: string, description: string) => {
      const secret = new secrets.Secret(this, sid, {
        secretName: `berth/${s.name}/${sid === 'AdminToken' ? 'admin-token' : 'gateway-token'}`,
        description,
        // A Berth token is berth_<id>_<secret>: the id is fixed here, the 43-character secret generated.
        generateSecretString: { secretStringTemplate: JSON.stringify({ id: tokenId }), generateStringKey: 'secret', passwordLength: 43, excludeCharacters: PUNCTUATION, includeSpace: false },
        removalPolicy: retain,
      });
      acknowledge(secret, 'AwsSolutions-SMG4', 'a Berth API token: rotate it with `berth token create` / `berth token revoke`; Secrets Manager rotation cannot revoke the old token in the registry');
      return secret;
    };
    const adminToken = tokenSecret('AdminToken', 'tok_bootstrapadm', 'Berth bootstrap admin token: berth_<id>_<secret>. The registry stores it on its first start; the reconciler uses it.');
    const gatewayToken = tokenSecret('GatewayToken', 'tok_bootstrapgwy', 'Berth gateway token: berth_<id>_<secret>. The registry stores it on its first start; the gateway uses it.');
    const sessionKey = new secrets.Secret(this, 'GatewaySessionKey', {
      secretName: `berth/${s.name}/gateway-session-key`,
      description: 'Key sealing the gateway session ids (64 hex digits = 32 bytes); every gateway replica gets it.',
      generateSecretString: { passwordLength: 64, excludeUppercase: true, excludePunctuation: true, includeSpace: false, excludeCharacters: 'ghijklmnopqrstuvwxyz' },
      removalPolicy: retain,
    });
    acknowledge(sessionKey, 'AwsSolutions-SMG4', 'rotating the session key ends every open MCP session; rotate it by hand as --session-key-file describes (add, promote, remove)');

    // ---- security groups
    const sg = (sid: string, description: string) => new ec2.SecurityGroup(this, sid, { vpc, description, allowAllOutbound: true });
    const albSg = sg('GatewayAlbSg', 'Berth gateway and registry load balancer');
    const registrySg = sg('RegistrySg', 'Berth registry tasks');
    const reconcilerSg = sg('ReconcilerSg', 'Berth reconciler tasks');
    const gatewaySg = sg('GatewaySg', 'Berth gateway tasks');
    const dbSg = sg('DatabaseSg', 'Berth DocumentDB');
    const serversAlbSg = sg('ServersAlbSg', 'Load balancer of the servers Berth runs for teams');
    const serversSg = sg('ServersSg', 'Servers Berth runs for teams');
    const clients = s.exposure === 'internal' ? ec2.Peer.ipv4(s.network.cidr) : ec2.Peer.anyIpv4();
    albSg.addIngressRule(clients, ec2.Port.tcp(443), 'HTTPS');
    albSg.addIngressRule(clients, ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    if (s.exposure !== 'internal') acknowledge(albSg, 'AwsSolutions-EC23', 'the gateway is internet-facing by choice (exposure public/cloudfront); the web ACL filters and rate-limits, and Berth authenticates every request');
    registrySg.addIngressRule(albSg, ec2.Port.tcp(REGISTRY_PORT), 'from the load balancer');
    registrySg.addIngressRule(reconcilerSg, ec2.Port.tcp(REGISTRY_PORT), 'reconciler watches the registry');
    registrySg.addIngressRule(gatewaySg, ec2.Port.tcp(REGISTRY_PORT), 'gateway watches the registry');
    gatewaySg.addIngressRule(albSg, ec2.Port.tcp(GATEWAY_PORT), 'from the load balancer');
    dbSg.addIngressRule(registrySg, ec2.Port.tcp(DOCDB_PORT), 'only the registry reaches the store');
    serversAlbSg.addIngressRule(gatewaySg, ec2.Port.tcp(443), 'gateway forwards to servers');
    serversAlbSg.addIngressRule(reconcilerSg, ec2.Port.tcp(443), 'reconciler health-checks servers');
    serversSg.addIngressRule(serversAlbSg, ec2.Port.tcpRange(1024, 65535), 'servers listen on their manifest port');

    // ---- DocumentDB: TLS required, encrypted, backed up, private, credentials in Secrets Manager
    const dbParams = new docdb.ClusterParameterGroup(this, 'DatabaseParameters', {
      family: 'docdb5.0',
      description: 'Berth: TLS required, audit logs on',
      parameters: { tls: 'enabled', audit_logs: 'enabled' },
    });
    const clusterName = `berth-${s.name}`;
    for (const kind of ['audit', 'profiler']) {
      new logs.LogGroup(this, `DatabaseLogs-${kind}`, { logGroupName: `/aws/docdb/${clusterName}/${kind}`, retention, removalPolicy: retain });
    }
    const db = new docdb.DatabaseCluster(this, 'Database', {
      dbClusterName: clusterName,
      engineVersion: '5.0.0',
      masterUser: { username: 'berth', excludeCharacters: PUNCTUATION, secretName: `berth/${s.name}/docdb` },
      instanceType: new ec2.InstanceType(s.database.instanceType),
      instances: s.database.instances,
      vpc,
      vpcSubnets: privateSubnets,
      securityGroup: dbSg,
      port: DOCDB_PORT,
      parameterGroup: dbParams,
      storageEncrypted: true,
      backup: { retention: Duration.days(s.production ? 35 : 7), preferredWindow: '02:00-03:00' },
      preferredMaintenanceWindow: 'sun:04:00-sun:05:00',
      exportAuditLogsToCloudWatch: true,
      exportProfilerLogsToCloudWatch: true,
      deletionProtection: s.production,
      removalPolicy: s.production ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    const dbSecret = db.secret!;
    (db.node.findChild('Secret') as secrets.Secret).applyRemovalPolicy(retain);
    acknowledge(db, 'AwsSolutions-DOC3', 'the registry composes its store URL at start; rotating the password means a new deploy (cdk deploy restarts the registry tasks), not a rotation Lambda');
    acknowledge(db, 'AwsSolutions-DOC5[LogExport::authenticate]', 'audit_logs is enabled in the parameter group (every event, authenticate included) and the audit log is exported to CloudWatch')
    acknowledge(db, 'AwsSolutions-DOC5[LogExport::createIndex]', 'as for authenticate: audit_logs enabled covers DDL events')
    acknowledge(db, 'AwsSolutions-DOC5[LogExport::dropCollection]', 'as for authenticate: audit_logs enabled covers DDL events')
    acknowledge(db.node.findChild('Secret'), 'AwsSolutions-SMG4', 'see AwsSolutions-DOC3 on the cluster: the password changes with a deploy');

    // ---- load balancer access logs
    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(s.logRetentionDays) }],
      removalPolicy: retain,
    });
    acknowledge(logBucket, 'AwsSolutions-S1', 'this bucket holds access logs itself; logging its own access would log the logging');

    // ---- ECS: Berth's own cluster, and the teams' cluster the reconciler manages
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, clusterName: `berth-${s.name}`, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const namespace = cluster.addDefaultCloudMapNamespace({ name: `berth-${s.name}.internal`, vpc });
    const serversCluster = new ecs.Cluster(this, 'ServersCluster', { vpc, clusterName: `berth-${s.name}-servers`, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const image = ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(this, 'Image', s.image.repository), s.image.tag);
    const registryUrl = `http://registry.${namespace.namespaceName}:${REGISTRY_PORT}`;
    const logGroup = (role: string) => new logs.LogGroup(this, `Logs-${role}`, { logGroupName: `/berth/${s.name}/${role}`, retention, removalPolicy: retain });
    const registryLogs = logGroup('registry');
    const reconcilerLogs = logGroup('reconciler');
    const gatewayLogs = logGroup('gateway');
    const serversLogs = logGroup('servers');

    // ---- the servers' load balancer (internal): its listener takes the rules the reconciler writes
    const serversCert = new acm.Certificate(this, 'ServersCertificate', { domainName: `*.${s.serversDomain}`, validation: acm.CertificateValidation.fromDns(zone) });
    const serversAlb = new elbv2.ApplicationLoadBalancer(this, 'ServersAlb', { vpc, internetFacing: false, vpcSubnets: privateSubnets, securityGroup: serversAlbSg, deletionProtection: s.production, dropInvalidHeaderFields: true });
    serversAlb.logAccessLogs(logBucket, 'servers-alb');
    const serversListener = serversAlb.addListener('ServersHttps', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      certificates: [serversCert],
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'no Berth server at this name' }),
    });

    // The teams' servers: an execution role to pull images and write logs; a task role with nothing.
    const serversExecutionRole = new iam.Role(this, 'ServersExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSTaskExecutionRolePolicy')],
    });
    acknowledge(serversExecutionRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy]', 'teams name images in any ECR repository; the AWS policy is exactly image pull and log writes');
    const serversTaskRole = new iam.Role(this, 'ServersTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), description: 'Servers run by Berth: no AWS permissions unless a platform engineer adds them' });

    // ---- task definitions and services
    const header = headerSecretArns(this, s.name);
    const berthTask = (role: string, cpu: number, memoryLimitMiB: number, logsGroup: logs.LogGroup, cmd: ShellCommand, opts: { port?: number; environment: Record<string, string>; secrets: Record<string, ecs.Secret> }) => {
      const task = new ecs.FargateTaskDefinition(this, `${role}Task`, { cpu, memoryLimitMiB, runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX } });
      task.addVolume({ name: 'scratch' });
      const container = task.addContainer('berth', {
        image,
        ...cmd,
        essential: true,
        readonlyRootFilesystem: true,
        environment: { BERTH_LOG_FORMAT: 'json', NODE_ENV: 'production', ...opts.environment },
        secrets: opts.secrets,
        logging: ecs.LogDrivers.awsLogs({ logGroup: logsGroup, streamPrefix: role.toLowerCase() }),
        stopTimeout: Duration.seconds(30),
        ...(opts.port !== undefined ? { portMappings: [{ containerPort: opts.port, name: role.toLowerCase() }] } : {}),
      });
      container.addMountPoints({ containerPath: SCRATCH_DIR, sourceVolume: 'scratch', readOnly: false });
      acknowledge(task, 'AwsSolutions-ECS2', 'the plain environment holds no secret (log format, the registry URL, the servers environment config); secrets come through `secrets` from Secrets Manager');
      acknowledge(task.executionRole!, 'AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken has no resource type in IAM (CDK grants it with the image pull)');
      return task;
    };
    const service = (role: string, task: ecs.FargateTaskDefinition, securityGroup: ec2.SecurityGroup, desiredCount: number, cloudMapName?: string) =>
      new ecs.FargateService(this, `${role}Service`, {
        cluster,
        serviceName: `berth-${role.toLowerCase()}`,
        taskDefinition: task,
        desiredCount,
        vpcSubnets: privateSubnets,
        assignPublicIp: false,
        securityGroups: [securityGroup],
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        // A new image that never becomes healthy is rolled back to the last working task definition.
        circuitBreaker: { enable: true, rollback: true },
        enableExecuteCommand: false,
        ...(cloudMapName ? { cloudMapOptions: { name: cloudMapName } } : {}),
      });

    // The servers' environment as `berth reconciler --provider ecs` and `berth registry --logs-provider ecs` read it.
    const ecsConfig = {
      environments: {
        [s.name]: {
          installationId: s.installationId,
          region: this.region,
          clusterArn: serversCluster.clusterArn,
          vpcId: vpc.vpcId,
          subnets: vpc.privateSubnets.map((n) => n.subnetId),
          securityGroups: [serversSg.securityGroupId],
          assignPublicIp: false,
          listeners: [{ arn: serversListener.listenerArn, dnsName: serversAlb.loadBalancerDnsName, canonicalHostedZoneId: serversAlb.loadBalancerCanonicalHostedZoneId }],
          hostedZoneId: s.hostedZoneId,
          domain: s.serversDomain,
          executionRoleArn: serversExecutionRole.roleArn,
          taskRoleArn: serversTaskRole.roleArn,
          logGroup: serversLogs.logGroupName,
        },
      },
    };
    // The registry serves the dashboard the servers' output from CloudWatch (--logs-provider ecs): it gets ServerLogsReadPolicy below.
    const registryTask = berthTask('Registry', 512, 1024, registryLogs, registryCommand(REGISTRY_PORT, { logsEnvironment: s.name }), {
      port: REGISTRY_PORT,
      environment: { [VARS.dbHost]: db.clusterEndpoint.hostname, [VARS.dbPort]: String(DOCDB_PORT), [VARS.ecsConfig]: this.toJsonString(ecsConfig) },
      secrets: {
        [VARS.dbUser]: ecs.Secret.fromSecretsManager(dbSecret, 'username'),
        [VARS.dbPassword]: ecs.Secret.fromSecretsManager(dbSecret, 'password'),
        [VARS.adminTokenId]: ecs.Secret.fromSecretsManager(adminToken, 'id'),
        [VARS.adminTokenSecret]: ecs.Secret.fromSecretsManager(adminToken, 'secret'),
        [VARS.gatewayTokenId]: ecs.Secret.fromSecretsManager(gatewayToken, 'id'),
        [VARS.gatewayTokenSecret]: ecs.Secret.fromSecretsManager(gatewayToken, 'secret'),
      },
    });
    const registryService = service('Registry', registryTask, registrySg, 2, 'registry');
    // The registry exits when its store does not answer, and the deployment circuit breaker
    // would count that as a failed first deploy: start it once the instances exist.
    registryService.node.addDependency(db);

    const reconcilerTask = berthTask('Reconciler', 256, 512, reconcilerLogs, reconcilerCommand(s.name), {
      environment: { BERTH_SERVER: registryUrl, [VARS.ecsConfig]: this.toJsonString(ecsConfig) },
      secrets: { [VARS.adminTokenId]: ecs.Secret.fromSecretsManager(adminToken, 'id'), [VARS.adminTokenSecret]: ecs.Secret.fromSecretsManager(adminToken, 'secret') },
    });
    for (const st of reconcilerStatements(this, {
      installationId: s.installationId,
      clusterArn: serversCluster.clusterArn,
      clusterName: serversCluster.clusterName,
      listenerArns: [serversListener.listenerArn],
      loadBalancerFullNames: [serversAlb.loadBalancerFullName],
      hostedZoneId: s.hostedZoneId,
      serversDomain: s.serversDomain,
      passRoleArns: [serversExecutionRole.roleArn, serversTaskRole.roleArn],
      headerSecretArns: header.secrets,
      headerParameterArns: header.parameters,
    })) {
      reconcilerTask.taskRole.addToPrincipalPolicy(st);
    }
    acknowledge(reconcilerTask.taskRole, 'AwsSolutions-IAM5[Resource::*]', 'ECS/ELBv2 List and Describe calls and ecs:RegisterTaskDefinition/DeregisterTaskDefinition have no resource type in IAM; every write on * carries a tag condition or is listed in WILDCARD_WRITE_EXCEPTIONS (reconciler-policy.ts)');
    for (const finding of [
      `Resource::arn:<AWS::Partition>:ecs:${this.region}:<AWS::AccountId>:service/<${this.logicalIdOf(serversCluster)}>/*`,
      `Resource::arn:<AWS::Partition>:ecs:${this.region}:<AWS::AccountId>:task-definition/*`,
      `Resource::arn:<AWS::Partition>:elasticloadbalancing:${this.region}:<AWS::AccountId>:targetgroup/*`,
      `Resource::arn:<AWS::Partition>:secretsmanager:${this.region}:<AWS::AccountId>:secret:berth/servers/${s.name}/*`,
      `Resource::arn:<AWS::Partition>:ssm:${this.region}:<AWS::AccountId>:parameter/berth/servers/${s.name}/*`,
      `Resource::arn:<AWS::Partition>:elasticloadbalancing:${this.region}:<AWS::AccountId>:listener-rule/<${this.logicalIdOf(serversAlb)}.LoadBalancerFullName>/*`,
    ]) {
      acknowledge(reconcilerTask.taskRole, `AwsSolutions-IAM5[${finding}]`, 'names of the resources Berth creates are not known in advance; writes on them are limited by the berth:managed-by tag (aws:RequestTag / aws:ResourceTag), header secrets by the berth/servers/<env>/ prefix');
    }
    // Reading the servers' output: the registry (its dashboard's log page, --logs-provider ecs) and the people who
    // run `berth logs --provider ecs` (attach it to their roles). No other Berth role reads it.
    const serverLogsRead = new iam.ManagedPolicy(this, 'ServerLogsReadPolicy', {
      description: `berth logs --provider ecs --environment ${s.name} and the registry's dashboard: read the servers' output (attach to the roles of the people who run it)`,
      roles: [registryTask.taskRole],
      statements: [
        new iam.PolicyStatement({ sid: 'ServersLogGroup', actions: ['logs:FilterLogEvents'], resources: [serversLogs.logGroupArn] }),
        new iam.PolicyStatement({ sid: 'ServersServices', actions: ['ecs:DescribeServices'], resources: [this.formatArn({ service: 'ecs', resource: 'service', resourceName: `${serversCluster.clusterName}/berth-*` })] }),
        new iam.PolicyStatement({ sid: 'TaskDefinitions', actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
      ],
    });
    acknowledge(serverLogsRead, 'AwsSolutions-IAM5[Resource::*]', 'ecs:DescribeTaskDefinition has no resource type in IAM');
    acknowledge(
      serverLogsRead,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${this.region}:<AWS::AccountId>:service/<${this.logicalIdOf(serversCluster)}>/berth-*]`,
      "servers' service names are not known in advance; reads only, in the servers' cluster, of services named berth-*",
    );
    new CfnOutput(this, 'ServerLogsReadPolicyArn', { value: serverLogsRead.managedPolicyArn, description: 'attach to the roles that run berth logs --provider ecs' });

    // Likewise the reconciler and the gateway wait for a registry that answers.
    service('Reconciler', reconcilerTask, reconcilerSg, 2).node.addDependency(registryService);

    const publicUrl = `https://${s.gatewayHost}`;
    const gatewayTask = berthTask('Gateway', 512, 1024, gatewayLogs, gatewayCommand({ port: GATEWAY_PORT, publicUrl, trustedCidr: s.network.cidr }), {
      port: GATEWAY_PORT,
      environment: { BERTH_SERVER: registryUrl },
      secrets: {
        [VARS.gatewayTokenId]: ecs.Secret.fromSecretsManager(gatewayToken, 'id'),
        [VARS.gatewayTokenSecret]: ecs.Secret.fromSecretsManager(gatewayToken, 'secret'),
        [VARS.sessionKey]: ecs.Secret.fromSecretsManager(sessionKey),
      },
    });
    gatewayTask.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ServerHeaderSecrets', actions: ['secretsmanager:GetSecretValue'], resources: header.secrets }));
    gatewayTask.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ServerHeaderParameters', actions: ['ssm:GetParameter'], resources: header.parameters }));
    for (const finding of [`Resource::arn:<AWS::Partition>:secretsmanager:${this.region}:<AWS::AccountId>:secret:berth/servers/${s.name}/*`, `Resource::arn:<AWS::Partition>:ssm:${this.region}:<AWS::AccountId>:parameter/berth/servers/${s.name}/*`]) {
      acknowledge(gatewayTask.taskRole, `AwsSolutions-IAM5[${finding}]`, 'the gateway reads the header secrets servers name, and only those under berth/servers/<env>/');
    }
    const gatewayService = service('Gateway', gatewayTask, gatewaySg, s.gateway.minTasks);
    gatewayService.node.addDependency(registryService);
    const scaling = gatewayService.autoScaleTaskCount({ minCapacity: s.gateway.minTasks, maxCapacity: s.gateway.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });

    // ---- the gateway's load balancer: HTTPS only (HTTP redirects), certificate validated in this deploy
    const albNames = [s.gatewayHost, s.registryHost, ...(s.exposure === 'cloudfront' ? [this.originHost] : [])];
    const certificate = new acm.Certificate(this, 'Certificate', { domainName: albNames[0]!, subjectAlternativeNames: albNames.slice(1), validation: acm.CertificateValidation.fromDns(zone) });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: s.exposure !== 'internal',
      vpcSubnets: s.exposure === 'internal' ? privateSubnets : { subnets: vpc.publicSubnets },
      securityGroup: albSg,
      deletionProtection: s.production,
      dropInvalidHeaderFields: true,
      // MCP streams (SSE) stay open; the gateway sends keep-alives every 15 s.
      idleTimeout: Duration.seconds(120),
    });
    alb.logAccessLogs(logBucket, 'gateway-alb');
    // `open: false` everywhere: the security group above decides who may connect, not the listener.
    alb.addListener('HttpRedirect', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, open: false, defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }) });
    const https = alb.addListener('Https', { port: 443, protocol: elbv2.ApplicationProtocol.HTTPS, sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS, certificates: [certificate], open: false });
    const gatewayTargets = https.addTargets('Gateway', {
      port: GATEWAY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [gatewayService],
      healthCheck: { path: '/-/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });
    const registryTargets = https.addTargets('Registry', {
      port: REGISTRY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [registryService],
      priority: 10,
      conditions: [elbv2.ListenerCondition.hostHeaders([s.registryHost])],
      healthCheck: { path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: 1000, targetGroup: gatewayTargets });

    const webAcl = berthWebAcl(this, 'WebAcl', { scope: 'REGIONAL', ratePer5Minutes: s.rateLimitPer5Minutes, metricPrefix: `berth-${s.name}`, clientAddress: s.exposure === 'cloudfront' ? 'forwarded' : 'source' });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: alb.loadBalancerArn, webAclArn: webAcl.attrArn });

    // ---- DNS
    const alias = (sid: string, recordName: string, lb: elbv2.ApplicationLoadBalancer) => new route53.ARecord(this, sid, { zone, recordName, target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(lb)) });
    alias('RegistryRecord', s.registryHost, alb);
    if (s.exposure === 'cloudfront') alias('OriginRecord', this.originHost, alb);
    else alias('GatewayRecord', s.gatewayHost, alb);

    // ---- alarms
    berthAlarms(this, { settings: s, alb, targetGroups: { gateway: gatewayTargets, registry: registryTargets }, reconcilerLogs, gatewayLogs });

    new CfnOutput(this, 'GatewayUrl', { value: publicUrl, description: 'MCP clients connect here' });
    new CfnOutput(this, 'RegistryUrl', { value: `https://${s.registryHost}`, description: 'berth apply --server' });
    new CfnOutput(this, 'AdminTokenSecret', { value: adminToken.secretName, description: 'the bootstrap admin token: berth_<id>_<secret> from this secret' });
    new CfnOutput(this, 'ServersClusterName', { value: serversCluster.clusterName });
  }

  /** A construct's logical id, as cdk-nag names it in findings. */
  private logicalIdOf(c: Construct): string {
    return this.getLogicalId(c.node.defaultChild as CfnElement);
  }

  /** A new VPC with public and private subnets and flow logs, or the existing one the settings name. */
  private network(s: EnvironmentSettings): ec2.IVpc {
    const n = s.network;
    if (n.vpcId !== undefined) {
      // Berth adds no routes to an existing VPC, so the subnets' route tables are never read.
      Annotations.of(this).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', 'Berth adds no routes to an existing VPC');
      return ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: n.vpcId,
        vpcCidrBlock: n.cidr,
        availabilityZones: n.availabilityZones!,
        privateSubnetIds: n.privateSubnetIds!,
        ...(n.publicSubnetIds!.length > 0 ? { publicSubnetIds: n.publicSubnetIds! } : {}),
      });
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(n.cidr),
      availabilityZones: [`${s.region}a`, `${s.region}b`, `${s.region}c`].slice(0, Math.max(2, n.natGateways ?? 1) === 3 ? 3 : 2),
      natGateways: n.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', { retention: s.logRetentionDays as logs.RetentionDays, removalPolicy: s.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY });
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT });
    return vpc;
  }
}
