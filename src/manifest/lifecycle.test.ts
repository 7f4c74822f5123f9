/**
 * The lifecycle gates, every requested stage × environment, with and without the
 * approvals the stage needs: the run gate's verdict, reason code and message, and
 * the traffic gate (run gate plus not being deleted).
 */
import { describe, expect, it } from 'vitest';
import { codeHash, reviewHash } from './approval-hash.ts';
import { mayReceiveTraffic, mayRun, type LifecycleSubject } from './lifecycle.ts';
import { LIFECYCLE_STAGES, type ApprovableStage, type Environment, type LifecycleStage, type MCPServerSpec, type StageApproval } from './types.ts';

const ENVIRONMENTS: readonly Environment[] = ['dev', 'staging', 'production'];
const DEPRECATION = { date: '2026-12-31', replacement: 'quote-v2' };
const NOW = new Date('2026-06-01T00:00:00Z');

function spec(lifecycle: LifecycleStage, environment: Environment = 'dev'): MCPServerSpec {
  return {
    owner: { team: 'sales' },
    environment,
    lifecycle,
    risk: 'low',
    dataClassification: 'internal',
    deprecation: DEPRECATION,
    runtime: { image: 'ghcr.io/acme/quote:1', transport: 'streamable-http' },
  };
}

function approvalOf(s: MCPServerSpec, stage: ApprovableStage, by = 'tok_approver0001'): StageApproval {
  return { stage, decision: 'approved', by, role: 'approver', at: '2026-05-01T00:00:00.000Z', specHash: reviewHash(s), codeHash: codeHash(s) };
}

function server(lifecycle: LifecycleStage, env: Environment, approved: readonly ApprovableStage[]): LifecycleSubject {
  const s = spec(lifecycle, env);
  return { metadata: { name: 'quote', approvals: approved.map((st) => approvalOf(s, st)) }, spec: s };
}

const cells = LIFECYCLE_STAGES.flatMap((stage) => ENVIRONMENTS.map((env) => [stage, env] as const));
const runs = (approved: readonly ApprovableStage[]) =>
  cells.filter(([stage, env]) => mayRun(server(stage, env, approved), env, NOW).allowed).map(([s, e]) => `${s}@${e}`);

describe('mayRun decides on the effective stage', () => {
  it('without any approval nothing runs, whatever spec.lifecycle requests', () => {
    expect(runs([])).toEqual([]);
  });

  it('with an approved-dev approval: approved-dev and deprecated outside production; production requests fall back to approved-dev', () => {
    expect(runs(['approved-dev'])).toEqual([
      'approved-dev@dev',
      'approved-dev@staging',
      'approved-production@dev',
      'approved-production@staging',
      'monitored@dev',
      'monitored@staging',
      'deprecated@dev',
      'deprecated@staging',
    ]);
  });

  it('with an approved-production approval: approved-dev outside production, approved-production, monitored and deprecated everywhere', () => {
    expect(runs(['approved-production'])).toEqual([
      'approved-dev@dev',
      'approved-dev@staging',
      'approved-production@dev',
      'approved-production@staging',
      'approved-production@production',
      'monitored@dev',
      'monitored@staging',
      'monitored@production',
      'deprecated@dev',
      'deprecated@staging',
      'deprecated@production',
    ]);
  });

  it('names the missing approval and the command that gives it', () => {
    const s = server('approved-production', 'production', ['approved-dev']);
    const h8 = reviewHash(s.spec).slice(0, 8);
    expect(mayRun(s, 'production', NOW)).toMatchObject({
      allowed: false,
      reason: 'ApprovalMissing',
      message: `requested approved-production, effective approved-dev: no approval of spec ${h8} for approved-production; ask an approver: berth approve server quote --stage approved-production`,
      stage: { requested: 'approved-production', effective: 'approved-dev', approvedFor: 'dev' },
    });
    const dev = server('approved-dev', 'dev', []);
    expect(mayRun(dev, 'dev', NOW)).toMatchObject({
      reason: 'ApprovalMissing',
      message: `requested approved-dev, effective security-review: no approval of spec ${reviewHash(dev.spec).slice(0, 8)} for approved-dev; ask an approver: berth approve server quote --stage approved-dev`,
    });
  });

  it.each(['draft', 'submitted', 'security-review'] as const)('%s is not deployed and says what to request', (stage) => {
    expect(mayRun(server(stage, 'dev', ['approved-production']), 'dev', NOW)).toMatchObject({
      allowed: false,
      reason: 'LifecycleDraft',
      message: `lifecycle stage '${stage}' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it`,
    });
  });

  it('a deprecated server keeps its approval until its date, then is retired', () => {
    const dep = server('deprecated', 'production', ['approved-production']);
    expect(mayRun(dep, 'production', NOW)).toMatchObject({ allowed: true, reason: 'LifecycleAllows', message: "lifecycle stage 'deprecated' still runs (until 2026-12-31; use quote-v2 instead)" });
    expect(mayRun(dep, 'production', new Date('2026-12-31T23:59:59Z')).allowed).toBe(true);
    expect(mayRun(dep, 'production', new Date('2027-01-01T00:00:00Z'))).toMatchObject({
      allowed: false,
      reason: 'LifecycleRetired',
      message: 'deprecated until 2026-12-31 (use quote-v2 instead): past its date it is retired; what it ran is torn down',
      stage: { effective: 'retired' },
    });
    expect(mayRun(server('deprecated', 'production', ['approved-dev']), 'production', NOW)).toMatchObject({ allowed: false, reason: 'ApprovalMissing' });
  });

  it('retired is torn down, approved or not', () => {
    expect(mayRun(server('retired', 'dev', ['approved-production']), 'dev', NOW)).toMatchObject({
      allowed: false,
      reason: 'LifecycleRetired',
      message: "lifecycle stage 'retired' is not deployed; what it ran is torn down",
    });
  });
});

describe('mayReceiveTraffic', () => {
  it.each(cells)('%s in %s: as mayRun in its own environment', (stage, env) => {
    const s = server(stage, env, ['approved-production']);
    expect(mayReceiveTraffic(s, NOW)).toEqual(mayRun(s, env, NOW));
  });

  it.each(cells)('%s in %s, being deleted: no traffic, whatever the stage', (stage, env) => {
    const s = server(stage, env, ['approved-production']);
    const deleting = { ...s, metadata: { ...s.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(mayReceiveTraffic(deleting, NOW)).toMatchObject({ allowed: false, reason: 'Deleting', message: 'it is being deleted (since 2026-01-01T00:00:00Z)' });
  });
});
