/**
 * The listener rule a server gets routes the path and host the manifest's route
 * rule gives it: the same normalisation the registry and the gateway use.
 */
import { describe, expect, it } from 'vitest';
import type { MCPServerSpec } from '../../manifest/types.ts';
import { parseEcsEnvironment } from './config.ts';
import { renderServer } from './render.ts';

const config = parseEcsEnvironment(
  {
    environments: {
      dev: {
        installationId: 'berth-test',
        region: 'us-east-1',
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
        vpcId: 'vpc-0fake0000000000001',
        subnets: ['subnet-a'],
        securityGroups: ['sg-berth'],
        listeners: [{ arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/b/1/2', dnsName: 'b.elb.amazonaws.com', canonicalHostedZoneId: 'Z1' }],
      },
    },
  },
  'dev',
);

function rendered(routing: MCPServerSpec['routing']) {
  const spec: MCPServerSpec = {
    owner: { team: 't' },
    environment: 'dev',
    lifecycle: 'approved-dev',
    risk: 'low',
    dataClassification: 'internal',
    runtime: { image: 'ghcr.io/acme/weather:1', transport: 'streamable-http' },
    ...(routing ? { routing } : {}),
  };
  return renderServer({ name: 'weather', generation: 1, spec, specHash: 'h' }, config);
}

describe('renderServer routing', () => {
  it.each([
    [undefined, '/mcp/weather', undefined],
    [{ path: '/tools/./Weather' }, '/tools/Weather', undefined],
    [{ path: '/tools/x/../weather', host: 'Wx.Example.COM.' }, '/tools/weather', 'wx.example.com'],
  ])('routing %j → path %j, host %j', (routing, path, host) => {
    const r = rendered(routing);
    expect(r.path).toBe(path);
    expect(r.host).toBe(host);
    expect(r.ruleConditions).toEqual([
      { Field: 'path-pattern', PathPatternConfig: { Values: [path, `${path}/*`] } },
      ...(host ? [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }] : []),
    ]);
  });
});
