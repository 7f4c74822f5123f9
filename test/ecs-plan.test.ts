/**
 * `berth plan` with the ECS provider: prints the AWS actions per server with
 * reasons (the same planAll the CLI runs) and writes nothing to AWS.
 */
import { readdir, readFile } from 'node:fs/promises';
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { parse } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { applyDefaults } from '../src/manifest/defaults.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { targetGroupName } from '../src/providers/ecs/naming.ts';
import { planAll } from '../src/reconciler/plan-all.ts';
import { planResult, planToJson } from '../src/reconciler/plan.ts';
import { createFakeAwsClients } from './support/aws-fake/index.ts';
import { converge, ecsServer, ecsWorld, updateSpec, type EcsWorld } from './ecs-harness.ts';
import { createApproved } from './support/approvals.ts';

let w: EcsWorld;
afterEach(async () => {
  await w?.close();
});

it('prints every AWS action with its reason and makes only reads', async () => {
  w = await ecsWorld();
  await createApproved(w.store, ecsServer('weather', {}, { routing: { host: 'weather.mcp.example.com' } }));
  await createApproved(w.store, ecsServer('quote'));
  await converge(w, 'quote');
  await updateSpec(w, 'quote', (s) => ({ ...s, runtime: { ...s.runtime!, replicas: 2 } }));
  w.clock.advance(10_000);
  const since = w.fake.lastCallSeq;
  const report = await planAll(w.registry, [w.provider], 'dev');
  const text = report.text();
  expect(text).toContain('MCPServer/weather');
  expect(text).toMatch(/\+ create target group b-weather-[0-9a-f]{6} \[ecs\]: does not exist/);
  expect(text).toMatch(/\+ create listener rule for weather\.mcp\.example\.com\/mcp\/weather \[ecs\]: route .* \(priority \d+/);
  expect(text).toContain('+ register task definition berth-weather [ecs]: first revision');
  expect(text).toContain('+ create ecs service berth-weather [ecs]');
  expect(text).toContain('+ create dns weather.mcp.example.com. [ecs]');
  expect(text).toContain('~ update ecs service berth-quote [ecs]: desiredCount 1 → 2');
  expect(report.changes).toBe(2);
  expect(w.fake.callCounts({ since, writesOnly: true })).toEqual({});
});

/** The project's own example manifests that run on a runtime (examples/manifests), with defaults applied. */
async function exampleServers(): Promise<MCPServer[]> {
  const dir = new URL('../examples/manifests/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(files.map(async (f) => applyDefaults(parse(await readFile(new URL(f, dir), 'utf8')) as MCPServer)));
}

it('the examples plan in full right after apply and once converged: every server gets its own line, one that cannot be planned gets an error, converged ones say "no changes"', async () => {
  w = await ecsWorld();
  const servers = await exampleServers();
  const names = servers.map((s) => s.metadata.name);
  expect(names).toEqual(['everything', 'knowledge-base', 'quote', 'salesforce-opportunity']);
  for (const s of servers) await createApproved(w.store, s);

  // Right after apply, before the reconciler has looked at anything.
  const fresh = await planAll(w.registry, [w.provider], 'dev');
  const freshText = fresh.text();
  if (process.env['BERTH_TEST_LOG']) console.log(freshText);
  expect(fresh.plans.map((p) => p.name)).toEqual(names);
  for (const p of fresh.plans) {
    expect(freshText).toContain(`MCPServer/${p.name} (generation 1): deploy with ecs`);
    if (p.name === 'knowledge-base' && p.error !== undefined) {
      // stdio on ECS may not be supported: its own error line, the others still planned.
      expect(p.error).toMatch(/stdio/);
      expect(freshText).toMatch(/MCPServer\/knowledge-base[^\n]*\n {2}why: [^\n]*\n {2}! can't be planned: [^\n]*stdio/);
      continue;
    }
    expect(planResult(p)).toBe('changes');
    expect(freshText).toContain(`+ create ecs service berth-${p.name} [ecs]`);
  }
  expect(fresh.changes + fresh.errors).toBe(4);

  for (const name of names) await converge(w, name).catch(() => undefined); // knowledge-base may fail for good
  w.clock.advance(10_000);
  const since = w.fake.lastCallSeq;
  const report = await planAll(w.registry, [w.provider], 'dev');
  const text = report.text();
  if (process.env['BERTH_TEST_LOG']) console.log(text);
  expect(report.plans.map((p) => p.name)).toEqual(names);
  for (const p of report.plans) {
    if (p.name === 'knowledge-base' && p.blocked !== undefined) {
      // Failed permanently: reported as blocked, with the reason, never "no changes".
      expect(p.blocked.message).toMatch(/failed permanently/);
      expect(p.decision.reason).toMatch(/stdio/);
      expect(text).toMatch(/MCPServer\/knowledge-base[^\n]*: skip \(blocked\)\n {2}why: [^\n]*\n {2}! blocked \(Degraded, ProviderError\): /);
      continue;
    }
    expect(planResult(p)).toBe('no-changes');
    expect(text).toMatch(new RegExp(`MCPServer/${p.name} [^\\n]*\\n {2}why: [^\\n]*\\n {2}no changes: the runtime already matches`));
  }
  expect(report.changes).toBe(0);
  expect(report.errors).toBe(0);
  expect(text).toMatch(/Plan: 0 of 4 server\(s\) to change, (0 skipped|1 skipped, 1 blocked) \(environment dev\)\./);
  expect(w.fake.callCounts({ since, writesOnly: true })).toEqual({});
}, 30_000);

it('a server blocked by a foreign resource is reported as blocked (Conflict), never as "no changes"', async () => {
  w = await ecsWorld();
  const other = createFakeAwsClients(w.fake); // another actor in the same account
  const tgName = targetGroupName('bravo', { protocol: 'HTTP', port: 8080, vpcId: 'vpc-0fake0000000000001', targetType: 'ip' });
  await other.elbv2.send(new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-0fake0000000000001', TargetType: 'ip' }));
  await createApproved(w.store, ecsServer('bravo'));
  await createApproved(w.store, ecsServer('alpha'));
  await converge(w, 'alpha');
  const report = await planAll(w.registry, [w.provider], 'dev');
  const text = report.text();
  const bravo = report.plans.find((p) => p.name === 'bravo')!;
  expect(planResult(bravo)).toBe('blocked');
  expect(bravo.blocked).toMatchObject({ phase: 'Conflict', reason: 'ForeignResource' });
  expect(text).toMatch(new RegExp(`MCPServer/bravo[^\\n]*\\n {2}why: [^\\n]*\\n {2}! blocked \\(Conflict, ForeignResource\\): blocked by resources Berth does not own; nothing was changed: target group ${tgName} already exists`));
  expect(text).not.toMatch(/MCPServer\/bravo[^\n]*\n[^\n]*\n {2}no changes/);
  expect(planToJson(bravo).result).toBe('blocked');
  expect(report.blocked).toBe(1);
  expect(report.changes).toBe(0);
  expect(text).toContain('Plan: 0 of 2 server(s) to change, 0 skipped, 1 blocked (environment dev).');
}, 30_000);
