/**
 * Prints the MCP conformance suite's per-scenario results against
 * `@modelcontextprotocol/server-everything` direct and through a governed gateway,
 * side by side, and whether they are the same (see test/conformance.ts for the rig).
 *
 *   node_modules/.bin/node test/conformance-compare.ts [--verbose]
 *
 * A printer, not a test: differing results exit 0 (the table says so); only a rig or
 * suite that could not run exits 1. `--verbose` shows the gateway's log on stderr.
 * test/gateway-conformance.test.ts asserts the same comparison.
 */
import pino from 'pino';
import { compareResults, runConformance, startConformanceRig, type Row } from './conformance.ts';

function table(rows: Row[]): string {
  const head = ['scenario', 'direct', 'through gateway'];
  const cells = rows.map((r) => [r.scenario, r.direct, r.viaGateway]);
  const width = head.map((_, i) => Math.max(...[head, ...cells].map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(width[i]!)).join(' | ');
  return [line(head).trimEnd(), width.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map((c, i) => (rows[i]!.same ? line(c).trimEnd() : `${line(c)}  <- differs`))].join('\n');
}

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const rig = await startConformanceRig(verbose ? { logger: pino({ level: 'debug' }, pino.destination(2)) } : {});
  try {
    console.log(`direct:          ${rig.directUrl}`);
    console.log(`through gateway: ${rig.gatewayUrl}`);
    console.log('running `conformance server --suite all` against each …\n');
    const direct = await runConformance(rig.directUrl);
    const viaGateway = await runConformance(rig.gatewayUrl);
    const rows = compareResults(direct, viaGateway);
    console.log(table(rows));
    const differing = rows.filter((r) => !r.same);
    for (const r of differing) {
      console.log(`\n${r.scenario}:`);
      for (const d of r.differences) console.log(`  ${d}`);
    }
    const passing = (col: 'direct' | 'viaGateway') => rows.filter((r) => r[col].startsWith('pass')).length;
    console.log(
      `\n${differing.length === 0 ? 'same' : 'differ'}: ${rows.length - differing.length} of ${rows.length} scenarios give the same result` +
        ` (passing: ${passing('direct')} direct, ${passing('viaGateway')} through the gateway)`,
    );
  } finally {
    await rig.close();
  }
}

main().catch((err: unknown) => {
  console.error('conformance-compare:', err);
  process.exitCode = 1;
});
