/**
 * The reconciler's permissions (infra/README.md, "IAM permissions the reconciler needs") as
 * statements: reads where AWS allows nothing narrower, and writes only on resources tagged
 * `berth:managed-by = <installationId>` — on create through `aws:RequestTag`, afterwards through
 * `aws:ResourceTag` — inside the servers' cluster, listeners and hosted zone. The ECS provider
 * enforces the same rule in code; this is the second lock.
 */
import { Arn, ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The tag every resource Berth creates carries (src/providers/ecs). */
export const MANAGED_BY_TAG = 'berth:managed-by';

/**
 * Write actions granted on `*`, because the action has no resource type in IAM; each says why.
 * The tests allow `*` on writes for these actions and nothing else.
 */
export const WILDCARD_WRITE_EXCEPTIONS: Readonly<Record<string, string>> = {
  'ecs:RegisterTaskDefinition': 'RegisterTaskDefinition has no resource type in IAM (the revision does not exist yet); it is limited by aws:RequestTag instead',
  'ecs:DeregisterTaskDefinition': 'DeregisterTaskDefinition has no resource type or tag condition in IAM; deregistering only marks a revision INACTIVE (running services keep it), so the harm is bounded',
};

/**
 * Write actions without a tag condition, because their resources cannot carry tags; each is
 * scoped by another condition instead, and says which.
 */
export const UNTAGGED_WRITE_EXCEPTIONS: Readonly<Record<string, string>> = {
  'ecs:DeregisterTaskDefinition': WILDCARD_WRITE_EXCEPTIONS['ecs:DeregisterTaskDefinition']!,
  'route53:ChangeResourceRecordSets': 'record sets carry no tags; limited to the servers hosted zone and to names under the servers domain (route53:ChangeResourceRecordSetsNormalizedRecordNames)',
  'iam:PassRole': 'passing a role is not a write to a tagged resource; limited to the servers execution and task roles and to ecs-tasks.amazonaws.com (iam:PassedToService)',
};

/** Where the reconciler may act. */
export interface ReconcilerScope {
  installationId: string;
  /** The cluster the teams' servers run in (not Berth's own). */
  clusterArn: string;
  clusterName: string;
  /** Listener ARNs the servers' rules go on. */
  listenerArns: string[];
  /** The `app/<name>/<id>` of the load balancers of those listeners (their rules' ARNs start with it). */
  loadBalancerFullNames: string[];
  hostedZoneId: string;
  serversDomain: string;
  /** The roles the servers' task definitions name. */
  passRoleArns: string[];
  /** ARN patterns of the secrets/parameters servers' headers may name (read). */
  headerSecretArns: string[];
  headerParameterArns: string[];
}

/**
 * The reconciler's policy statements for `scope`, in `stack`'s account and region.
 * @example for (const s of reconcilerStatements(stack, scope)) role.addToPolicy(s);
 */
export function reconcilerStatements(stack: Stack, scope: ReconcilerScope): iam.PolicyStatement[] {
  const arn = (service: string, resource: string) => Arn.format({ service, resource }, stack);
  const ecsServices = Arn.format({ service: 'ecs', resource: 'service', resourceName: `${scope.clusterName}/*` }, stack);
  const taskDefinitions = arn('ecs', 'task-definition/*');
  const targetGroups = arn('elasticloadbalancing', 'targetgroup/*');
  const rules = scope.loadBalancerFullNames.map((n) => arn('elasticloadbalancing', `listener-rule/${n}/*`));
  const requestTag = { StringEquals: { [`aws:RequestTag/${MANAGED_BY_TAG}`]: scope.installationId } };
  const resourceTag = { StringEquals: { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: scope.installationId } };
  const s = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) });
  return [
    // Reads: the List/Describe calls of ECS and ELBv2 have no resource-level permissions.
    s('Reads', ['ecs:ListServices', 'ecs:DescribeServices', 'ecs:ListTaskDefinitions', 'ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags'], ['*']),
    s('ReadRecords', ['route53:ListResourceRecordSets'], [`arn:${stack.partition}:route53:::hostedzone/${scope.hostedZoneId}`]),
    s('RegisterTaggedTaskDefinitions', ['ecs:RegisterTaskDefinition'], ['*'], requestTag),
    s('DeregisterTaskDefinitions', ['ecs:DeregisterTaskDefinition'], ['*']),
    s('CreateTaggedServices', ['ecs:CreateService'], [ecsServices], { ...requestTag, ArnEquals: { 'ecs:cluster': scope.clusterArn } }),
    s('ChangeOwnServices', ['ecs:UpdateService', 'ecs:DeleteService'], [ecsServices], { ...resourceTag, ArnEquals: { 'ecs:cluster': scope.clusterArn } }),
    s('TagOnCreate', ['ecs:TagResource'], [ecsServices, taskDefinitions], { StringEquals: { ...requestTag.StringEquals, 'ecs:CreateAction': ['CreateService', 'RegisterTaskDefinition'] } }),
    s('RetagOwn', ['ecs:TagResource', 'ecs:UntagResource'], [ecsServices, taskDefinitions], resourceTag),
    s('CreateTaggedTargetGroups', ['elasticloadbalancing:CreateTargetGroup'], [targetGroups], requestTag),
    s('ChangeOwnTargetGroups', ['elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup'], [targetGroups], resourceTag),
    // CreateRule is authorised on the listener (which Berth does not own) and on the new rule's tags.
    s('CreateTaggedRules', ['elasticloadbalancing:CreateRule'], [...scope.listenerArns, ...rules], requestTag),
    s('ChangeOwnRules', ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'], rules, resourceTag),
    s('TagOnCreateElb', ['elasticloadbalancing:AddTags'], [targetGroups, ...rules], { StringEquals: { ...requestTag.StringEquals, 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateRule'] } }),
    s('RetagOwnElb', ['elasticloadbalancing:AddTags'], [targetGroups, ...rules], resourceTag),
    s('ServerRecords', ['route53:ChangeResourceRecordSets'], [`arn:${stack.partition}:route53:::hostedzone/${scope.hostedZoneId}`], {
      'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`*.${scope.serversDomain}`] },
    }),
    s('PassServerRoles', ['iam:PassRole'], scope.passRoleArns, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    // Remote servers' health checks send their headers, so the reconciler reads those secrets too.
    s('ServerHeaderSecrets', ['secretsmanager:GetSecretValue'], scope.headerSecretArns),
    s('ServerHeaderParameters', ['ssm:GetParameter'], scope.headerParameterArns),
  ];
}

/** Server header secrets of an environment: `berth/servers/<env>/…` in Secrets Manager and SSM. */
export function headerSecretArns(stack: Stack, environment: string): { secrets: string[]; parameters: string[] } {
  return {
    secrets: [Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `berth/servers/${environment}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)],
    parameters: [Arn.format({ service: 'ssm', resource: 'parameter', resourceName: `berth/servers/${environment}/*` }, stack)],
  };
}
