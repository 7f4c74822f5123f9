/**
 * Listener rules ordered by specificity: on a load balancer that evaluates rules
 * as AWS does (the fake's routeRequest), nested and overlapping routes reach
 * their own target group whatever the order servers come and go in; rules left
 * at hash priorities by an older Berth are moved in one atomic call; a foreign
 * rule that overlaps a route is reported as Conflict and nothing is written.
 */
import { CreateRuleCommand, CreateTargetGroupCommand, SetRulePrioritiesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { isTerminal } from '../src/kit/errors.ts';
import type { MCPServer, MCPServerSpec } from '../src/manifest/types.ts';
import { bandOf, inBand } from '../src/providers/ecs/rule-order.ts';
import { createFakeAwsClients, isReadOperation } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, phaseOf, statusOf, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

/**
 * Servers whose routes nest and overlap (each one the registry's route rule accepts
 * beside the others), named so that priorities hashed from the names (Berth before
 * bands: mcp 2187, hosted 21025, nest 35743, nest-deep 35871) get the order wrong.
 */
const ROUTES: Record<string, NonNullable<MCPServerSpec['routing']>> = {
  mcp: { path: '/mcp' },
  nest: { path: '/mcp/nest' },
  'nest-deep': { path: '/mcp/nest/deep' },
  hosted: { path: '/mcp/nest/h', host: 'h.mcp.example.com' },
};

/** Requests probed after every step: host, path. */
const PROBES: Array<[string, string]> = [
  ['any.example.com', '/mcp'],
  ['any.example.com', '/mcp/other'],
  ['any.example.com', '/mcp/nest'],
  ['any.example.com', '/mcp/nest/tools'],
  ['any.example.com', '/mcp/nest/deep'],
  ['any.example.com', '/mcp/nest/deep/x/y'],
  ['any.example.com', '/mcp/nest/h'],
  ['H.mcp.example.com', '/mcp/nest/h'],
  ['h.mcp.example.com', '/mcp/nest/h/sub'],
  ['h.mcp.example.com', '/mcp/nest/deep'],
  ['any.example.com', '/other'],
];

/** The server a request should reach among `present`: the deepest route serving it, a host route before an any-host one. */
function expectedServer(present: readonly string[], host: string, path: string): string | undefined {
  const serving = present.filter((name) => {
    const r = ROUTES[name]!;
    const pathOk = path === r.path || path.startsWith(`${r.path}/`);
    return pathOk && (r.host === undefined || r.host === host.toLowerCase());
  });
  serving.sort((a, b) => ROUTES[b]!.path!.length - ROUTES[a]!.path!.length || (ROUTES[b]!.host ? 1 : 0) - (ROUTES[a]!.host ? 1 : 0));
  return serving[0];
}

/** Asserts every probe reaches the expected server's target group (or the listener's default). */
function expectRouting(present: readonly string[], step: string): void {
  const listener = w.config.listeners[0]!.arn;
  const groups = w.fake.snapshot().elbv2.targetGroups;
  for (const [host, path] of PROBES) {
    const want = expectedServer(present, host, path);
    const got = w.fake.elbv2.routeRequest(listener, { host, path }).targetGroupArns;
    const gotServer = got.length === 0 ? undefined : groups.find((g) => g.arn === got[0])?.tags['berth:server'];
    expect(gotServer, `${step}: ${host}${path}`).toBe(want);
  }
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('listener rules by specificity', () => {
  const orders = permutations(Object.keys(ROUTES));
  it(`every request reaches the most specific route after any order of creates and deletes (${orders.length} orders)`, { timeout: 240_000 }, async () => {
    for (const order of orders) {
      w = await ecsWorld();
      const present: string[] = [];
      for (const name of order) {
        await createApproved(w.store, ecsServer(name, {}, { routing: ROUTES[name]! }));
        await converge(w, name);
        expect(await phaseOf(w, name)).toBe('Ready');
        present.push(name);
        expectRouting(present, `create ${order.join(',')} up to ${name}`);
      }
      // No renumbering was ever needed: each rule went straight into its band.
      expect(w.fake.callCounts({ writesOnly: true })['SetRulePriorities']).toBeUndefined();
      for (const rule of w.fake.snapshot().elbv2.rules.filter((r) => r.priority !== 'default')) {
        const route = ROUTES[rule.tags['berth:server']!]!;
        expect(inBand(rule.priority as number, bandOf(route.path!, route.host))).toBe(true);
      }
      // Delete in a rotated order, so deletes interleave differently from creates.
      const deletes = [...order.slice(2), ...order.slice(0, 2)];
      for (const name of deletes) {
        await w.store.delete('MCPServer', name);
        await converge(w, name);
        present.splice(present.indexOf(name), 1);
        expectRouting(present, `delete ${deletes.join(',')} up to ${name}`);
      }
      await w.close();
    }
  });

  it('interleaved creates, deletes and a route moving between bands: every request reaches the most specific route after each step', { timeout: 120_000 }, async () => {
    // A seeded walk: each step creates a missing server or deletes a present one.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed >>> 16) % n; // the high bits: an LCG's low bits cycle quickly
    };
    w = await ecsWorld();
    const present: string[] = [];
    const names = Object.keys(ROUTES);
    for (let step = 0; step < 16; step++) {
      const name = names[next(names.length)]!;
      if (present.includes(name)) {
        await w.store.delete('MCPServer', name);
        await converge(w, name);
        present.splice(present.indexOf(name), 1);
      } else {
        await createApproved(w.store, ecsServer(name, {}, { routing: ROUTES[name]! }));
        await converge(w, name);
        present.push(name);
      }
      expectRouting(present, `step ${step} (${name})`);
    }
    // nest-deep moves to a deeper path (a later band → an earlier one): a new rule first, then the old one goes.
    if (!present.includes('nest-deep')) {
      await createApproved(w.store, ecsServer('nest-deep', {}, { routing: ROUTES['nest-deep']! }));
      await converge(w, 'nest-deep');
      present.push('nest-deep');
    }
    const cur = (await w.store.get('MCPServer', 'nest-deep')) as MCPServer;
    await w.store.update({ ...cur, spec: { ...cur.spec, routing: { path: '/mcp/nest/deep/er' } } });
    await converge(w, 'nest-deep');
    const listener = w.config.listeners[0]!.arn;
    const deepGroup = w.fake.snapshot().elbv2.targetGroups.find((g) => g.tags['berth:server'] === 'nest-deep')!.arn;
    expect(w.fake.elbv2.routeRequest(listener, { host: 'x', path: '/mcp/nest/deep/er/t' }).targetGroupArns).toEqual([deepGroup]);
    expect(w.fake.elbv2.routeRequest(listener, { host: 'x', path: '/mcp/nest/deep' }).targetGroupArns).not.toEqual([deepGroup]);
    expect(w.fake.snapshot().elbv2.rules.filter((r) => r.tags['berth:server'] === 'nest-deep')).toHaveLength(1);
  });

  it('rules an older Berth left at hash priorities (deep shadowed by nest) are moved into their bands in one atomic SetRulePriorities', async () => {
    w = await ecsWorld();
    for (const name of ['nest', 'nest-deep']) {
      await createApproved(w.store, ecsServer(name, {}, { routing: ROUTES[name]! }));
      await converge(w, name);
    }
    const listener = w.config.listeners[0]!.arn;
    const byServer = (name: string) => w.fake.snapshot().elbv2.rules.find((r) => r.tags['berth:server'] === name)!;
    // What the hash-priority Berth did: nest at 35743, deep at 35871 (AWS evaluates nest first).
    const other = createFakeAwsClients(w.fake);
    await other.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: byServer('nest').arn, Priority: 35743 }, { RuleArn: byServer('nest-deep').arn, Priority: 35871 }] }));
    const deepGroup = byServer('nest-deep').targetGroupArns[0];
    expect(w.fake.elbv2.routeRequest(listener, { host: 'x', path: '/mcp/nest/deep' }).targetGroupArns).not.toEqual([deepGroup]);

    // Any pass of any server on that listener puts both in order at once.
    w.clock.advance(10_000);
    const since = w.fake.lastCallSeq;
    await w.reconciler.reconcile('nest');
    const moves = w.fake.calls.filter((c) => c.seq > since && c.operation === 'SetRulePriorities' && c.outcome === 'ok');
    expect(moves).toHaveLength(1);
    expect((moves[0]!.input as { RulePriorities: unknown[] }).RulePriorities).toHaveLength(2);
    expect(w.fake.callCounts({ writesOnly: true, since })).toEqual({ SetRulePriorities: 1 });
    expect(w.fake.elbv2.routeRequest(listener, { host: 'x', path: '/mcp/nest/deep' }).targetGroupArns).toEqual([deepGroup]);
    expect(inBand(byServer('nest').priority as number, bandOf('/mcp/nest', undefined))).toBe(true);
    expect(inBand(byServer('nest-deep').priority as number, bandOf('/mcp/nest/deep', undefined))).toBe(true);
    w.clock.advance(10_000);
    const after = w.fake.lastCallSeq;
    await w.reconciler.reconcile('nest-deep');
    await w.reconciler.reconcile('nest');
    expect(w.fake.callCounts({ writesOnly: true, since: after })).toEqual({});
  });
});

describe('foreign rules that overlap a route', () => {
  async function foreignRule(priority: number, paths: string[], host?: string): Promise<string> {
    const other = createFakeAwsClients(w.fake);
    const tg = await other.elbv2.send(new CreateTargetGroupCommand({ Name: `foreign-${priority}`, Protocol: 'HTTP', Port: 80, VpcId: 'vpc-0fake0000000000001', TargetType: 'ip' }));
    const out = await other.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: w.config.listeners[0]!.arn,
        Priority: priority,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: paths } }, ...(host !== undefined ? [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }] : [])],
        Actions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn }],
      }),
    );
    return out.Rules![0]!.RuleArn!;
  }

  it('a foreign rule evaluated first that covers the route → Conflict naming its ARN, priority and conditions; nothing is written', async () => {
    w = await ecsWorld();
    const arn = await foreignRule(1, ['/mcp/*']);
    const since = w.fake.lastCallSeq;
    await createApproved(w.store, ecsServer('alpha'));
    await w.reconciler.reconcile('alpha');
    const status = await statusOf(w, 'alpha');
    const conflict = status?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.status).toBe('True');
    expect(conflict?.message).toContain(`listener rule ${arn} (priority 1, conditions path-pattern=/mcp/*)`);
    expect(conflict?.message).toContain('evaluated before');
    expect(w.fake.calls.filter((c) => c.seq > since && !isReadOperation(c.operation))).toEqual([]);
  });

  it('a foreign rule for a deeper path, evaluated after, would be shadowed by the route → Conflict', async () => {
    w = await ecsWorld();
    await foreignRule(50_000, ['/mcp/beta/tools/*']);
    await createApproved(w.store, ecsServer('beta'));
    await w.reconciler.reconcile('beta');
    const conflict = (await statusOf(w, 'beta'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.message).toContain('evaluated after');
  });

  it('a foreign catch-all evaluated after the route, or a foreign rule for another host, is no conflict: the server converges and wins its own requests', async () => {
    w = await ecsWorld();
    await foreignRule(50_000, ['/*']);
    await foreignRule(2, ['/mcp/gamma', '/mcp/gamma/*'], 'other.example.com');
    await createApproved(w.store, ecsServer('gamma', {}, { routing: { host: 'gamma.mcp.example.com' } }));
    await converge(w, 'gamma');
    expect(await phaseOf(w, 'gamma')).toBe('Ready');
    const gammaGroup = w.fake.snapshot().elbv2.targetGroups.find((g) => g.tags['berth:server'] === 'gamma')!.arn;
    expect(w.fake.elbv2.routeRequest(w.config.listeners[0]!.arn, { host: 'Gamma.mcp.example.com', path: '/mcp/gamma/t' }).targetGroupArns).toEqual([gammaGroup]);
  });

  it('a foreign rule for one host on the path of an any-host route is evaluated first and takes that host’s requests → Conflict', async () => {
    w = await ecsWorld();
    await foreignRule(2, ['/mcp/epsilon', '/mcp/epsilon/*'], 'other.example.com');
    await createApproved(w.store, ecsServer('epsilon'));
    await w.reconciler.reconcile('epsilon');
    const conflict = (await statusOf(w, 'epsilon'))?.conditions?.find((c) => c.type === 'Conflict');
    expect(conflict?.message).toContain('host-header=other.example.com');
  });
});

describe("AWS's limits", () => {
  it("an AWS ValidationError is terminal: the server's status carries AWS's message and the pass is not retried", async () => {
    // A load balancer allowing fewer condition values than Berth's rule has (path, path/*, host).
    w = await ecsWorld({ fake: { elbv2Limits: { conditionValuesPerRule: 2 } } });
    await createApproved(w.store, ecsServer('delta', {}, { routing: { host: 'delta.mcp.example.com' } }));
    let failure: unknown;
    for (let pass = 0; pass < 5 && failure === undefined; pass++) {
      try {
        const out = await w.reconciler.reconcile('delta');
        w.clock.advance(Math.max(out.requeueAfterMs ?? 1, 1));
      } catch (err) {
        failure = err;
      }
    }
    expect(isTerminal(failure)).toBe(true);
    await w.reconciler.recordFailure({ key: 'delta', error: failure, terminal: true, attempt: 1 });
    const status = await statusOf(w, 'delta');
    expect(JSON.stringify(status)).toContain("A rule can only have '2' condition values");
    const since = w.fake.lastCallSeq;
    w.clock.advance(60_000);
    await w.reconciler.reconcile('delta');
    expect(w.fake.calls.filter((c) => c.seq > since && c.operation === 'CreateRule')).toEqual([]);
  });
});
