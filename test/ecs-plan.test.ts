/**
 * `berth plan` with the ECS provider: prints the AWS actions per server with
 * reasons (the same planAll the CLI runs) and writes nothing to AWS.
 */
import { afterEach, expect, it } from 'vitest';
import { planAll } from '../src/reconciler/plan-all.ts';
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
