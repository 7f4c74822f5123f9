/**
 * Instructions per proxied request, counted by valgrind's callgrind (a script, not
 * a test). Run:
 *   node_modules/.bin/node test/bench/gateway-instructions.ts [--warm 30000] [--measure 3000] [--runs 1]
 *     [--proxies gateway,reference]
 *   (needs valgrind: `apt-get install valgrind`; about 3 min per proxy and run)
 *
 * Why: on this project's 2-core VM wall-clock latency drifts by up to 2× within
 * seconds, so a 10 µs change in the gateway's own work is lost in the noise of
 * the latency benchmark (gateway.bench.ts). Instruction counts do not drift: the
 * same code, requests and environment give the same count whatever else the
 * machine is doing. They do not see the kernel, nor cache misses and wake-ups;
 * they tell how much work the proxy's own process does per request.
 *
 * Method: the SDK-built upstream (SSE responses, as in gateway.bench.ts) runs
 * natively; each proxy (the Berth gateway, the 20-line reference proxy) runs
 * under callgrind with counting off. One client sends `--warm` sequential
 * tools/call requests over one keep-alive connection (V8 optimises the hot
 * path meanwhile), counting is switched on for `--measure` more, then dumped.
 * Printed per request: all instructions, and the part outside V8's optimising
 * compiler and garbage collector, which run on background threads, or
 * amortised, and vary from run to run.
 */
import { GATEWAY_BENCH, spawnListening, numberArg, stringArg } from './bench-process.ts';
import { callgrindWrapper, countRequests, requireValgrind } from './callgrind.ts';
import { initSession } from './mcp-session.ts';
import { Connection, requestBytes, type LoadTarget } from './raw-http-load.ts';

const ROLES = ['gateway', 'reference'] as const;

/** Runs one proxy role under callgrind and returns its counts per measured request. */
async function countProxy(role: (typeof ROLES)[number], upstreamPort: number, sid: string, warm: number, measure: number) {
  const { dir, wrapper, cleanup } = callgrindWrapper(role);
  const proxy = await spawnListening([GATEWAY_BENCH, role, String(upstreamPort)], { wrapper });
  try {
    const url = `http://127.0.0.1:${proxy.port}${role === 'gateway' ? '/mcp/bench' : '/mcp'}`;
    // The gateway hands out its own (sealed) session ids: it gets a session of its own; the reference passes the direct one through.
    const session = role === 'gateway' ? await initSession(url) : sid;
    const target: LoadTarget = {
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
    };
    const conn = new Connection(target.url, requestBytes(target));
    const counts = await countRequests(proxy.child.pid!, dir, conn, warm, measure);
    conn.end();
    return counts;
  } finally {
    proxy.child.kill('SIGKILL');
    cleanup();
  }
}

async function main(): Promise<void> {
  requireValgrind();
  const warm = numberArg('warm', 30_000);
  const measure = numberArg('measure', 3_000);
  const runs = numberArg('runs', 1);
  const roles = ROLES.filter((r) => stringArg('proxies', ROLES.join(',')).split(',').includes(r));
  const up = await spawnListening([GATEWAY_BENCH, 'sdk-upstream', 'sse']);
  try {
    const sid = await initSession(`http://127.0.0.1:${up.port}/mcp`);
    console.log(`instructions per tools/call request (callgrind; ${warm} warm-up requests, ${measure} counted, one client)`);
    for (let r = 1; r <= runs; r++) {
      for (const role of roles) {
        const c = await countProxy(role, up.port, sid, warm, measure);
        // A V8 slow path in Node's own process.nextTick (an object literal with symbol keys
        // whose map went stale) costs ~45k instructions per request in some runs of any proxy.
        const note = c.nextTickSlowPath > 2_000 ? `  (this run hit V8's slow path in process.nextTick: ${(c.nextTickSlowPath / 1000).toFixed(1)}k in one runtime function alone)` : '';
        console.log(`run ${r}  ${role.padEnd(9)}  all ${(c.total / 1000).toFixed(1)}k   without JIT compiler and GC ${(c.foreground / 1000).toFixed(1)}k${note}`);
      }
    }
  } finally {
    up.child.kill();
  }
}

await main();
