/**
 * `berth up`'s summary counts the servers the manifest's traffic gate lets
 * through, so it never waits for one the reconciler will not deploy.
 */
import { describe, expect, it } from 'vitest';
import type { Resource } from '../manifest/resource.ts';
import type { Environment, LifecycleStage, MCPServer } from '../manifest/types.ts';
import { withApprovals } from '../../test/support/approvals.ts';
import { formatSummary, summarizeFleet } from './summary.ts';

function server(name: string, lifecycle: LifecycleStage, environment: Environment, ready: boolean, deleting = false, approved = true): Resource {
  const obj: MCPServer = {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name, generation: 1, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { owner: { team: 't' }, environment, lifecycle, risk: 'low', dataClassification: 'internal' },
    status: {
      observedGeneration: 1,
      phase: ready ? 'Ready' : 'Progressing',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Ready' : 'Starting', message: '', lastTransitionTime: '' }],
      tools: ready ? [{ name: 'x' }] : [],
    },
  };
  return approved ? withApprovals(obj) : obj;
}

describe('summarizeFleet', () => {
  it('waits only for servers whose effective (approved) stage lets them run in their environment and that are not being deleted', () => {
    const summary = summarizeFleet([
      server('ok', 'approved-dev', 'dev', true),
      server('starting', 'approved-production', 'production', false),
      server('old', 'deprecated', 'staging', true),
      server('dev-only', 'approved-dev', 'production', false),
      server('sub', 'submitted', 'dev', false),
      server('review', 'security-review', 'dev', false),
      server('draft', 'draft', 'dev', false),
      server('gone', 'retired', 'dev', false),
      server('leaving', 'approved-dev', 'dev', false, true),
      server('unapproved', 'approved-production', 'dev', false, false, false),
    ], new Date('2026-06-01T00:00:00Z'));
    expect(summary).toEqual({ deployable: 3, ready: 2, tools: 2, waiting: ['starting: Progressing (Starting)'] });
    expect(formatSummary(summary)).toBe('2/3 servers Ready, 2 tools — waiting: starting: Progressing (Starting)');
  });
});

describe('formatSummary fits a terminal width', () => {
  const s = { deployable: 4, ready: 1, tools: 2, waiting: ['everything: Degraded (CrashLoop)', 'quote: Progressing (Starting)', 'salesforce-opportunity: Degraded (CrashLoop)'] };
  it('keeps everything when it fits, whole entries then "+N more", then a count, then "…"', () => {
    const full = formatSummary(s);
    expect(formatSummary(s, 200)).toBe(full);
    expect(formatSummary(s, 80)).toBe('1/4 servers Ready, 2 tools — waiting: everything: Degraded (CrashLoop); +2 more');
    expect(formatSummary(s, 50)).toBe('1/4 servers Ready, 2 tools — 3 waiting');
    expect(formatSummary(s, 20)).toBe('1/4 servers Ready, …');
    for (const width of [10, 20, 39, 40, 60, 79, 80, 120, 150]) expect(formatSummary(s, width).length).toBeLessThanOrEqual(width);
  });
});
