/**
 * Alarms of one environment, to an SNS topic (and an email, when the settings name one):
 * the gateway's 5xx rate, unhealthy targets, reconcile errors and audit sink failures, the
 * last two counted by metric filters on the JSON logs (pino's `msg`, as the code writes it:
 * src/reconciler/reconcile.ts, src/gateway/governance/audit-sink.ts).
 */
import { Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { EnvironmentSettings } from './settings.ts';

/** The log lines that count as a reconcile error: a failed pass, retried or not. */
export const RECONCILE_ERROR_PATTERN = '{ $.msg = "reconcile failed*" }';
/** The log lines that count as an audit sink failure: a failed write, records refused, records left unpersisted at shutdown. */
export const AUDIT_FAILURE_PATTERN = '{ ($.msg = "persisting audit records failed*") || ($.msg = "the store refused these audit records*") || ($.msg = "audit records could not be persisted*") }';

/** What {@link berthAlarms} needs. */
export interface AlarmProps {
  settings: EnvironmentSettings;
  alb: elbv2.ApplicationLoadBalancer;
  targetGroups: Record<string, elbv2.ApplicationTargetGroup>;
  reconcilerLogs: logs.LogGroup;
  gatewayLogs: logs.LogGroup;
}

/**
 * Creates the topic and the alarms.
 * @returns the topic alarms notify
 */
export function berthAlarms(stack: Stack, props: AlarmProps): sns.Topic {
  const s = props.settings;
  const topic = new sns.Topic(stack, 'Alarms', { displayName: `Berth ${s.name} alarms`, enforceSSL: true, masterKey: kms.Alias.fromAliasName(stack, 'SnsKey', 'alias/aws/sns') });
  if (s.alarmEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(s.alarmEmail));
  const notify = new actions.SnsAction(topic);
  const add = (alarm: cloudwatch.Alarm) => {
    alarm.addAlarmAction(notify);
    alarm.addOkAction(notify);
  };
  const period = Duration.minutes(1);
  const lb = props.alb.metrics;
  const fiveXx = new cloudwatch.MathExpression({
    label: '5xx per 100 requests',
    expression: '100 * (elb + target) / MAX([requests, 1])',
    usingMetrics: { elb: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period }), target: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }), requests: lb.requestCount({ period }) },
    period,
  });
  add(fiveXx.createAlarm(stack, 'Http5xxRate', { alarmDescription: `Berth ${s.name}: more than 5% of requests to the gateway/registry load balancer answered 5xx`, threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }));
  for (const [role, tg] of Object.entries(props.targetGroups)) {
    add(tg.metrics.unhealthyHostCount({ period, statistic: 'Maximum' }).createAlarm(stack, `Unhealthy-${role}`, { alarmDescription: `Berth ${s.name}: a ${role} task fails its health check`, threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, evaluationPeriods: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }));
  }
  const namespace = `Berth/${s.name}`;
  const counted = (id: string, group: logs.LogGroup, pattern: string, metricName: string) =>
    new logs.MetricFilter(stack, id, { logGroup: group, filterPattern: logs.FilterPattern.literal(pattern), metricNamespace: namespace, metricName, metricValue: '1', defaultValue: 0 }).metric({ period: Duration.minutes(5), statistic: 'Sum' });
  add(counted('ReconcileErrorFilter', props.reconcilerLogs, RECONCILE_ERROR_PATTERN, 'ReconcileErrors').createAlarm(stack, 'ReconcileErrors', { alarmDescription: `Berth ${s.name}: reconcile passes keep failing (see the reconciler log)`, threshold: 5, evaluationPeriods: 2, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }));
  add(counted('AuditFailureFilter', props.gatewayLogs, AUDIT_FAILURE_PATTERN, 'AuditSinkFailures').createAlarm(stack, 'AuditSinkFailures', { alarmDescription: `Berth ${s.name}: the gateway could not persist audit records (it fails closed past its bound)`, threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING }));
  return topic;
}
