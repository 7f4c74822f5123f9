/**
 * Instructions per request of the plain and the governed gateway, counted by
 * valgrind's callgrind (a script, not a test). Run:
 *   node_modules/.bin/node test/bench/governance-instructions.ts [--warm 20000] [--measure 3000]
 *     [--server bench|canned] [--gateways plain,key,jwt] [--runs 1]
 *   (needs valgrind: `apt-get install valgrind`; a few minutes per gateway and run)
 *
 * Why: governance.bench.ts measures time, and on this shared 2-core VM time
 * drifts by 2× within seconds while other work comes and goes; the instructions
 * a process executes for the same requests do not. What governance adds per
 * request here (the governed gateway minus the plain one) is what the
 * throughput and capacity ratios pay, whatever the machine is doing. Not seen:
 * the kernel (the socket writes, and the audit line's write(2)), cache misses,
 * and the registry's work storing the records.
 *
 * Method, as gateway-instructions.ts: the world of governance.bench.ts (registry,
 * upstreams, issuer; governance-world.ts) runs natively; each gateway runs in
 * turn under callgrind with counting off. One client opens a session through it
 * with its credential, sends `--warm` sequential tools/call requests over one
 * keep-alive connection (V8 optimises the hot path meanwhile), counting is
 * switched on for `--measure` more, then dumped. Under callgrind requests are
 * ~50× slower, so the audit sink's 200 ms batches hold fewer records than under
 * load: the per-record share of a batch upload is larger here than at capacity.
 */
import { numberArg, stringArg } from './bench-process.ts';
import { callgrindWrapper, countRequests, requireValgrind } from './callgrind.ts';
import { BASE_HEADERS, checkToolCall, GATEWAY_KINDS, startWorld, type GatewayKind, type World } from './governance-world.ts';
import { initSession } from './mcp-session.ts';
import { Connection, requestBytes } from './raw-http-load.ts';

/** Runs one gateway under callgrind and returns its instructions per measured request. */
async function countGateway(world: World, kind: GatewayKind, server: string, warm: number, measure: number): Promise<{ total: number; foreground: number }> {
  const { dir, wrapper, cleanup } = callgrindWrapper(kind);
  const gw = await world.startGateway(kind, { wrapper });
  try {
    const url = `http://127.0.0.1:${gw.port}/mcp/${server}`;
    const headers = { ...BASE_HEADERS, ...gw.auth };
    const sid = await initSession(url, gw.auth);
    await checkToolCall(`${kind} gateway`, url, headers, sid);
    const conn = new Connection(url, requestBytes({ url, headers: { ...headers, 'mcp-session-id': sid } }));
    const counts = await countRequests(gw.child.pid!, dir, conn, warm, measure);
    conn.end();
    return counts;
  } finally {
    gw.child.kill('SIGKILL');
    cleanup();
  }
}

async function main(): Promise<void> {
  requireValgrind();
  const warm = numberArg('warm', 20_000);
  const measure = numberArg('measure', 3_000);
  const runs = numberArg('runs', 1);
  const server = stringArg('server', 'bench');
  const kinds = GATEWAY_KINDS.filter((k) => stringArg('gateways', GATEWAY_KINDS.join(',')).split(',').includes(k));
  const world = await startWorld();
  try {
    const upstream = server === 'canned' ? 'canned upstream' : 'SDK upstream (SSE)';
    console.log(`instructions per tools/call request in the gateway process (callgrind; ${upstream}; ${warm} warm-up requests, ${measure} counted, one client)`);
    console.log('k = thousands; "foreground" leaves out V8\'s optimising compilers and GC; "plain / this" = what a CPU-bound gateway\'s capacity ratio would be');
    for (let r = 1; r <= runs; r++) {
      let plain: { total: number; foreground: number } | undefined;
      for (const kind of kinds) {
        const c = await countGateway(world, kind, server, warm, measure);
        if (kind === 'plain') plain = c;
        const vs = plain && kind !== 'plain' ? `   added ${((c.total - plain.total) / 1000).toFixed(1)}k (foreground ${((c.foreground - plain.foreground) / 1000).toFixed(1)}k), plain / this ${(plain.total / c.total).toFixed(3)}` : '';
        console.log(`run ${r}  ${kind.padEnd(5)}  all ${(c.total / 1000).toFixed(1)}k   foreground ${(c.foreground / 1000).toFixed(1)}k${vs}`);
      }
    }
  } finally {
    await world.stop();
  }
}

await main();
