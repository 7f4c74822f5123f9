/**
 * `berth validate` and the registry decide routes by one rule and say so in one
 * message. For each set of manifests, the set is checked by the real `berth
 * validate` command (in process, on files) and applied in the same order, one
 * object at a time, through a real registry's HTTP API over real SQLite. For every
 * object: accepted by validate ⇔ accepted by the registry, and when refused, the
 * messages are the same.
 *
 * The first case is the one a review reproduced: validate let two servers of
 * different environments share a path, then the registry answered 409.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../src/cli/command.ts';
import validate from '../src/cli/commands/validate.ts';
import { parseManifestText } from '../src/manifest/index.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';
import { tempDir } from './support/temp-dir.ts';

const BASE = '/apis/berth.dev/v1alpha1';

/** One server of a case. */
interface Spec {
  name: string;
  path?: string;
  host?: string;
  environment?: 'dev' | 'staging' | 'production';
}

function yamlOf(s: Spec): string {
  const environment = s.environment ?? 'dev';
  const routing = s.path || s.host ? `  routing:\n${s.path ? `    path: ${s.path}\n` : ''}${s.host ? `    host: ${s.host}\n` : ''}` : '';
  return `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: ${s.name}
spec:
  owner:
    team: routes
  environment: ${environment}
  lifecycle: ${environment === 'production' ? 'approved-production' : 'approved-dev'}
  risk: low
  dataClassification: internal
  remote:
    url: https://${s.name}.example.com/mcp
    transport: streamable-http
${routing}`;
}

/** What one side said about one object: accepted, or refused with these messages. */
interface Verdict {
  accepted: boolean;
  messages: string[];
}

/**
 * Each case: the servers, in apply order, and which of them both sides must refuse
 * (the agreement is asserted for every case; this pins down that the rule is the intended one).
 */
const CASES: Array<{ title: string; servers: Spec[]; refused: string[] }> = [
  {
    title: 'the same path in different environments (the reproduced case): one gateway route table serves both',
    servers: [
      { name: 'dev-quote', path: '/mcp/shared' },
      { name: 'prod-quote', path: '/mcp/shared', environment: 'production' },
      { name: 'staging-quote', path: '/mcp/shared', environment: 'staging' },
    ],
    refused: ['prod-quote', 'staging-quote'],
  },
  {
    title: 'hosts compare in lower case without a trailing dot',
    servers: [
      { name: 'sales-a', path: '/mcp/quote', host: 'Sales.Example.COM.' },
      { name: 'sales-b', path: '/mcp/quote', host: 'sales.example.com' },
      { name: 'sales-c', path: '/mcp/quote', host: 'other.example.com' },
    ],
    refused: ['sales-b'],
  },
  {
    title: 'a host-specific route and a host-less one on the same path collide, in either order',
    servers: [
      { name: 'any-host', path: '/mcp/a' },
      { name: 'one-host', path: '/mcp/a', host: 'h.example.com' },
      { name: 'host-first', path: '/mcp/b', host: 'h.example.com' },
      { name: 'any-after', path: '/mcp/b' },
    ],
    refused: ['one-host', 'any-after'],
  },
  {
    title: 'a refused server holds no route: routes are taken in apply order',
    servers: [
      { name: 'on-h', path: '/mcp/p', host: 'h.example.com' },
      { name: 'on-any', path: '/mcp/p' },
      { name: 'on-g', path: '/mcp/p', host: 'g.example.com' },
    ],
    refused: ['on-any'],
  },
  {
    title: '/mcp/x/ (refused by the schema, on both sides) vs /mcp/X vs /mcp/x: paths compare case-insensitively',
    servers: [
      { name: 'slash', path: '/mcp/x/' },
      { name: 'upper', path: '/mcp/X' },
      { name: 'lower', path: '/mcp/x' },
    ],
    refused: ['slash', 'lower'],
  },
  {
    title: 'dot segments resolve before routes compare, and default routes take part',
    servers: [
      { name: 'dotted', path: '/mcp/a/../quote' },
      { name: 'dot', path: '/mcp/./quote' },
      { name: 'quote' },
      { name: 'elsewhere', path: '/mcp/a/../../tools/quote' },
    ],
    refused: ['dot', 'quote'],
  },
  {
    title: "the gateway's own paths (/-, /.well-known, discovery) are refused, after normalisation; look-alikes are free",
    servers: [
      { name: 'health', path: '/-/healthz' },
      { name: 'dash', path: '/-' },
      { name: 'dotted-dash', path: '/mcp/../-/metrics' },
      { name: 'well-known', path: '/.well-known/oauth-protected-resource' },
      { name: 'discovery', path: '/V1/Discovery' },
      { name: 'registry-shape', path: '/v0.1/servers/x' },
      { name: 'dash-word', path: '/-x' },
      { name: 'inner-dash', path: '/mcp/-/x' },
      { name: 'v1-other', path: '/v1/discoveryx' },
    ],
    refused: ['health', 'dash', 'dotted-dash', 'well-known', 'discovery', 'registry-shape'],
  },
  {
    title: 'distinct routes never collide, a prefix is not the same path',
    servers: [
      { name: 'one', path: '/mcp/one' },
      { name: 'two', path: '/mcp/one/two' },
      { name: 'three' },
    ],
    refused: [],
  },
];

const tmp = tempDir('route-agreement');
afterAll(() => tmp.remove());

/** Runs `berth validate -o json` on the case's files; the verdict per object name. */
async function validateVerdicts(caseIndex: number, servers: readonly Spec[]): Promise<Map<string, Verdict>> {
  const files = servers.map((s, i) => {
    const file = join(tmp.dir, `case${caseIndex}-${i}-${s.name}.yaml`);
    writeFileSync(file, yamlOf(s));
    return file;
  });
  let out = '';
  const stdout = new PassThrough().on('data', (d: Buffer) => (out += d.toString('utf8')));
  const io: CommandIo = { stdin: new PassThrough(), stdout, stderr: new PassThrough(), env: {}, cwd: tmp.dir, signal: new AbortController().signal };
  await validate.run(['-o', 'json', ...files], io);
  const report = JSON.parse(out) as { problems: Array<{ object: string | null; message: string }> };
  return new Map(
    servers.map((s) => {
      const messages = report.problems.filter((p) => p.object === `MCPServer/${s.name}`).map((p) => p.message);
      return [s.name, { accepted: messages.length === 0, messages }];
    }),
  );
}

/** Applies the servers in order through the HTTP API of a fresh registry; the verdict per object name. */
async function registryVerdicts(servers: readonly Spec[]): Promise<Map<string, Verdict>> {
  const h = await startHarness();
  try {
    return await applyEach(h, servers);
  } finally {
    await h.close();
  }
}

async function applyEach(h: Harness, servers: readonly Spec[]): Promise<Map<string, Verdict>> {
  const out = new Map<string, Verdict>();
  for (const s of servers) {
    const obj = parseManifestText(yamlOf(s), `${s.name}.yaml`).documents[0]!.object;
    const res = await fetch(`${h.url}${BASE}/mcpservers/${s.name}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(obj),
    });
    const body = (await res.json()) as { detail?: string; errors?: Array<{ message: string }> };
    if (res.ok) out.set(s.name, { accepted: true, messages: [] });
    else if (res.status === 422) out.set(s.name, { accepted: false, messages: (body.errors ?? []).map((e) => e.message) });
    else if (res.status === 409) out.set(s.name, { accepted: false, messages: [body.detail ?? ''] });
    else throw new Error(`unexpected ${res.status} for ${s.name}: ${JSON.stringify(body)}`);
  }
  return out;
}

describe('berth validate and the registry agree on routes', () => {
  it.each(CASES.map((c, i) => [c.title, i] as const))('%s', async (_title, i) => {
    const { servers, refused } = CASES[i]!;
    const validated = await validateVerdicts(i, servers);
    const applied = await registryVerdicts(servers);
    for (const s of servers) {
      // Both directions at once: the same verdict, and when refused the same words.
      expect(applied.get(s.name), `registry vs validate for ${s.name}`).toEqual(validated.get(s.name));
    }
    expect(servers.filter((s) => !validated.get(s.name)!.accepted).map((s) => s.name)).toEqual(refused);
  });

  it("says the same sentence on both sides for a path under the gateway's own /-", async () => {
    const servers: Spec[] = [{ name: 'probe', path: '/-/healthz' }];
    const validated = await validateVerdicts(CASES.length + 1, servers);
    const applied = await registryVerdicts(servers);
    const message =
      "route /-/healthz is under /-, where the gateway serves its health, readiness and metrics; choose a routing.path outside /-, /.well-known, /v1/discovery and /v0.1/servers (the default is /mcp/<name>)";
    expect(validated.get('probe')).toEqual({ accepted: false, messages: [message] });
    expect(applied.get('probe')).toEqual({ accepted: false, messages: [message] });
  });

  it('says the same sentence on both sides for the reproduced case', async () => {
    const servers: Spec[] = [
      { name: 'repro-dev', path: '/mcp/repro' },
      { name: 'repro-prod', path: '/mcp/Repro', environment: 'production' },
    ];
    const validated = await validateVerdicts(CASES.length, servers);
    const applied = await registryVerdicts(servers);
    const message = 'route /mcp/Repro is already used by MCPServer/repro-dev (route /mcp/repro); give one of them a different routing.path or routing.host';
    expect(validated.get('repro-prod')).toEqual({ accepted: false, messages: [message] });
    expect(applied.get('repro-prod')).toEqual({ accepted: false, messages: [message] });
  });
});
