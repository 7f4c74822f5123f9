/**
 * The lifecycle gates, every stage × environment: the run gate's verdict, reason
 * code and message, and the traffic gate (run gate plus not being deleted).
 */
import { describe, expect, it } from 'vitest';
import { mayReceiveTraffic, mayRun, type LifecycleVerdict } from './lifecycle.ts';
import { LIFECYCLE_STAGES, type Environment, type LifecycleStage } from './types.ts';

const ENVIRONMENTS: readonly Environment[] = ['dev', 'staging', 'production'];
const DEPRECATION = { date: '2026-12-31', replacement: 'quote-v2' };

/** What the schema promises, written out per cell. */
function expected(stage: LifecycleStage, env: Environment): LifecycleVerdict {
  switch (stage) {
    case 'draft':
    case 'submitted':
    case 'security-review': {
      const next = env === 'production' ? 'approved-production' : 'approved-dev';
      return { allowed: false, reason: 'LifecycleDraft', message: `lifecycle stage '${stage}' is not deployed; move it to ${next} to deploy` };
    }
    case 'approved-dev':
      return env === 'production'
        ? { allowed: false, reason: 'NotDeployed', message: "lifecycle stage 'approved-dev' is not deployed to production; move it to approved-production to deploy" }
        : { allowed: true, reason: 'LifecycleAllows', message: `lifecycle stage 'approved-dev' allows deployment to ${env}` };
    case 'approved-production':
      return { allowed: true, reason: 'LifecycleAllows', message: `lifecycle stage 'approved-production' allows deployment to ${env}` };
    case 'deprecated':
      return { allowed: true, reason: 'LifecycleAllows', message: "lifecycle stage 'deprecated' still runs (until 2026-12-31; use quote-v2 instead)" };
    case 'retired':
      return { allowed: false, reason: 'LifecycleRetired', message: "lifecycle stage 'retired' is not deployed; what it ran is torn down" };
  }
}

const cells = LIFECYCLE_STAGES.flatMap((stage) => ENVIRONMENTS.map((env) => [stage, env] as const));

describe('mayRun', () => {
  it.each(cells)('%s in %s', (stage, env) => {
    expect(mayRun({ lifecycle: stage, deprecation: DEPRECATION }, env)).toEqual(expected(stage, env));
  });

  it('says only what it knows of a deprecated server', () => {
    expect(mayRun({ lifecycle: 'deprecated', deprecation: { date: '2026-12-31' } }, 'dev').message).toBe("lifecycle stage 'deprecated' still runs (until 2026-12-31)");
    expect(mayRun({ lifecycle: 'deprecated' }, 'dev').message).toBe("lifecycle stage 'deprecated' still runs");
  });

  it('lets exactly approved-dev (outside production), approved-production and deprecated run, as the schema says', () => {
    const running = cells.filter(([stage, env]) => mayRun({ lifecycle: stage }, env).allowed).map(([s, e]) => `${s}@${e}`);
    expect(running).toEqual([
      'approved-dev@dev',
      'approved-dev@staging',
      'approved-production@dev',
      'approved-production@staging',
      'approved-production@production',
      'deprecated@dev',
      'deprecated@staging',
      'deprecated@production',
    ]);
  });
});

describe('mayReceiveTraffic', () => {
  it.each(cells)('%s in %s: as mayRun in its own environment', (stage, env) => {
    const server = { metadata: {}, spec: { lifecycle: stage, environment: env, deprecation: DEPRECATION } };
    expect(mayReceiveTraffic(server)).toEqual(expected(stage, env));
  });

  it.each(cells)('%s in %s, being deleted: no traffic, whatever the stage', (stage, env) => {
    const server = { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { lifecycle: stage, environment: env } };
    expect(mayReceiveTraffic(server)).toEqual({ allowed: false, reason: 'Deleting', message: 'it is being deleted (since 2026-01-01T00:00:00Z)' });
  });
});
