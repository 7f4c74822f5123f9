/**
 * Where a process spent its CPU, from a V8 `.cpuprofile` (`node --cpu-prof`), e.g.
 * one a governed gateway wrote under governance.bench.ts `--cpu-prof-dir` (a
 * script, not a test). Run:
 *   node_modules/.bin/node test/bench/cpu-profile-top.ts FILE.cpuprofile [--top 25] [--under src/] [--requests N]
 *     [--versus OTHER.cpuprofile --versus-requests M]
 *
 * With `--requests` (how many requests the process served over the profile, as
 * governance.bench.ts prints them), each line also shows µs of CPU per request
 * (samples × the sampling interval; the profiler's own overhead inflates them
 * somewhat: compare them with each other, not with /proc figures). With
 * `--versus OTHER.cpuprofile --versus-requests M` (e.g. the plain gateway's), it
 * also prints per-request self time by package / source file in both and the
 * difference: where the added time goes.
 * Prints, as % of the non-idle samples: the functions with the most self time;
 * self time by package or source file (which library the time is in); and the
 * functions under `--under` with the most inclusive time (themselves plus all they
 * call), each counted once per sample even when recursive — this is what says
 * "the audit line costs N %", which self time, spread over pino's and V8's
 * internals, cannot.
 */
import { readFileSync } from 'node:fs';
import { numberArg, stringArg } from './bench-process.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** `name file:line`, with paths shortened to the part after node_modules/, src/ or test/. */
function frameKey(f: ProfileNode['callFrame']): string {
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|test)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
}

/** Which package or source file a frame is in: `node_modules/<pkg>`, a src/ file, `node:<internal>`, or V8 itself. */
function placeOf(f: ProfileNode['callFrame']): string {
  const url = f.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  const src = /\/((?:src|test)\/.*)$/.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^(node:internal)$/, 'node:internal');
  return f.functionName.startsWith('(') ? f.functionName : '(V8 / native)';
}

/** Sample counts of one profile: self by function and by place, inclusive by function under `under`. */
interface Summary {
  busy: number;
  /** µs one sample stands for. */
  interval: number;
  samples: number;
  seconds: number;
  self: Map<string, number>;
  places: Map<string, number>;
  inclusive: Map<string, number>;
}

function summarise(file: string, under: string): Summary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const sum: Summary = { busy: 0, interval: 0, samples: prof.samples.length, seconds: (prof.endTime - prof.startTime) / 1e6, self: new Map(), places: new Map(), inclusive: new Map() };
  for (const id of prof.samples) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    sum.busy++;
    add(sum.self, frameKey(node.callFrame));
    add(sum.places, placeOf(node.callFrame));
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = frameKey(byId.get(at)!.callFrame);
      if (!key.includes(` ${under}`) || seen.has(key)) continue;
      seen.add(key);
      add(sum.inclusive, key);
    }
  }
  // A sample stands for one sampling interval of CPU. Not the gap to the next sample: on a busy
  // machine that gap also holds the time the process waited for a core.
  sum.interval = [...prof.timeDeltas].sort((a, b) => a - b)[Math.floor(prof.timeDeltas.length / 2)] ?? 0;
  return sum;
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  console.error('usage: cpu-profile-top.ts FILE.cpuprofile [--top 25] [--under src/] [--requests N] [--versus OTHER.cpuprofile --versus-requests M]');
  process.exit(2);
}
const top = numberArg('top', 25);
const requests = numberArg('requests', 0);
const under = stringArg('under', 'src/');
const s = summarise(file, under);

const usPerRequest = (sum: Summary, n: number, reqs: number) => (sum.interval * n) / reqs;
const perRequest = (n: number) => (requests > 0 ? `${usPerRequest(s, n, requests).toFixed(1).padStart(7)} µs/r` : '');
const pct = (n: number) => `${((100 * n) / s.busy).toFixed(1).padStart(5)}%${perRequest(n)}`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, n] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)}  ${k}`);
};
console.log(
  `${file}: ${s.samples} samples over ${s.seconds.toFixed(1)} s, ${s.busy} not idle (${((s.busy * s.interval) / 1e6).toFixed(1)} s${requests > 0 ? `, ${perRequest(s.busy).trim()} over ${requests} requests` : ''}); "(program)" is native code outside JS (libuv, syscalls)`,
);
print('self time by function', s.self);
print('self time by package / source file', s.places);
print(`inclusive time of functions under ${under}`, s.inclusive);

const versus = stringArg('versus', '');
const versusRequests = numberArg('versus-requests', 0);
if (versus !== '' && requests > 0 && versusRequests > 0) {
  const v = summarise(versus, under);
  const diff = (a: Map<string, number>, b: Map<string, number>) =>
    [...new Set([...a.keys(), ...b.keys()])]
      .map((k) => ({ k, here: usPerRequest(s, a.get(k) ?? 0, requests), there: usPerRequest(v, b.get(k) ?? 0, versusRequests) }))
      .sort((x, y) => y.here - y.there - (x.here - x.there));
  console.log(`\nper request: ${usPerRequest(s, s.busy, requests).toFixed(1)} µs here, ${usPerRequest(v, v.busy, versusRequests).toFixed(1)} µs in ${versus}`);
  for (const [title, a, b] of [['self time by package / source file', s.places, v.places], ['self time by function', s.self, v.self]] as const) {
    console.log(`\n${title}, µs/r: here, there, added here`);
    for (const d of diff(a, b).slice(0, top)) console.log(`${d.here.toFixed(1).padStart(7)} ${d.there.toFixed(1).padStart(7)} ${(d.here - d.there >= 0 ? '+' : '') + (d.here - d.there).toFixed(1).padStart(6)}  ${d.k}`);
  }
}
