import {
  AddTagsCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  DeregisterTargetsCommand,
  DuplicateTargetGroupNameException,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  PriorityInUseException,
  RegisterTargetsCommand,
  ResourceInUseException,
  SetRulePrioritiesCommand,
  TargetGroupNotFoundException,
  TooManyRulesException,
  TooManyUniqueTargetGroupsPerLoadBalancerException,
  type CreateTargetGroupCommandInput,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { newScenario, routedTargetGroup } from './scenario.ts';

const TG: CreateTargetGroupCommandInput = { Name: 'weather-a1b2c3', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/healthz' };

describe('ELBv2 target groups', () => {
  it('enforces the naming rules with ValidationError', async () => {
    const { elbv2 } = newScenario();
    for (const Name of ['x'.repeat(33), 'has_underscore', '-leading', 'trailing-', 'internal-thing']) {
      const error = await elbv2.send(new CreateTargetGroupCommand({ ...TG, Name })).catch((e: unknown) => e as Error);
      expect((error as Error).name, Name).toBe('ValidationError');
    }
    const ok = await elbv2.send(new CreateTargetGroupCommand({ ...TG, Name: 'a'.repeat(32) }));
    expect(ok.TargetGroups![0]!.TargetGroupName).toBe('a'.repeat(32));
  });

  it('same name + same settings returns the existing group (AWS idempotency); different settings → DuplicateTargetGroupName', async () => {
    const { elbv2, fake } = newScenario();
    const first = await elbv2.send(new CreateTargetGroupCommand({ ...TG, Tags: [{ Key: 'berth:server', Value: 'weather' }] }));
    const again = await elbv2.send(new CreateTargetGroupCommand(TG));
    expect(again.TargetGroups![0]!.TargetGroupArn).toBe(first.TargetGroups![0]!.TargetGroupArn);
    await expect(elbv2.send(new CreateTargetGroupCommand({ ...TG, Port: 9090 }))).rejects.toBeInstanceOf(DuplicateTargetGroupNameException);
    expect(fake.snapshot().elbv2.targetGroups).toHaveLength(1);
    // Defaults AWS fills in: a naive comparison against the input would see differences.
    expect(first.TargetGroups![0]).toMatchObject({ HealthCheckIntervalSeconds: 30, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, Matcher: { HttpCode: '200' }, HealthCheckPort: 'traffic-port' });
    const tags = await elbv2.send(new DescribeTagsCommand({ ResourceArns: [first.TargetGroups![0]!.TargetGroupArn!] }));
    expect(tags.TagDescriptions![0]!.Tags).toEqual([{ Key: 'berth:server', Value: 'weather' }]);
  });

  it('DeleteTargetGroup: ResourceInUse while a rule forwards to it; fine after; deleting a missing group succeeds', async () => {
    const { elbv2, listenerArn } = newScenario();
    const { targetGroupArn, ruleArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await expect(elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }))).rejects.toBeInstanceOf(ResourceInUseException);
    await elbv2.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }));
    await elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }));
    await expect(elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });

  it('DescribeTargetGroups pages with Marker (PageSize ≤ 400) and filters by load balancer', async () => {
    const { elbv2, listenerArn, loadBalancer } = newScenario();
    for (let i = 0; i < 5; i++) await elbv2.send(new CreateTargetGroupCommand({ ...TG, Name: `tg-${i}` }));
    await routedTargetGroup(elbv2, listenerArn, 'routed', 10);
    const names: string[] = [];
    let Marker: string | undefined;
    do {
      const out = await elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 2, Marker }));
      expect(out.TargetGroups!.length).toBeLessThanOrEqual(2);
      names.push(...out.TargetGroups!.map((t) => t.TargetGroupName!));
      Marker = out.NextMarker;
    } while (Marker);
    expect(names.sort()).toEqual(['routed', 'tg-0', 'tg-1', 'tg-2', 'tg-3', 'tg-4']);
    const byLb = await elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancer.arn }));
    expect(byLb.TargetGroups!.map((t) => t.TargetGroupName)).toEqual(['routed']);
    await expect(elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 401 }))).rejects.toThrow(/between 1 and 400/);
  });

  it('target health moves with the clock: initial → healthy after threshold × interval; draining for the deregistration delay', async () => {
    const { elbv2, listenerArn, clock } = newScenario();
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    await elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3 }));
    await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '45' }] }));
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: '10.0.0.5', Port: 8080 }] }));
    const state = async (): Promise<string | undefined> =>
      (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions![0]?.TargetHealth?.State;
    expect(await state()).toBe('initial');
    clock.advance(29_000);
    expect(await state()).toBe('initial');
    clock.advance(1_000);
    expect(await state()).toBe('healthy');
    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: '10.0.0.5', Port: 8080 }] }));
    expect(await state()).toBe('draining');
    clock.advance(45_000);
    expect(await state()).toBeUndefined();
  });

  it('an invalid deregistration delay is refused', async () => {
    const { elbv2 } = newScenario();
    const tg = await elbv2.send(new CreateTargetGroupCommand(TG));
    await expect(
      elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '4000' }] })),
    ).rejects.toThrow(/0 to 3600/);
  });
});

describe('ELBv2 listener rules', () => {
  it('PriorityInUse, priority bounds, and CreateRule is NOT idempotent (same input twice → two rules)', async () => {
    const { elbv2, listenerArn, fake } = newScenario();
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    const rule = (Priority: number) => new CreateRuleCommand({ ListenerArn: listenerArn, Priority, Conditions: [{ Field: 'path-pattern', Values: ['/w/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] });
    await expect(elbv2.send(rule(10))).rejects.toBeInstanceOf(PriorityInUseException);
    for (const bad of [0, 50001]) await expect(elbv2.send(rule(bad))).rejects.toThrow(/between 1 and 50000/);
    await elbv2.send(rule(11));
    const rules = fake.snapshot().elbv2.rules.filter((r) => r.priority !== 'default');
    expect(rules.map((r) => r.priority)).toEqual([10, 11]);
    expect(rules.every((r) => r.targetGroupArns[0] === targetGroupArn)).toBe(true);
  });

  it('at most 5 condition values; Values and PathPatternConfig together are refused', async () => {
    const { elbv2, listenerArn } = newScenario();
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10);
    const Actions = [{ Type: 'forward' as const, TargetGroupArn: targetGroupArn }];
    const six = await elbv2
      .send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 20, Actions, Conditions: [{ Field: 'path-pattern', Values: ['/a', '/b', '/c', '/d'] }, { Field: 'host-header', Values: ['a.example.com', 'b.example.com'] }] }))
      .catch((e: unknown) => e as Error);
    expect(six).toMatchObject({ name: 'ValidationError', message: "A rule can only have '5' condition values" });
    await expect(
      elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 21, Actions, Conditions: [{ Field: 'path-pattern', Values: ['/a'], PathPatternConfig: { Values: ['/a'] } }] })),
    ).rejects.toThrow(/both 'Values' and 'PathPatternConfig'/);
  });

  it('DescribeRules returns both condition shapes; feeding them straight back to ModifyRule fails; one shape works', async () => {
    const { elbv2, listenerArn } = newScenario();
    const { ruleArn } = await routedTargetGroup(elbv2, listenerArn, 'weather-tg', 10, '/weather/*');
    const described = await elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const condition = described.Rules![0]!.Conditions![0]!;
    expect(condition).toEqual({ Field: 'path-pattern', Values: ['/weather/*'], PathPatternConfig: { Values: ['/weather/*'] } });
    await expect(elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [condition] }))).rejects.toThrow(/both/);
    await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/weather2/*'] } }] }));
    const after = await elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    expect(after.Rules![0]!.Conditions![0]!.Values).toEqual(['/weather2/*']);
  });

  it('DescribeRules by listener includes the default rule last and pages', async () => {
    const { elbv2, listenerArn } = newScenario();
    for (let i = 0; i < 3; i++) await routedTargetGroup(elbv2, listenerArn, `tg-${i}`, 30 - i);
    const priorities: string[] = [];
    let Marker: string | undefined;
    do {
      const out = await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 2, Marker }));
      priorities.push(...out.Rules!.map((r) => r.Priority!));
      Marker = out.NextMarker;
    } while (Marker);
    expect(priorities).toEqual(['28', '29', '30', 'default']);
  });

  it('100 rules per load balancer (TooManyRules) and 100 unique target groups per load balancer', async () => {
    const { elbv2, listenerArn } = newScenario({ elbv2Limits: { rulesPerLoadBalancer: 3, targetGroupsPerLoadBalancer: 2 } });
    const { targetGroupArn } = await routedTargetGroup(elbv2, listenerArn, 'tg-0', 1);
    await routedTargetGroup(elbv2, listenerArn, 'tg-1', 2);
    const third = await elbv2.send(new CreateTargetGroupCommand({ ...TG, Name: 'tg-2' }));
    await expect(
      elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 3, Conditions: [{ Field: 'path-pattern', Values: ['/c'] }], Actions: [{ Type: 'forward', TargetGroupArn: third.TargetGroups![0]!.TargetGroupArn }] })),
    ).rejects.toBeInstanceOf(TooManyUniqueTargetGroupsPerLoadBalancerException);
    await elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 3, Conditions: [{ Field: 'path-pattern', Values: ['/c'] }], Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] }));
    await expect(
      elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 4, Conditions: [{ Field: 'path-pattern', Values: ['/d'] }], Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] })),
    ).rejects.toBeInstanceOf(TooManyRulesException);
  });

  it('SetRulePriorities can swap two priorities atomically but not collide with a third', async () => {
    const { elbv2, listenerArn } = newScenario();
    const a = await routedTargetGroup(elbv2, listenerArn, 'tg-a', 1);
    const b = await routedTargetGroup(elbv2, listenerArn, 'tg-b', 2);
    await routedTargetGroup(elbv2, listenerArn, 'tg-c', 3);
    await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: a.ruleArn, Priority: 2 }, { RuleArn: b.ruleArn, Priority: 1 }] }));
    await expect(elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: a.ruleArn, Priority: 3 }] }))).rejects.toBeInstanceOf(PriorityInUseException);
  });

  it('tags: in the create call, AddTags, DescribeTags limit of 20 ARNs', async () => {
    const { elbv2, listenerArn } = newScenario();
    const { ruleArn } = await routedTargetGroup(elbv2, listenerArn, 'tg-a', 1);
    await elbv2.send(new AddTagsCommand({ ResourceArns: [ruleArn], Tags: [{ Key: 'berth:server', Value: 'a' }] }));
    expect((await elbv2.send(new DescribeTagsCommand({ ResourceArns: [ruleArn] }))).TagDescriptions![0]!.Tags).toEqual([{ Key: 'berth:server', Value: 'a' }]);
    await expect(elbv2.send(new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, () => ruleArn) }))).rejects.toThrow(/less than or equal to 20/);
  });
});

describe('ELBv2 rule evaluation (routeRequest)', () => {
  async function forward(elbv2: ReturnType<typeof newScenario>['elbv2'], listenerArn: string, name: string, priority: number, conditions: RuleCondition[]): Promise<string> {
    const tg = await elbv2.send(new CreateTargetGroupCommand({ ...TG, Name: name }));
    const arn = tg.TargetGroups![0]!.TargetGroupArn!;
    await elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: conditions, Actions: [{ Type: 'forward', TargetGroupArn: arn }] }));
    return arn;
  }

  it('lowest priority first, the default rule last; paths with case and wildcards, hosts without case', async () => {
    const { elbv2, fake, listenerArn } = newScenario();
    const nest = await forward(elbv2, listenerArn, 'nest', 10, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/mcp/nest', '/mcp/nest/*'] } }]);
    const deep = await forward(elbv2, listenerArn, 'deep', 20, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/mcp/nest/deep', '/mcp/nest/deep/*'] } }]);
    const hosted = await forward(elbv2, listenerArn, 'hosted', 5, [
      { Field: 'path-pattern', Values: ['/mcp/v?'] },
      { Field: 'host-header', Values: ['*.Example.com'] },
    ]);
    const route = (host: string, path: string) => fake.elbv2.routeRequest(listenerArn, { host, path }).targetGroupArns;
    expect(route('x', '/mcp/nest')).toEqual([nest]);
    // Priority 10 is evaluated before 20: the deeper path is shadowed, as on a real ALB.
    expect(route('x', '/mcp/nest/deep')).toEqual([nest]);
    expect(route('x', '/mcp/Nest')).toEqual([]); // case-sensitive path → default (fixed 404)
    expect(fake.elbv2.routeRequest(listenerArn, { host: 'x', path: '/mcp/Nest' }).priority).toBe('default');
    expect(route('sales.EXAMPLE.com:443', '/mcp/v1')).toEqual([hosted]);
    expect(route('example.com', '/mcp/v1')).toEqual([]); // `*.` needs a label before the dot
    expect(route('a.example.com', '/mcp/v12')).toEqual([]); // `?` is exactly one character
    await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: fake.elbv2.routeRequest(listenerArn, { host: 'x', path: '/mcp/nest/deep' }).ruleArn, Priority: 30 }] }));
    expect(route('x', '/mcp/nest/deep/tools')).toEqual([deep]);
  });

  it('refuses more than 5 condition values and values over 128 characters with ValidationError', async () => {
    const { elbv2, listenerArn } = newScenario();
    const tg = await elbv2.send(new CreateTargetGroupCommand(TG));
    const Actions = [{ Type: 'forward' as const, TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn }];
    const six = await elbv2
      .send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 1, Actions, Conditions: [{ Field: 'path-pattern', Values: ['/a', '/b', '/c', '/d', '/e'] }, { Field: 'host-header', Values: ['h'] }] }))
      .catch((e: Error) => e);
    expect(six).toMatchObject({ name: 'ValidationError', message: "A rule can only have '5' condition values" });
    const long = `/${'p'.repeat(127)}/*`;
    const tooLong = await elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 1, Actions, Conditions: [{ Field: 'path-pattern', Values: [long] }] })).catch((e: Error) => e);
    expect(tooLong).toMatchObject({ name: 'ValidationError' });
    expect((tooLong as Error).message).toContain('the limit is 128');
  });
});
