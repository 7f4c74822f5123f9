/**
 * The ECS provider converges each kind of change through the real reconciler and
 * real SDK clients into the AWS fake, and a second pass right after does ZERO writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bandOf, inBand } from '../src/providers/ecs/rule-order.ts';
import { converge, ecsServer, ecsWorld, inventory, phaseOf, statusOf, updateSpec, writesOfNextPass, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

async function createAndConverge(name = 'weather', host?: string): Promise<void> {
  await createApproved(w.store, ecsServer(name, {}, host ? { routing: { host } } : {}));
  await converge(w, name);
  expect(await phaseOf(w, name)).toBe('Ready');
}

describe('ECS provider convergence', () => {
  it('create: every resource tagged, Ready with an endpoint, then a no-op pass does zero writes', async () => {
    w = await ecsWorld();
    await createAndConverge('weather', 'weather.mcp.example.com');
    const snap = w.fake.snapshot();
    const svc = snap.ecs.services.find((s) => s.name === 'berth-weather')!;
    expect(svc.tags['berth:managed-by']).toBe('berth-test');
    expect(svc.tags['berth:server']).toBe('weather');
    expect(svc.tags['cost-center']).toBe('platform');
    expect(snap.ecs.taskDefinitions.every((t) => t.tags['berth:spec-hash']?.length === 64)).toBe(true);
    expect(snap.elbv2.targetGroups.every((t) => t.tags['berth:server'] === 'weather' && t.deregistrationDelaySeconds === 30)).toBe(true);
    expect(snap.elbv2.rules.filter((r) => r.priority !== 'default').every((r) => r.tags['berth:managed-by'] === 'berth-test')).toBe(true);
    expect(inventory(w)).toMatchObject({
      services: ['berth-weather:ACTIVE'],
      activeTaskDefinitions: ['berth-weather:1'],
      records: ['_berth.weather.mcp.example.com.:TXT', 'weather.mcp.example.com.:A', 'weather.mcp.example.com.:AAAA'],
    });
    const status = await statusOf(w, 'weather');
    expect(status?.endpoint).toBe('https://weather.mcp.example.com/mcp/weather');
    expect(status?.runtime?.['rollout']).toMatchObject({ rolloutState: 'COMPLETED', running: 1, desired: 1 });
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('new image: a new revision and deployment, the old one kept as last known-good; then zero writes', async () => {
    w = await ecsWorld();
    await createAndConverge();
    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:2' } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const writes = w.fake.callCounts({ writesOnly: true, since, outcome: 'ok' });
    expect(writes).toMatchObject({ RegisterTaskDefinition: 1, UpdateService: 1 });
    expect(writes['CreateService']).toBeUndefined();
    const snap = w.fake.snapshot();
    expect(snap.ecs.services[0]!.taskDefinition).toMatch(/berth-weather:2$/);
    expect(inventory(w).activeTaskDefinitions).toEqual(['berth-weather:1', 'berth-weather:2']);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
    // A third image: revision 1 is no longer the last known-good and is deregistered.
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, image: 'example/weather:3' } }));
    await converge(w, 'weather');
    expect(inventory(w).activeTaskDefinitions).toEqual(['berth-weather:2', 'berth-weather:3']);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('env change only: a new revision and deployment, nothing else', async () => {
    w = await ecsWorld();
    await createAndConverge();
    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, env: { LOG_LEVEL: 'debug' } } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const writes = w.fake.callCounts({ writesOnly: true, since, outcome: 'ok' });
    expect(Object.keys(writes).sort()).toEqual(['RegisterTaskDefinition', 'TagResource', 'UpdateService']);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('scale: desiredCount only, no new deployment or revision', async () => {
    w = await ecsWorld();
    await createAndConverge();
    const deploymentBefore = w.fake.snapshot().ecs.services[0]!.deployments[0]!.id;
    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, replicas: 3 } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const writes = w.fake.callCounts({ writesOnly: true, since, outcome: 'ok' });
    expect(writes).toEqual({ UpdateService: 1, TagResource: 1 });
    const update = w.fake.calls.find((c) => c.seq > since && c.operation === 'UpdateService')!.input as Record<string, unknown>;
    expect(Object.keys(update).sort()).toEqual(['cluster', 'desiredCount', 'service']);
    const svc = w.fake.snapshot().ecs.services[0]!;
    expect(svc.desiredCount).toBe(3);
    expect(svc.runningCount).toBe(3);
    expect(svc.deployments.map((d) => d.id)).toEqual([deploymentBefore]);
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('health-check change: the target group is modified in place', async () => {
    w = await ecsWorld();
    await createAndConverge();
    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, healthCheck: { ...s.runtime!.healthCheck, path: '/ready', intervalSeconds: 15 } } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const writes = w.fake.callCounts({ writesOnly: true, since, outcome: 'ok' });
    expect(writes['ModifyTargetGroup']).toBe(1);
    expect(writes['CreateTargetGroup']).toBeUndefined();
    expect(w.fake.snapshot().elbv2.targetGroups[0]!.healthCheckPath).toBe('/ready');
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('routing path and host change: a rule for the new route is created in its priority band before the old one goes; the DNS record moves', async () => {
    w = await ecsWorld();
    await createAndConverge('weather', 'weather.mcp.example.com');
    const since = w.fake.lastCallSeq;
    await updateSpec(w, 'weather', (s) => ({ ...s, routing: { path: '/tools/weather', host: 'wx.mcp.example.com' } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const writes = w.fake.callCounts({ writesOnly: true, since, outcome: 'ok' });
    // A longer path with a host is more specific: its rule belongs in an earlier band (rule-order.ts).
    expect(writes['ModifyRule']).toBeUndefined();
    expect(writes['CreateRule']).toBe(1);
    expect(writes['DeleteRule']).toBe(1);
    const creates = w.fake.calls.filter((c) => c.seq > since && c.outcome === 'ok' && (c.operation === 'CreateRule' || c.operation === 'DeleteRule')).map((c) => c.operation);
    expect(creates).toEqual(['CreateRule', 'DeleteRule']);
    const rules = w.fake.snapshot().elbv2.rules.filter((r) => r.priority !== 'default');
    expect(rules).toHaveLength(1);
    expect(inBand(rules[0]!.priority as number, bandOf('/tools/weather', 'wx.mcp.example.com'))).toBe(true);
    expect(JSON.stringify(rules[0]!.conditions)).toContain('/tools/weather');
    expect(JSON.stringify(rules[0]!.conditions)).toContain('wx.mcp.example.com');
    expect(inventory(w).records).toEqual(['_berth.wx.mcp.example.com.:TXT', 'wx.mcp.example.com.:A', 'wx.mcp.example.com.:AAAA']);
    expect((await statusOf(w, 'weather'))?.endpoint).toBe('https://wx.mcp.example.com/tools/weather');
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it("routing as the manifest's route rule normalises it: dot segments and slashes resolved (case kept), host in lower case without its trailing dot", async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather', {}, { routing: { path: '/tools/x/../Weather/', host: 'Wx.MCP.Example.com.' } }));
    await converge(w, 'weather');
    expect(await phaseOf(w, 'weather')).toBe('Ready');
    const rules = w.fake.snapshot().elbv2.rules.filter((r) => r.priority !== 'default');
    expect(rules.map((r) => r.conditions)).toMatchObject([
      [
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/tools/Weather', '/tools/Weather/*'] } },
        { Field: 'host-header', HostHeaderConfig: { Values: ['wx.mcp.example.com'] } },
      ],
    ]);
    expect((await statusOf(w, 'weather'))?.endpoint).toBe('https://wx.mcp.example.com/tools/Weather');
    expect(await writesOfNextPass(w, 'weather')).toEqual({});
  });

  it('retire: everything gone, in the safe order (DNS → rule → service → target group → task definitions)', async () => {
    w = await ecsWorld();
    await createAndConverge('weather', 'weather.mcp.example.com');
    const since = w.fake.lastCallSeq;
    await w.store.delete('MCPServer', 'weather');
    await converge(w, 'weather');
    expect(await w.store.get('MCPServer', 'weather')).toBeUndefined();
    expect(inventory(w)).toEqual({ services: [], activeTaskDefinitions: [], targetGroups: [], rules: [], records: [] });
    const order = w.fake.calls.filter((c) => c.seq > since && c.outcome === 'ok' && !/^(Describe|List|Get)/.test(c.operation)).map((c) => c.operation);
    const first = (op: string) => order.indexOf(op);
    expect(first('ChangeResourceRecordSets')).toBeLessThan(first('DeleteRule'));
    expect(first('DeleteRule')).toBeLessThan(first('DeleteService'));
    expect(first('UpdateService')).toBeLessThan(first('DeleteService'));
    expect(first('DeleteService')).toBeLessThan(first('DeleteTargetGroup'));
    expect(first('DeleteTargetGroup')).toBeLessThan(first('DeregisterTaskDefinition'));
    const after = w.fake.lastCallSeq;
    w.clock.advance(10_000);
    await w.reconciler.reconcile('weather');
    expect(w.fake.callCounts({ writesOnly: true, since: after })).toEqual({});
  });
});
