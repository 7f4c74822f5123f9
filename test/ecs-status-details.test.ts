/**
 * Honest status on ECS: status.runtime carries what AWS said — the ARNs Berth
 * owns, the listener rule, the PRIMARY deployment's rolloutState exactly as
 * given (or "unknown" when AWS gave none, never a guess), running/desired,
 * target health as last read, the last AWS error with its time — and
 * `berth describe server` prints it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeObject } from '../src/cli/commands/describe.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { toDesired } from '../src/reconciler/plan.ts';
import { converge, ecsServer, ecsWorld, statusOf, updateSpec, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

async function describeText(name: string): Promise<string> {
  return describeObject((await w.store.get('MCPServer', name)) as MCPServer, new Date(w.clock.now()));
}

describe('ECS status details', () => {
  it('describe shows the task definition, service, target group and rule ARNs, the rule, rollout state, counts and target health, as AWS gave them', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather', {}, { routing: { host: 'weather.mcp.example.com' } }));
    await converge(w, 'weather');
    const snap = w.fake.snapshot();
    const svc = snap.ecs.services[0]!;
    const rule = snap.elbv2.rules.find((r) => r.priority !== 'default')!;
    const tg = snap.elbv2.targetGroups[0]!;
    const runtime = (await statusOf(w, 'weather'))?.runtime as Record<string, any>;
    expect(runtime['arns']).toMatchObject({ service: svc.arn, taskDefinition: svc.taskDefinition, targetGroup: tg.arn, listenerRule: rule.arn });
    expect(runtime['rule']).toMatchObject({ arn: rule.arn, priority: rule.priority });
    expect(runtime['rollout']).toMatchObject({ rolloutState: svc.deployments.find((d) => d.status === 'PRIMARY')!.rolloutState, running: 1, desired: 1 });
    expect(runtime['targets']).toMatchObject({ healthy: 1, unhealthy: 0, checkedAt: expect.stringMatching(/^\d{4}-/) });

    const text = await describeText('weather');
    if (process.env['BERTH_TEST_LOG']) console.log(text);
    const line = (label: string, value: string): RegExp => new RegExp(`\\n {2}${label}: +${value.replace(/[/.*+?()[\]]/g, '\\$&')}\\n`);
    expect(text).toMatch(line('Task definition', svc.taskDefinition));
    expect(text).toMatch(line('Service', svc.arn));
    expect(text).toMatch(line('Target group', tg.arn));
    expect(text).toMatch(new RegExp(`Listener rule: +${rule.arn.replace(/[/.]/g, '\\$&')} \\(priority ${rule.priority}\\) .*/mcp/weather`));
    expect(text).toMatch(/Rollout: +COMPLETED \(deployment [^)]+\), 1\/1 running/);
    expect(text).toMatch(/Tasks: +1 running, 0 pending, 1 desired \(service ACTIVE\)/);
    expect(text).toMatch(/Target health: +1 healthy, 0 unhealthy, 0 initial, 0 draining \(read \d{4}-[^)]+\)/);
    expect(text).toMatch(line('DNS', 'weather.mcp.example.com.'));
  }, 30_000);

  it('a rollout AWS gave no state for is "unknown" in the message and status.runtime, never IN_PROGRESS', async () => {
    w = await ecsWorld();
    const server = ecsServer('weather');
    await createApproved(w.store, server);
    await converge(w, 'weather');
    w.clock.advance(10_000);
    const obs = await w.provider.observe('weather');
    const primary = obs.service!.deployments.find((d) => d.status === 'PRIMARY')!;
    delete primary.rolloutState;
    const state = w.provider.assess(toDesired((await w.store.get('MCPServer', 'weather')) as MCPServer), obs) as Awaited<ReturnType<typeof w.provider.assess>>;
    expect(state.phase).toBe('Progressing');
    expect(state.message).toContain(`deployment ${primary.id} rollout state unknown (AWS gave none): 1/1 running`);
    expect(state.message).not.toContain('IN_PROGRESS');
    expect((state.details as Record<string, any>)['rollout']).toMatchObject({ rolloutState: 'unknown' });
  }, 30_000);

  it('the last AWS error is kept with its time and when it was resolved, and describe prints it', async () => {
    w = await ecsWorld();
    await createApproved(w.store, ecsServer('weather'));
    await converge(w, 'weather');
    await updateSpec(w, 'weather', (s) => ({ ...s, runtime: { ...s.runtime!, replicas: 2 } }));
    w.fake.faults.failNext({ operation: 'UpdateService', kind: 'server-error', times: 20 });
    w.clock.advance(10_000);
    const before = w.clock.now();
    await expect(w.reconciler.reconcile('weather')).rejects.toThrow(/update ecs service berth-weather/);
    const failed = w.clock.now(); // the SDK's retries ran on the simulated clock
    w.clock.advance(60_000);
    await converge(w, 'weather', 200);
    const runtime = (await statusOf(w, 'weather'))?.runtime as Record<string, any>;
    expect(runtime['lastError']).toMatchObject({ code: 'ServerException', message: expect.stringContaining('Internal server error'), resolvedAt: expect.stringMatching(/^\d{4}-/) });
    // The last failing attempt (the fault outlasted the first pass), then the pass that went through.
    const at = Date.parse(runtime['lastError'].at);
    expect(at).toBeGreaterThanOrEqual(failed);
    expect(Date.parse(runtime['lastError'].resolvedAt)).toBeGreaterThan(at);
    expect(before).toBeLessThan(failed);
    const text = await describeText('weather');
    expect(text).toMatch(/Last AWS error: +\S+: .+ \(at \d{4}-[^;]+; resolved \d{4}-[^)]+\)/);
  }, 30_000);
});
