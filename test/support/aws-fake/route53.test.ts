import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { createFakeAwsClients, fakeClockRetryStrategy, fastRetryStrategy } from './sdk.ts';
import { newScenario, type Scenario } from './scenario.ts';

function alias(name: string, s: Scenario): ResourceRecordSet {
  return { Name: name, Type: 'A', AliasTarget: { HostedZoneId: s.loadBalancer.canonicalHostedZoneId, DNSName: `dualstack.${s.loadBalancer.dnsName}`, EvaluateTargetHealth: false } };
}
const txt = (name: string, value: string, ttl = 300): ResourceRecordSet => ({ Name: name, Type: 'TXT', TTL: ttl, ResourceRecords: [{ Value: value }] });

async function change(s: Scenario, zone: string, ...changes: Change[]) {
  return s.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: changes } }));
}

async function records(s: Scenario, zone: string): Promise<ResourceRecordSet[]> {
  return (await s.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }))).ResourceRecordSets!.filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');
}

describe('Route 53', () => {
  it('CREATE fails if the record exists; names come back normalised; alias records have no TTL', async () => {
    const s = newScenario();
    const zone = s.fake.route53.createHostedZone({ name: 'mcp.example.com' });
    await change(s, `/hostedzone/${zone}`, { Action: 'CREATE', ResourceRecordSet: alias('Weather.MCP.example.com', s) }, { Action: 'CREATE', ResourceRecordSet: txt('*.mcp.example.com', '"owner=berth"') });
    const error = await change(s, zone, { Action: 'CREATE', ResourceRecordSet: alias('weather.mcp.example.com.', s) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidChangeBatch);
    expect((error as InvalidChangeBatch).messages).toEqual(["Tried to create resource record set [name='weather.mcp.example.com.', type='A'] but it already exists"]);
    const list = await records(s, zone);
    expect(list.map((r) => r.Name)).toEqual(['\\052.mcp.example.com.', 'weather.mcp.example.com.']);
    const a = list.find((r) => r.Type === 'A')!;
    expect(a.TTL).toBeUndefined();
    expect(a.AliasTarget!.DNSName).toBe(`dualstack.${s.loadBalancer.dnsName}.`);
    await expect(change(s, zone, { Action: 'CREATE', ResourceRecordSet: { ...alias('x.mcp.example.com', s), TTL: 60 } })).rejects.toBeInstanceOf(InvalidChangeBatch);
    await expect(change(s, zone, { Action: 'CREATE', ResourceRecordSet: txt('t.mcp.example.com', 'unquoted') })).rejects.toThrow(/quotation marks/);
    await expect(change(s, zone, { Action: 'CREATE', ResourceRecordSet: txt('other.example.org', '"x"') })).rejects.toThrow(/not permitted in zone/);
    await expect(change(s, 'ZNOPE', { Action: 'CREATE', ResourceRecordSet: txt('a.mcp.example.com', '"x"') })).rejects.toBeInstanceOf(NoSuchHostedZone);
  });

  it('DELETE must match exactly; a batch is atomic (one bad change and nothing applies)', async () => {
    const s = newScenario();
    const zone = s.fake.route53.createHostedZone({ name: 'mcp.example.com' });
    await change(s, zone, { Action: 'CREATE', ResourceRecordSet: txt('owner.mcp.example.com', '"berth:weather"', 300) });
    await expect(change(s, zone, { Action: 'DELETE', ResourceRecordSet: txt('owner.mcp.example.com', '"berth:weather"', 60) })).rejects.toThrow(/do not match the current values/);
    await expect(change(s, zone, { Action: 'DELETE', ResourceRecordSet: txt('owner.mcp.example.com', '"someone-else"', 300) })).rejects.toThrow(/do not match/);
    await expect(change(s, zone, { Action: 'DELETE', ResourceRecordSet: txt('missing.mcp.example.com', '"x"') })).rejects.toThrow(/but it was not found/);
    // Compare-and-swap batch whose second half fails: the first half must not apply either.
    await expect(
      change(
        s,
        zone,
        { Action: 'CREATE', ResourceRecordSet: alias('weather.mcp.example.com', s) },
        { Action: 'DELETE', ResourceRecordSet: txt('owner.mcp.example.com', '"wrong"', 300) },
      ),
    ).rejects.toBeInstanceOf(InvalidChangeBatch);
    expect((await records(s, zone)).map((r) => r.Name)).toEqual(['owner.mcp.example.com.']);
    // The exact record deletes (name case and trailing dot don't matter).
    await change(s, zone, { Action: 'DELETE', ResourceRecordSet: txt('OWNER.mcp.example.com.', '"berth:weather"', 300) }, { Action: 'UPSERT', ResourceRecordSet: txt('owner.mcp.example.com', '"berth:weather2"') });
    expect((await records(s, zone)).map((r) => r.ResourceRecords?.[0]?.Value)).toEqual(['"berth:weather2"']);
  });

  it('changes go PENDING → INSYNC on the clock', async () => {
    const s = newScenario();
    const zone = s.fake.route53.createHostedZone({ name: 'mcp.example.com' });
    const out = await change(s, zone, { Action: 'UPSERT', ResourceRecordSet: alias('weather.mcp.example.com', s) });
    expect(out.ChangeInfo!.Status).toBe('PENDING');
    expect(out.ChangeInfo!.Id).toMatch(/^\/change\/C/);
    s.clock.advance(s.fake.route53.timings.insyncAfterMs - 1);
    expect((await s.route53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo!.Status).toBe('PENDING');
    s.clock.advance(1);
    expect((await s.route53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo!.Status).toBe('INSYNC');
  });

  it('ListResourceRecordSets pages (≤ 300) in reversed-label order with StartRecordName/Type', async () => {
    const s = newScenario();
    const zone = s.fake.route53.createHostedZone({ name: 'mcp.example.com' });
    const names = ['b', 'a', 'c.a', 'd'];
    await change(s, zone, ...names.map((n): Change => ({ Action: 'CREATE', ResourceRecordSet: txt(`${n}.mcp.example.com`, '"x"') })));
    const seen: string[] = [];
    let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
    for (;;) {
      const out = await s.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, MaxItems: 2, ...start }));
      seen.push(...out.ResourceRecordSets!.map((r) => `${r.Name} ${r.Type}`));
      if (!out.IsTruncated) break;
      start = { StartRecordName: out.NextRecordName!, StartRecordType: out.NextRecordType! };
    }
    expect(seen).toEqual([
      'mcp.example.com. NS',
      'mcp.example.com. SOA',
      'a.mcp.example.com. TXT',
      'c.a.mcp.example.com. TXT',
      'b.mcp.example.com. TXT',
      'd.mcp.example.com. TXT',
    ]);
    const capped = await s.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, MaxItems: 1000 }));
    expect(capped.MaxItems).toBe(300);
  });

  it('PriorRequestNotComplete for a zone still processing a batch: the SDK retries it like throttling', async () => {
    const s = newScenario({ route53: { zoneBusyMs: 500 } });
    const zone = s.fake.route53.createHostedZone({ name: 'mcp.example.com' });
    await change(s, zone, { Action: 'CREATE', ResourceRecordSet: txt('a.mcp.example.com', '"x"') });
    // With real-time (fast) retries the simulated clock stands still: every attempt hits the busy zone.
    const fast = createFakeAwsClients(s.fake, { retryStrategy: () => fastRetryStrategy(3) });
    const request = new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: txt('b.mcp.example.com', '"x"') }] } });
    const error = await fast.route53.send(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PriorRequestNotComplete);
    expect((error as PriorRequestNotComplete).$metadata.attempts).toBe(3);
    // With backoff spent on the simulated clock, a retry lands after the zone is free.
    const patient = createFakeAwsClients(s.fake, { retryStrategy: () => fakeClockRetryStrategy(s.clock, { baseDelayMs: 400 }) });
    const ok = await patient.route53.send(request);
    expect(ok.$metadata.attempts).toBeGreaterThan(1);
    expect(s.fake.callCounts({ outcome: 'error' })).toMatchObject({ ChangeResourceRecordSets: 3 + ok.$metadata.attempts! - 1 });
  });
});
