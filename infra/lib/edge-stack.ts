/**
 * CloudFront in front of the gateway (exposure `cloudfront`): a stack in us-east-1, where
 * CloudFront's certificates and web ACLs must live. It reaches the environment's load balancer
 * by name (`origin.<zone>`, a record of the main stack), so no value crosses regions and the
 * whole environment still deploys with one `cdk deploy --all`.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type { Construct } from 'constructs';
import { acknowledge } from './berth-stack.ts';
import type { EnvironmentSettings } from './settings.ts';
import { berthWebAcl } from './waf.ts';

/** What {@link BerthEdgeStack} needs. */
export interface BerthEdgeStackProps extends StackProps {
  settings: EnvironmentSettings;
  /** The main stack's alias of its load balancer. */
  originHost: string;
}

/** The CloudFront distribution answering for the gateway's name. */
export class BerthEdgeStack extends Stack {
  constructor(scope: Construct, id: string, props: BerthEdgeStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: s.hostedZoneId, zoneName: s.zoneName });
    const certificate = new acm.Certificate(this, 'Certificate', { domainName: s.gatewayHost, validation: acm.CertificateValidation.fromDns(zone) });
    const webAcl = berthWebAcl(this, 'WebAcl', { scope: 'CLOUDFRONT', ratePer5Minutes: s.rateLimitPer5Minutes, metricPrefix: `berth-${s.name}-edge`, clientAddress: 'source' });
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Berth ${s.name} gateway`,
      domainNames: [s.gatewayHost],
      certificate,
      webAclId: webAcl.attrArn,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new origins.HttpOrigin(props.originHost, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY, originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2], readTimeout: Duration.seconds(60), keepaliveTimeout: Duration.seconds(60) }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Every MCP request is a fresh answer; the viewer's Host goes through so the gateway sees its own name.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
      },
    });
    acknowledge(distribution, 'AwsSolutions-CFR1', 'agents call from anywhere the organisation runs them; no country is excluded by default');
    acknowledge(distribution, 'AwsSolutions-CFR3', 'requests are logged by the load balancer behind it (access logs) and audited by the gateway per call');
    new route53.ARecord(this, 'GatewayRecord', { zone, recordName: s.gatewayHost, target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(distribution)) });
  }
}
