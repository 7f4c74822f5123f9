/**
 * The MCP conformance suite (`conformance server --suite all`) gives the same
 * per-scenario results against server-everything through the governed gateway as
 * direct: the same verdict and the same status for every check of every scenario.
 * Many scenarios fail either way (server-everything does not carry the suite's
 * `test_*` tools, resources and prompts); what is asserted is that the gateway changes
 * none of them, except where it is meant to be stricter than the server: the checks
 * in {@link STRICTER} may fail direct and must pass through the gateway.
 * `node_modules/.bin/node test/conformance-compare.ts` prints the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareResults, runConformance, startConformanceRig, type ConformanceRig, type ScenarioResult } from './conformance.ts';

/**
 * Checks the gateway passes whatever the server does: a request with `Host:
 * evil.example.com` (DNS rebinding) is refused by the gateway's Host check (421)
 * before the server sees it, while server-everything accepts it direct.
 */
const STRICTER: Record<string, string[]> = { 'dns-rebinding-protection': ['localhost-host-rebinding-rejected'] };

/** The results with each STRICTER check set to what the gateway must give (SUCCESS), and the pass/fail counts following. */
function withStricterPassed(results: ScenarioResult[]): ScenarioResult[] {
  return results.map((r) => {
    const ids = STRICTER[r.scenario];
    if (ids === undefined || r.checks === undefined) return r;
    const checks = r.checks.map((c) => (ids.includes(c.id) ? { ...c, status: 'SUCCESS' } : c));
    const turned = r.checks.filter((c, i) => c.status === 'FAILURE' && checks[i]!.status === 'SUCCESS').length;
    return { ...r, checks, passed: r.passed + turned, failed: r.failed - turned };
  });
}

describe('the MCP conformance suite through the gateway', () => {
  let rig: ConformanceRig;
  beforeAll(async () => {
    rig = await startConformanceRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('gives the same per-scenario results as direct', async () => {
    const direct = await runConformance(rig.directUrl);
    const viaGateway = await runConformance(rig.gatewayUrl);
    // The suite really ran: some scenarios pass direct, and each left its checks.
    expect(direct.some((r) => r.failed === 0 && r.passed > 0)).toBe(true);
    expect(direct.filter((r) => r.checks === undefined).map((r) => r.scenario)).toEqual([]);
    // The gateway passes the stricter checks itself…
    for (const [scenario, ids] of Object.entries(STRICTER)) {
      const checks = viaGateway.find((r) => r.scenario === scenario)?.checks ?? [];
      for (const id of ids) expect(checks.filter((c) => c.id === id).map((c) => c.status), `${scenario}/${id} through the gateway`).toEqual(['SUCCESS']);
    }
    // …and changes nothing else.
    const rows = compareResults(withStricterPassed(direct), viaGateway);
    expect(rows.filter((r) => !r.same).map((r) => ({ scenario: r.scenario, differences: r.differences }))).toEqual([]);
    expect(rows.map((r) => r.scenario)).toEqual(direct.map((r) => r.scenario));
  }, 120_000);
});
