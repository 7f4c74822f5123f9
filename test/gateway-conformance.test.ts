/**
 * The MCP conformance suite (`conformance server --suite all`) gives the same
 * per-scenario results against server-everything through the governed gateway as
 * direct: the same verdict and the same status for every check of every scenario.
 * Many scenarios fail either way (server-everything does not carry the suite's
 * `test_*` tools, resources and prompts); what is asserted is that the gateway changes
 * none of them. `node_modules/.bin/node test/conformance-compare.ts` prints the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareResults, runConformance, startConformanceRig, type ConformanceRig } from './conformance.ts';

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
    const rows = compareResults(direct, viaGateway);
    expect(rows.filter((r) => !r.same).map((r) => ({ scenario: r.scenario, differences: r.differences }))).toEqual([]);
    expect(rows.map((r) => r.scenario)).toEqual(direct.map((r) => r.scenario));
  }, 120_000);
});
