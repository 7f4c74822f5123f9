/**
 * Route 53 ownership: records can't be tagged, so Berth keeps an ownership TXT
 * record (`_berth.<host>`, external-dns style) beside the aliases it writes (A
 * and AAAA to the ALB's dualstack name), and touches only records that TXT
 * vouches for. Driven through the real reconciler and SDK clients into the AWS
 * fake; the zone is compared byte for byte.
 */
import { ChangeResourceRecordSetsCommand, type Change, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { specHash } from '../src/manifest/spec-hash.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, DOMAIN, ecsServer, ecsWorld, phaseOf, statusOf, updateSpec, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

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
  return (r.Type === 'A' || r.Type === 'AAAA') && r.AliasTarget?.DNSName === `dualstack.${w.config.listeners[0]!.dnsName}.`;
}

/** ChangeResourceRecordSets batches Berth sent since `since`, in order. */
function batchesSince(since: number): Change[][] {
  return w.fake.calls
    .filter((c) => c.seq > since && c.operation === 'ChangeResourceRecordSets' && c.outcome === 'ok')
    .map((c) => (c.input as { ChangeBatch: { Changes: Change[] } }).ChangeBatch.Changes);
}

const summary = (batch: Change[]): string[] => batch.map((c) => `${c.Action} ${c.ResourceRecordSet?.Name} ${c.ResourceRecordSet?.Type}`).sort();

/** One change batch sent by someone other than Berth (a person in the console, another tool). */
async function changeAsOther(changes: Change[]): Promise<void> {
  await createFakeAwsClients(w.fake).route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: w.config.hostedZoneId, ChangeBatch: { Changes: changes } }));
}

/**
 * Turns weather's records into what the version before AAAA support left: the
 * alias A, no AAAA, and an ownership TXT whose spec-hash is the hash of the A
 * alias alone (exactly the record that version wrote and hashed). Returns that TXT.
 */
async function leaveOnlyAWithOldTxt(host: string): Promise<ResourceRecordSet> {
  const listener = w.config.listeners[0]!;
  const oldHash = specHash({ Name: `${host}.`, Type: 'A', AliasTarget: { HostedZoneId: listener.canonicalHostedZoneId, DNSName: `dualstack.${listener.dnsName}.`, EvaluateTargetHealth: false } });
  const txt = record(`_berth.${host}`, 'TXT')!;
  const oldTxt: ResourceRecordSet = { ...txt, ResourceRecords: [{ Value: `"heritage=berth,berth:managed-by=berth-test,berth:server=weather,berth:spec-hash=${oldHash}"` }] };
  expect(oldTxt).not.toEqual(txt);
  await changeAsOther([
    { Action: 'DELETE', ResourceRecordSet: record(host, 'AAAA')! },
    { Action: 'DELETE', ResourceRecordSet: txt },
    { Action: 'CREATE', ResourceRecordSet: oldTxt },
  ]);
  expect(record(host, 'AAAA')).toBeUndefined();
  return oldTxt;
}

const drifted = async (): Promise<string | undefined> => (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Drifted' && c.status === 'True')?.message;
const driftAudits = async (): Promise<string[]> => (await w.registry.queryAudit({ name: 'weather', action: 'drift' })).filter((a) => a.action === 'drift').map((a) => JSON.stringify(a.details));

describe('ECS provider: Route 53 records and their ownership TXT', () => {
  it('routing.host: alias A and AAAA to the ALB dualstack name plus an ownership TXT, written together; then no writes', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    const before = othersBytes();
    const since = w.fake.lastCallSeq;
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: 'Weather.MCP.Example.com' } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');

    const listener = w.config.listeners[0]!;
    expect(record(HOST, 'A')).toEqual({
      Name: `${HOST}.`,
      Type: 'A',
      AliasTarget: { HostedZoneId: listener.canonicalHostedZoneId, DNSName: `dualstack.${listener.dnsName}.`, EvaluateTargetHealth: false },
    });
    // IPv6 clients reach the same dualstack ALB: same alias target, no TTL (alias records have none).
    expect(record(HOST, 'AAAA')).toEqual({
      Name: `${HOST}.`,
      Type: 'AAAA',
      AliasTarget: { HostedZoneId: listener.canonicalHostedZoneId, DNSName: `dualstack.${listener.dnsName}.`, EvaluateTargetHealth: false },
    });
    const txt = record(`_berth.${HOST}`, 'TXT')!;
    expect(txt.ResourceRecords).toHaveLength(1);
    expect(txt.ResourceRecords![0]!.Value).toMatch(/^"heritage=berth,berth:managed-by=berth-test,berth:server=weather,berth:spec-hash=[0-9a-f]{64}"$/);
    // Aliases and ownership record arrive in one atomic batch: never an alias nobody vouches for.
    expect(batchesSince(since).map(summary)).toEqual([[`CREATE _berth.${HOST}. TXT`, `CREATE ${HOST}. A`, `CREATE ${HOST}. AAAA`]]);
    expect((await statusOf(w, 'weather'))?.endpoint).toBe(`https://${HOST}/mcp/weather`);
    expect(othersBytes()).toBe(before);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('changing the host: the new pair is created before the old pair is deleted, each pair in one batch, nothing else touched', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const oldTxt = record(`_berth.${HOST}`, 'TXT');
    const oldAlias = record(HOST, 'A');
    const oldAaaa = record(HOST, 'AAAA');
    expect(oldAaaa).toBeDefined();
    const NEW = `wx.${DOMAIN}`;
    const before = othersBytes();

    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, routing: { ...s.routing, host: NEW } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');

    expect(batchesSince(since).map(summary)).toEqual([
      [`CREATE _berth.${NEW}. TXT`, `CREATE ${NEW}. A`, `CREATE ${NEW}. AAAA`],
      [`DELETE _berth.${HOST}. TXT`, `DELETE ${HOST}. A`, `DELETE ${HOST}. AAAA`],
    ]);
    // The DELETE named exactly what was there (Route 53 deletes by exact match).
    const deleted = batchesSince(since)[1]!.map((c) => c.ResourceRecordSet);
    expect(deleted).toEqual(expect.arrayContaining([oldAlias, oldAaaa, oldTxt]));
    expect(record(HOST, 'A')).toBeUndefined();
    expect(record(HOST, 'AAAA')).toBeUndefined();
    expect(record(`_berth.${HOST}`, 'TXT')).toBeUndefined();
    expect(record(NEW, 'A')?.AliasTarget?.DNSName).toBe(`dualstack.${w.config.listeners[0]!.dnsName}.`);
    expect(record(NEW, 'AAAA')?.AliasTarget?.DNSName).toBe(`dualstack.${w.config.listeners[0]!.dnsName}.`);
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
    await createApproved(w.store, ecsServer('squatter', {}, { routing: { host: `taken.${DOMAIN}` } }));
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
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
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
    expect(record(`taken.${DOMAIN}`, 'AAAA')?.AliasTarget).toBeDefined();
    expect(record(`_berth.taken.${DOMAIN}`, 'TXT')?.ResourceRecords?.[0]?.Value).toContain('berth:server=squatter');
    // weather still asks for the same name, now Berth's but another server's: still Conflict, its old pair untouched.
    w.clock.advance(60_000);
    await w.reconciler.reconcile('weather');
    const stillBlocked = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(stillBlocked?.message).toContain('server squatter');
    expect(record(HOST, 'A')).toBeDefined();
    expect(record(HOST, 'AAAA')).toBeDefined();
    expect(record(`_berth.${HOST}`, 'TXT')?.ResourceRecords?.[0]?.Value).toContain('berth:server=weather');
  });

  it('retire removes both aliases and their TXT in one batch and nothing else in the zone', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await createApproved(w.store, ecsServer('neighbour', {}, { routing: { host: `neighbour.${DOMAIN}` } }));
    await converge(w, 'weather');
    await converge(w, 'neighbour');
    const alias = record(HOST, 'A');
    const aaaa = record(HOST, 'AAAA');
    const txt = record(`_berth.${HOST}`, 'TXT');
    const keep = zoneRecords().filter((r) => !(r.Name === `${HOST}.` && (r.Type === 'A' || r.Type === 'AAAA')) && !(r.Name === `_berth.${HOST}.` && r.Type === 'TXT'));
    expect(keep.length).toBe(zoneRecords().length - 3);
    const keepBytes = JSON.stringify(keep);

    const since = w.fake.lastCallSeq;
    await w.store.delete('MCPServer', 'weather');
    await converge(w, 'weather');
    expect(await w.store.get('MCPServer', 'weather')).toBeUndefined();
    const batches = batchesSince(since);
    expect(batches.map(summary)).toEqual([[`DELETE _berth.${HOST}. TXT`, `DELETE ${HOST}. A`, `DELETE ${HOST}. AAAA`]]);
    expect(batches[0]!.map((c) => c.ResourceRecordSet)).toEqual(expect.arrayContaining([alias, aaaa, txt]));
    // Everything else — SOA, NS, other people's records, the verification TXT at the same name,
    // another installation's ownership record, and the neighbour's pair — byte-identical.
    expect(JSON.stringify(zoneRecords())).toBe(keepBytes);
    expect(record(`neighbour.${DOMAIN}`, 'A')).toBeDefined();
    expect(record(`neighbour.${DOMAIN}`, 'AAAA')).toBeDefined();
    expect(await phaseOf(w, 'neighbour')).toBe('Ready');
  });

  it('a foreign AAAA alone at the host (no ownership TXT) is never touched: Conflict naming it', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await seed([{ Name: `v6.${DOMAIN}`, Type: 'AAAA', TTL: 300, ResourceRecords: [{ Value: '2001:db8::7' }] }]);
    const zoneBefore = JSON.stringify(zoneRecords());
    const since = w.fake.lastCallSeq;
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: `v6.${DOMAIN}` } }));
    for (let i = 0; i < 3; i++) {
      await w.reconciler.reconcile('weather');
      w.clock.advance(60_000);
    }
    const conflict = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.status).toBe('True');
    expect(conflict?.message).toContain(`v6.${DOMAIN}. AAAA already exists and is not Berth's`);
    expect(batchesSince(since)).toEqual([]);
    expect(JSON.stringify(zoneRecords())).toBe(zoneBefore);
  });

  it('upgrade: an installation with only A + TXT (from before AAAA support) gains the AAAA by CREATE in one batch with its TXT; A untouched; not drift', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const current = record(`_berth.${HOST}`, 'TXT')!;
    const oldTxt = await leaveOnlyAWithOldTxt(HOST);
    const a = record(HOST, 'A')!;
    const before = othersBytes();

    const since = w.fake.lastCallSeq;
    w.clock.advance(60_000); // the next resync
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const batches = batchesSince(since);
    // One atomic batch: the missing AAAA is created, and the ownership record is swapped (compare-and-swap on
    // exactly the old TXT) so it now vouches for both. The A is neither deleted nor re-created.
    expect(batches.map(summary)).toEqual([[`CREATE ${HOST}. AAAA`, `CREATE _berth.${HOST}. TXT`, `DELETE _berth.${HOST}. TXT`].sort()]);
    expect(batches[0]!.filter((c) => c.Action === 'DELETE').map((c) => c.ResourceRecordSet)).toEqual([oldTxt]);
    expect(record(HOST, 'A')).toEqual(a);
    expect(record(HOST, 'AAAA')).toEqual({ ...a, Type: 'AAAA' });
    // The TXT is what a fresh install writes.
    expect(record(`_berth.${HOST}`, 'TXT')).toEqual(current);
    expect(othersBytes()).toBe(before);
    // Adding what an older version never wrote is not something changed outside Berth.
    expect(await drifted()).toBeUndefined();
    expect(await driftAudits()).toEqual([]);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('upgrade with someone else\'s AAAA already at the host: Conflict, that AAAA never touched; removing it lets the upgrade finish', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    await leaveOnlyAWithOldTxt(HOST);
    // The old ownership record vouched for the A only: an AAAA added since is someone else's.
    const foreign: ResourceRecordSet = { Name: `${HOST}.`, Type: 'AAAA', TTL: 300, ResourceRecords: [{ Value: '2001:db8::1' }] };
    await seed([foreign]);
    const zoneBefore = JSON.stringify(zoneRecords());

    const since = w.fake.lastCallSeq;
    for (let i = 0; i < 3; i++) {
      w.clock.advance(60_000);
      await w.reconciler.reconcile('weather');
    }
    const conflict = (await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.status).toBe('True');
    expect(conflict?.message).toContain(`${HOST}. AAAA already exists and is not Berth's`);
    expect(batchesSince(since)).toEqual([]);
    expect(JSON.stringify(zoneRecords())).toBe(zoneBefore);

    await changeAsOther([{ Action: 'DELETE', ResourceRecordSet: foreign }]);
    w.clock.advance(60_000);
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    expect((await statusOf(w, 'weather'))?.conditions?.find((c) => c.type === 'Conflict')).toBeUndefined();
    expect(record(HOST, 'AAAA')?.AliasTarget?.DNSName).toBe(`dualstack.${w.config.listeners[0]!.dnsName}.`);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('retiring an A-only installation with someone else\'s AAAA at the host deletes A + TXT and leaves that AAAA alone', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const oldTxt = await leaveOnlyAWithOldTxt(HOST);
    const a = record(HOST, 'A')!;
    const foreign: ResourceRecordSet = { Name: `${HOST}.`, Type: 'AAAA', TTL: 300, ResourceRecords: [{ Value: '2001:db8::1' }] };
    await seed([foreign]);
    const foreignBytes = JSON.stringify(record(HOST, 'AAAA'));

    const since = w.fake.lastCallSeq;
    await w.store.delete('MCPServer', 'weather');
    await converge(w, 'weather');
    expect(await w.store.get('MCPServer', 'weather')).toBeUndefined();
    const batches = batchesSince(since);
    expect(batches.map(summary)).toEqual([[`DELETE _berth.${HOST}. TXT`, `DELETE ${HOST}. A`]]);
    expect(batches[0]!.map((c) => c.ResourceRecordSet)).toEqual(expect.arrayContaining([a, oldTxt]));
    expect(JSON.stringify(record(HOST, 'AAAA'))).toBe(foreignBytes);
  });

  it('an AAAA deleted or retargeted outside Berth is put back on the next pass and reported as drift; the A is untouched', async () => {
    w = await ecsWorld();
    await seed(UNRELATED);
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: HOST } }));
    await converge(w, 'weather');
    const a = record(HOST, 'A')!;
    const aaaa = record(HOST, 'AAAA')!;
    const txt = record(`_berth.${HOST}`, 'TXT')!;
    const before = othersBytes();
    expect(await drifted()).toBeUndefined();

    // Someone deletes the AAAA.
    await changeAsOther([{ Action: 'DELETE', ResourceRecordSet: aaaa }]);
    let since = w.fake.lastCallSeq;
    w.clock.advance(10_000);
    await w.reconciler.reconcile('weather');
    // Put back in one batch that also re-asserts the ownership record (compare-and-swap on the TXT).
    expect(batchesSince(since).map(summary)).toEqual([[`CREATE ${HOST}. AAAA`, `CREATE _berth.${HOST}. TXT`, `DELETE _berth.${HOST}. TXT`].sort()]);
    expect(record(HOST, 'AAAA')).toEqual(aaaa);
    expect(record(HOST, 'A')).toEqual(a);
    expect(record(`_berth.${HOST}`, 'TXT')).toEqual(txt);
    expect(await drifted()).toContain(`DNS record ${HOST}. AAAA: changed outside Berth (deleted)`);
    expect((await driftAudits()).join('\n')).toContain('AAAA');

    // Someone points the AAAA elsewhere.
    const hijacked: ResourceRecordSet = { ...aaaa, AliasTarget: { ...aaaa.AliasTarget!, DNSName: 'elsewhere.example.net.' } };
    await changeAsOther([{ Action: 'UPSERT', ResourceRecordSet: hijacked }]);
    since = w.fake.lastCallSeq;
    w.clock.advance(10_000);
    await w.reconciler.reconcile('weather');
    const batches = batchesSince(since);
    expect(batches.map(summary)).toEqual([[`CREATE ${HOST}. AAAA`, `CREATE _berth.${HOST}. TXT`, `DELETE ${HOST}. AAAA`, `DELETE _berth.${HOST}. TXT`].sort()]);
    // The DELETE named exactly what was there; A is neither deleted nor re-created.
    expect(batches[0]!.filter((c) => c.Action === 'DELETE').map((c) => c.ResourceRecordSet)).toEqual(expect.arrayContaining([hijacked, txt]));
    expect(record(HOST, 'AAAA')).toEqual(aaaa);
    expect(record(HOST, 'A')).toEqual(a);
    expect(await drifted()).toContain(`DNS record ${HOST}. AAAA: changed outside Berth (AAAA → elsewhere.example.net.)`);
    expect(othersBytes()).toBe(before);

    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });
});
