/**
 * Route 53 ownership: records can't be tagged, so Berth keeps an ownership TXT
 * record (`_berth.<host>`, external-dns style) beside each alias it writes, and
 * touches only records that TXT vouches for. Driven through the real reconciler
 * and SDK clients into the AWS fake; the zone is compared byte for byte.
 */
import { ChangeResourceRecordSetsCommand, type Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, DOMAIN, ecsServer, ecsWorld, phaseOf, statusOf, updateSpec, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

const HOST = `weather.${DOMAIN}`;

function zoneRecords(): ResourceRecordSet[] {
  return w.fake.snapshot().route53.zones[0]!.records;
}

function record(name: string, type: string): ResourceRecordSet | undefined {
  const n = name.endsWith('.') ? name : `${name}.`;
  return zoneRecords().find((r) => r.Name === n && r.Type === type);
}

/** Records someone else keeps in the zone, including one at the very name Berth will use and another installation's ownership record. */
const UNRELATED: ResourceRecordSet[] = [
  { Name: `www.${DOMAIN}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }, { Value: '192.0.2.11' }] },
  { Name: `api.${DOMAIN}`, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'lb.elsewhere.example.net' }] },
  { Name: DOMAIN, Type: 'MX', TTL: 3600, ResourceRecords: [{ Value: '10 mail.example.com' }] },
  { Name: HOST, Type: 'TXT', TTL: 120, ResourceRecords: [{ Value: '"site-verification=abc123"' }] },
  { Name: `_berth.legacy.${DOMAIN}`, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"heritage=berth,berth:managed-by=other-install,berth:server=weather,berth:spec-hash=x"' }] },
  { Name: `legacy.${DOMAIN}`, Type: 'A', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'dualstack.other-lb.us-east-1.elb.amazonaws.com', EvaluateTargetHealth: false } },
];

async function seed(records: readonly ResourceRecordSet[]): Promise<void> {
  const other = createFakeAwsClients(w.fake); // another actor in the same account
  await other.route53.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: w.config.hostedZoneId, ChangeBatch: { Changes: records.map((r) => ({ Action: 'CREATE', ResourceRecordSet: r })) } }),
  );
}

/** The zone minus the records this Berth installation wrote (its aliases and ownership TXTs), serialised exactly. */
function othersBytes(): string {
  return JSON.stringify(zoneRecords().filter((r) => !writtenByBerth(r)));
}

function writtenByBerth(r: ResourceRecordSet): boolean {
  if (r.Type === 'TXT') return (r.ResourceRecords ?? []).some((v) => v.Value?.includes('berth:managed-by=berth-test'));
  return r.Type === 'A' && r.AliasTarget?.DNSName === `dualstack.${w.config.listeners[0]!.dnsName}.`;
}

/** ChangeResourceRecordSets batches Berth sent since `since`, in order. */
function batchesSince(since: number): Change[][] {
  return w.fake.calls
    .filter((c) => c.seq > since && c.operation === 'ChangeResourceRecordSets' && c.outcome === 'ok')
    .map((c) => (c.input as { ChangeBatch: { Changes: Change[] } }).ChangeBatch.Changes);
}

const summary = (batch: Change[]): string[] => batch.map((c) => `${c.Action} ${c.ResourceRecordSet?.Name} ${c.ResourceRecordSet?.Type}`).sort();

describe('ECS provider: Route 53 records and their ownership TXT', () => {
  it('routing.host: an alias A to the ALB dualstack name plus an ownership TXT, written together; then no writes', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    const before = othersBytes();
    const since = w.fake.lastCallSeq;
    await w.store.create(ecsServer('weather', {}, { routing: { host: 'Weather.MCP.Example.com' } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');

    const listener = w.config.listeners[0]!;
    expect(record(HOST, 'A')).toEqual({
      Name: `${HOST}.`,
      Type: 'A',
      AliasTarget: { HostedZoneId: listener.canonicalHostedZoneId, DNSName: `dualstack.${listener.dnsName}.`, EvaluateTargetHealth: false },
    });
    const txt = record(`_berth.${HOST}`, 'TXT')!;
    expect(txt.ResourceRecords).toHaveLength(1);
    expect(txt.ResourceRecords![0]!.Value).toMatch(/^"heritage=berth,berth:managed-by=berth-test,berth:server=weather,berth:spec-hash=[0-9a-f]{64}"$/);
    // Alias and ownership record arrive in one atomic batch: never an alias nobody vouches for.
    expect(batchesSince(since).map(summary)).toEqual([[`CREATE _berth.${HOST}. TXT`, `CREATE ${HOST}. A`]]);
    expect((await statusOf(w, 'weather'))?.endpoint).toBe(`https://${HOST}/mcp/weather`);
    expect(othersBytes()).toBe(before);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('changing the host: the new pair is created before the old pair is deleted, each pair in one batch, nothing else touched', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await w.store.create(ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const oldTxt = record(`_berth.${HOST}`, 'TXT');
    const oldAlias = record(HOST, 'A');
    const NEW = `wx.${DOMAIN}`;
    const before = othersBytes();

    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, routing: { ...s.routing, host: NEW } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');

    expect(batchesSince(since).map(summary)).toEqual([
      [`CREATE _berth.${NEW}. TXT`, `CREATE ${NEW}. A`],
      [`DELETE _berth.${HOST}. TXT`, `DELETE ${HOST}. A`],
    ]);
    // The DELETE named exactly what was there (Route 53 deletes by exact match).
    const deleted = batchesSince(since)[1]!.map((c) => c.ResourceRecordSet);
    expect(deleted).toEqual(expect.arrayContaining([oldAlias, oldTxt]));
    expect(record(HOST, 'A')).toBeUndefined();
    expect(record(`_berth.${HOST}`, 'TXT')).toBeUndefined();
    expect(record(NEW, 'A')?.AliasTarget?.DNSName).toBe(`dualstack.${w.config.listeners[0]!.dnsName}.`);
    expect(record(`_berth.${NEW}`, 'TXT')?.ResourceRecords?.[0]?.Value).toContain('berth:server=weather');
    // The verification TXT at the old host is someone else's: still there, unchanged.
    expect(record(HOST, 'TXT')).toEqual({ ...UNRELATED[3], Name: `${HOST}.` });
    expect(othersBytes()).toBe(before);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('a foreign record at the host (no ownership TXT) is never touched: Conflict, also when moving onto it; removing it unblocks', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    const foreign: ResourceRecordSet = { Name: `taken.${DOMAIN}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '198.51.100.7' }] };
    await seed([foreign]);

    // A new server asking for the taken name.
    const zoneBefore = JSON.stringify(zoneRecords());
    const since = w.fake.lastCallSeq;
    await w.store.create(ecsServer('squatter', {}, { routing: { host: `taken.${DOMAIN}` } }));
    for (let i = 0; i < 3; i++) {
      await w.reconciler.reconcile('squatter');
      w.clock.advance(60_000);
    }
    const conflict = (await statusOf(w, 'squatter'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.status).toBe('True');
    expect(conflict?.message).toContain(`taken.${DOMAIN}. A already exists and is not Berth's`);
    expect(conflict?.message).toContain(`_berth.taken.${DOMAIN}.`);
    expect(batchesSince(since)).toEqual([]);
    expect(JSON.stringify(zoneRecords())).toBe(zoneBefore);

    // A running server moving onto the taken name: blocked, and its current records keep serving.
    await w.store.create(ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const serving = JSON.stringify(zoneRecords());
    const mark = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, routing: { ...s.routing, host: `taken.${DOMAIN}` } }));
    await w.reconciler.reconcile('weather');
    expect((await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict')?.status).toBe('True');
    expect(batchesSince(mark)).toEqual([]);
    expect(JSON.stringify(zoneRecords())).toBe(serving);

    // Its owner removes the record: the waiting server takes the name on a later pass.
    await createFakeAwsClients(w.fake).route53.send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: w.config.hostedZoneId, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: foreign }] } }),
    );
    w.clock.advance(60_000);
    await converge(w, 'squatter');
    expect(await phaseOf(w, 'squatter')).toBe('Ready');
    expect(record(`taken.${DOMAIN}`, 'A')?.AliasTarget).toBeDefined();
    expect(record(`_berth.taken.${DOMAIN}`, 'TXT')?.ResourceRecords?.[0]?.Value).toContain('berth:server=squatter');
    // weather still asks for the same name, now Berth's but another server's: still Conflict, its old pair untouched.
    w.clock.advance(60_000);
    await w.reconciler.reconcile('weather');
    const stillBlocked = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(stillBlocked?.message).toContain('server squatter');
    expect(record(HOST, 'A')).toBeDefined();
    expect(record(`_berth.${HOST}`, 'TXT')?.ResourceRecords?.[0]?.Value).toContain('berth:server=weather');
  });

  it('retire removes the alias and its TXT in one batch and nothing else in the zone', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await w.store.create(ecsServer('weather', {}, { routing: { host: HOST } }));
    await w.store.create(ecsServer('neighbour', {}, { routing: { host: `neighbour.${DOMAIN}` } }));
    await converge(w, 'weather');
    await converge(w, 'neighbour');
    const alias = record(HOST, 'A');
    const txt = record(`_berth.${HOST}`, 'TXT');
    const keep = zoneRecords().filter((r) => !(r.Name === `${HOST}.` && r.Type === 'A') && !(r.Name === `_berth.${HOST}.` && r.Type === 'TXT'));
    expect(keep.length).toBe(zoneRecords().length - 2);
    const keepBytes = JSON.stringify(keep);

    const since = w.fake.lastCallSeq;
    await w.store.delete('MCPServer', 'weather');
    await converge(w, 'weather');
    expect(await w.store.get('MCPServer', 'weather')).toBeUndefined();
    const batches = batchesSince(since);
    expect(batches.map(summary)).toEqual([[`DELETE _berth.${HOST}. TXT`, `DELETE ${HOST}. A`]]);
    expect(batches[0]!.map((c) => c.ResourceRecordSet)).toEqual(expect.arrayContaining([alias, txt]));
    // Everything else — SOA, NS, other people's records, the verification TXT at the same name,
    // another installation's ownership record, and the neighbour's pair — byte-identical.
    expect(JSON.stringify(zoneRecords())).toBe(keepBytes);
    expect(record(`neighbour.${DOMAIN}`, 'A')).toBeDefined();
    expect(await phaseOf(w, 'neighbour')).toBe('Ready');
  });
});
