/**
 * The web ACL in front of the gateway and the registry: AWS managed rule groups (common,
 * known bad inputs, IP reputation) and a per-address rate limit. REGIONAL for an ALB,
 * CLOUDFRONT (in us-east-1) for a distribution.
 */
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

/** What {@link berthWebAcl} needs. */
export interface WebAclProps {
  scope: 'REGIONAL' | 'CLOUDFRONT';
  /** Requests per 5 minutes from one address before it is blocked. */
  ratePer5Minutes: number;
  metricPrefix: string;
  /**
   * Whose address the rate limit counts: the connection's (`source`), or the first of
   * `X-Forwarded-For` (`forwarded`) when CloudFront stands in front, since every request then
   * arrives from a few CloudFront addresses and counting those would block everyone at once.
   * A client can write that header's first address itself, so behind CloudFront the edge web
   * ACL's limit (on the connection's address) is the one that holds; this one is a second line.
   */
  clientAddress: 'source' | 'forwarded';
}

function managed(name: string, priority: number, metricPrefix: string, overrides: string[] = []): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(overrides.length > 0 ? { ruleActionOverrides: overrides.map((n) => ({ name: n, actionToUse: { count: {} } })) } : {}),
      },
    },
    visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${metricPrefix}-${name}` },
  };
}

/**
 * A web ACL allowing by default and blocking what the rules match.
 * @example const acl = berthWebAcl(this, 'Waf', { scope: 'REGIONAL', ratePer5Minutes: 3000, metricPrefix: 'berth-production', clientAddress: 'source' });
 */
export function berthWebAcl(scope: Construct, id: string, props: WebAclProps): wafv2.CfnWebACL {
  return new wafv2.CfnWebACL(scope, id, {
    scope: props.scope,
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: props.metricPrefix },
    rules: [
      {
        name: 'rate-limit-per-address',
        priority: 0,
        action: { block: {} },
        statement: {
          rateBasedStatement:
            props.clientAddress === 'source'
              ? { limit: props.ratePer5Minutes, aggregateKeyType: 'IP' }
              : { limit: props.ratePer5Minutes, aggregateKeyType: 'FORWARDED_IP', forwardedIpConfig: { headerName: 'X-Forwarded-For', fallbackBehavior: 'MATCH' } },
        },
        visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${props.metricPrefix}-rate-limit` },
      },
      managed('AWSManagedRulesAmazonIpReputationList', 1, props.metricPrefix),
      managed('AWSManagedRulesKnownBadInputsRuleSet', 2, props.metricPrefix),
      // MCP requests are JSON bodies up to the gateway's --max-body (4 MiB by default): the common
      // rule set's 8 KiB body limit would block ordinary tool calls, so that one rule only counts.
      managed('AWSManagedRulesCommonRuleSet', 3, props.metricPrefix, ['SizeRestrictions_BODY']),
    ],
  });
}
