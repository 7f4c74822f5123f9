/**
 * What the server view's charts and runtime section derive from the registry's
 * answers (pure functions of src/dashboard, run in Node): call totals and lines
 * from a `/stats/calls` series, the window's URL, and `status.runtime` as
 * labelled facts for both runtimes; and the page's restated role rules agree
 * with the registry's own for every person's role.
 */
import { describe, expect, it } from 'vitest';
import type { CallStatsSeries } from '../src/client/wire.ts';
import { ACTIVITY_WINDOWS, callLines, callsSentence, callTotals, latencyLines, windowUrl } from '../src/dashboard/activity-series.ts';
import { mayReadCalls, mayReadLogs } from '../src/dashboard/roles.ts';
import { fleetRow } from '../src/dashboard/fleet-rows.ts';
import { runtimeFacts } from '../src/dashboard/runtime-facts.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { mayReadCallAudit, mayReadServerLogs } from '../src/registry/auth/authorize.ts';
import { serverManifest } from './registry-api-harness.ts';

const series: CallStatsSeries = {
  server: 'quote',
  total: [0, 5, 2],
  decisions: { allow: [0, 3, 1], deny: [0, 1, 1], 'approval-required': [0, 1, 0], 'rate-limited': [0, 0, 0], error: [0, 0, 0] },
  p50: [null, 4, 2],
  p95: [null, 9, 3],
  p99: [null, 12, 3],
};

describe('dashboard view data', () => {
  it('totals a call series and says it in a sentence, naming only the refusals that happened', () => {
    expect(callTotals(series)).toEqual({ calls: 7, allowed: 4, denied: 2, held: 1, rateLimited: 0, errors: 0 });
    expect(callsSentence(callTotals(series))).toBe('7 calls: 4 allowed, 2 denied, 1 held for approval');
    expect(callsSentence({ calls: 1, allowed: 1, denied: 0, held: 0, rateLimited: 0, errors: 0 })).toBe('1 call: 1 allowed, 0 denied');
  });

  it('draws every call and each kind of refusal, and the three percentiles with their gaps', () => {
    expect(callLines(series).map((l) => [l.label, l.values])).toEqual([
      ['Calls', [0, 5, 2]],
      ['Denied', [0, 1, 1]],
      ['Held for approval', [0, 1, 0]],
      ['Rate-limited', [0, 0, 0]],
      ['Errors', [0, 0, 0]],
    ]);
    expect(latencyLines(series).map((l) => [l.label, l.values[0], l.values[2]])).toEqual([
      ['p50', null, 2],
      ['p95', null, 3],
      ['p99', null, 3],
    ]);
  });

  it("asks for each window within the registry's 1,440 buckets, ending now", () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(windowUrl('/s?bucket=1m', ACTIVITY_WINDOWS[0]!, now)).toBe('/s?bucket=1m&since=2026-12-06T09%3A00%3A00.000Z');
    expect(ACTIVITY_WINDOWS.map((w) => w.seconds / { '1m': 60, '15m': 900 }[w.bucket]!)).toEqual([60, 96]);
  });

  it('labels what ECS reported (task definition, service, target group, rule, record, rollout, targets) and skips the repeated rule ARN', () => {
    const facts = runtimeFacts({
      provider: 'ecs',
      arns: { service: 'arn:svc', taskDefinition: 'arn:td:3', targetGroup: 'arn:tg', listenerRule: 'arn:rule' },
      rule: { arn: 'arn:rule', priority: 12, conditions: 'path:/mcp/quote' },
      rollout: { deploymentId: 'd-1', rolloutState: 'COMPLETED', running: 2, desired: 2 },
      targets: { healthy: 2, unhealthy: 0 },
      dns: 'quote.mcp.example.com',
    });
    const byLabel = Object.fromEntries(facts.map((f) => [f.label, f.value]));
    expect(byLabel).toMatchObject({ Runtime: 'ecs', 'Task definition': 'arn:td:3', Service: 'arn:svc', 'Target group': 'arn:tg', 'Listener rule': 'arn:rule', 'Rule priority': '12', Rollout: 'COMPLETED', 'Healthy targets': '2', 'DNS record': 'quote.mcp.example.com' });
    expect(facts.filter((f) => f.value === 'arn:rule')).toHaveLength(1);
  });

  it('labels what the local runtime reported and joins lists', () => {
    const facts = runtimeFacts({ provider: 'local', pid: 4242, port: 40123, restarts: 0, notes: ['secret A not provided', 'secret B not provided'] });
    expect(facts.map((f) => [f.label, f.value])).toEqual([
      ['Runtime', 'local'],
      ['Process id', '4242'],
      ['Port', '40123'],
      ['Restarts', '0'],
      ['Notes', 'secret A not provided; secret B not provided'],
    ]);
  });

  it("asks for call records and logs exactly when the registry's rules would answer", () => {
    const server = serverManifest('quote', { team: 'deal-desk' }) as MCPServer;
    for (const role of ['admin', 'approver', 'reader', 'publisher'] as const) {
      for (const team of [undefined, 'deal-desk', 'platform']) {
        const who = { tokenId: 'tok_x', role, ...(team !== undefined ? { team } : {}) };
        expect(mayReadCalls(who), `${role} ${team} calls`).toBe(mayReadCallAudit(who).allowed);
        expect(mayReadLogs(who, server), `${role} ${team} logs`).toBe(mayReadServerLogs(who, server).allowed);
      }
    }
  });
  it('counts ready replicas as they run: one local process for replicas: 2, ECS running/desired, none for a remote server', () => {
    const ready = [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'serving', lastTransitionTime: '2026-12-06T08:00:00Z' }];
    const local = (runtime: Record<string, unknown>, conditions = ready): MCPServer => ({
      ...serverManifest('quote'),
      spec: { ...serverManifest('quote').spec, remote: undefined, runtime: { image: 'ghcr.io/acme/quote:1', port: 8080, transport: 'streamable-http', replicas: 2 } },
      status: { phase: 'Ready', conditions, runtime },
    }) as unknown as MCPServer;
    expect(fleetRow(local({ replicas: { requested: 2, running: 1, note: 'the local runtime runs one process per server' } }), new Date()).replicas).toBe('1/2');
    expect(fleetRow(local({ replicas: { requested: 2, running: 1 } }, []), new Date()).replicas).toBe('0/2');
    expect(fleetRow(local({ service: { running: 3, desired: 4 } }), new Date()).replicas).toBe('3/4');
    expect(fleetRow(serverManifest('elsewhere') as MCPServer, new Date()).replicas).toBe('-');
  });
});
