/**
 * What the ECS provider observes for one server and the actions it plans.
 * Plain data: plans and assessments are pure functions of these.
 */
import type { RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { PlannedAction } from '../provider.ts';
import type { HealthCheckSettings, TaskDefinitionInput } from './render.ts';

/** One ECS deployment of a service. */
export interface ObservedDeployment {
  id: string;
  status: string;
  taskDefinitionArn: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
  failedTasks: number;
}

/** An ECS service named like a Berth service (ours or not). */
export interface ObservedService {
  arn: string;
  name: string;
  status: string;
  tags: Record<string, string>;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinitionArn?: string;
  healthCheckGracePeriodSeconds?: number;
  loadBalancers: Array<{ targetGroupArn?: string; containerName?: string; containerPort?: number }>;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp?: string;
  circuitBreaker: { enable: boolean; rollback: boolean };
  deployments: ObservedDeployment[];
  /** Newest first; only the few Berth reads to tell a rollback from another actor's deployment. */
  recentEvents: string[];
}

/** A task definition revision. */
export interface ObservedTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: string;
  tags: Record<string, string>;
  image?: string;
}

/** A target group that is this server's (by tag) or has the name this server wants. */
export interface ObservedTargetGroup {
  arn: string;
  name: string;
  protocol?: string;
  port?: number;
  vpcId?: string;
  targetType?: string;
  healthCheck: HealthCheckSettings;
  loadBalancerArns: string[];
  tags: Record<string, string>;
}

/** A listener rule (ours or not). */
export interface ObservedRule {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  /** Canonical form of the conditions, see `canonicalConditions`. */
  conditionsKey: string;
  targetGroupArns: string[];
  tags: Record<string, string>;
}

/** Summary of DescribeTargetHealth for the server's target group. */
export interface TargetHealthSummary {
  healthy: number;
  unhealthy: number;
  initial: number;
  draining: number;
  other: number;
  /** First reason AWS gave for a target that isn't healthy. */
  reason?: string;
}

/** Everything the ECS provider saw for one server. */
export interface EcsObservation {
  name: string;
  /** Undefined: DescribeServices said MISSING. */
  service?: ObservedService;
  /** This provider created the service less than a minute ago: MISSING means "not visible yet". */
  serviceRecentlyCreated: boolean;
  /** Task definitions referenced by the service's deployments (tags included). */
  deploymentTaskDefinitions: ObservedTaskDefinition[];
  /** ACTIVE revisions of the family, newest first (reuse after a crash, cleanup, retire). */
  family: ObservedTaskDefinition[];
  /** Target groups tagged for this server, or named like its groups (`b-<name>-…`). */
  targetGroups: ObservedTargetGroup[];
  /** Every non-default rule of each configured listener (shared listing; ours and others'). */
  rulesByListener: Record<string, ObservedRule[]>;
  /** Every record of the hosted zone (shared listing); empty without a zone. */
  records: ResourceRecordSet[];
  targetHealth?: TargetHealthSummary;
  /** The last target health this provider read for the server and when (read again only while a rollout moves). */
  targetHealthSeen?: { summary: TargetHealthSummary; at: string };
  /** The last AWS error this provider hit for the server; `resolvedAt` once a later apply went through. */
  lastError?: { code: string; message: string; at: string; resolvedAt?: string };
}

/** One step the ECS provider carries out. `targetGroupArn` undefined: the group created earlier in the same plan. */
export type EcsAction = PlannedAction & {
  /** Part of retiring the server (set by the plan); the mass-deletion guard counts these. */
  retiring?: true;
} &
  (
    | { kind: 'create-target-group'; tgName: string; input: Record<string, unknown>; tags: Record<string, string> }
    | { kind: 'set-target-group-attributes'; targetGroupArn?: string; deregistrationDelaySeconds: number; marker: string }
    | { kind: 'modify-target-group'; targetGroupArn: string; healthCheck: HealthCheckSettings; tagHash: string }
    | {
        kind: 'create-rule';
        listenerArn: string;
        priority: number;
        /** The band `priority` was chosen from; another free slot of it is taken if another writer took `priority`. */
        band: { first: number; last: number };
        conditions: RuleCondition[];
        targetGroupArn?: string;
        tags: Record<string, string>;
        usedPriorities: number[];
      }
    | { kind: 'set-rule-priorities'; listenerArn: string; moves: Array<{ ruleArn: string; priority: number }> }
    | { kind: 'modify-rule'; ruleArn: string; conditions: RuleCondition[]; targetGroupArn?: string; tagHash: string }
    | { kind: 'delete-rule'; ruleArn: string }
    | { kind: 'register-task-definition'; input: TaskDefinitionInput; tags: Record<string, string> }
    | {
        kind: 'create-service';
        serviceName: string;
        clientToken: string;
        taskDefinitionArn?: string;
        targetGroupArn?: string;
        desiredCount: number;
        healthCheckGracePeriodSeconds: number;
        containerPort: number;
        subnets: string[];
        securityGroups: string[];
        assignPublicIp: 'ENABLED' | 'DISABLED';
        tags: Record<string, string>;
      }
    | {
        kind: 'update-service';
        serviceArn: string;
        /** Only the fields that differ. */
        changes: {
          taskDefinition?: 'desired' | string;
          desiredCount?: number;
          healthCheckGracePeriodSeconds?: number;
          loadBalancers?: { targetGroupArn?: string; containerPort: number };
          network?: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
          circuitBreaker?: true;
        };
        tagHash: string;
      }
    | { kind: 'tag-service'; serviceArn: string; tags: Record<string, string> }
    | { kind: 'untag-service'; serviceArn: string; tagKeys: string[] }
    | { kind: 'scale-service-to-zero'; serviceArn: string }
    | { kind: 'delete-service'; serviceArn: string }
    | { kind: 'delete-target-group'; targetGroupArn: string }
    | { kind: 'deregister-task-definition'; taskDefinitionArn: string }
    | { kind: 'change-dns'; hostedZoneId: string; changes: Array<{ action: 'CREATE' | 'DELETE'; record: ResourceRecordSet }> }
    | { kind: 'wait'; waitMs: number }
  );
