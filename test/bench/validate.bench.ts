/**
 * Benchmark: parse + validate 1,000 varied valid manifests (the `berth validate`
 * path minus file I/O), against a baseline measured in the same run: plain YAML
 * parsing of the same texts. Prints figures; asserts nothing.
 *   node test/bench/validate.bench.ts [count=1000] [rounds=7]
 */
import { parseAllDocuments } from 'yaml';
import { parseManifestText, validateDocuments, type ParsedDocument } from '../../src/manifest/index.ts';

const count = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 7);

/** One valid manifest; `i` varies kind, runtime vs remote, transport, size, tools, secrets. */
function manifest(i: number): string {
  if (i % 5 === 4) {
    return `apiVersion: berth.dev/v1alpha1
kind: AccessPolicy
metadata:
  name: policy-${i}
  labels: { team: team-${i % 17} }
spec:
  description: Policy number ${i}
  subjects:
    - agent: agent-${i}
    - group: group-${i % 9}
  allow: [svc${i}.read, svc${i % 13}.*, product.search]
  requireApproval: [discount.approve]
  deny: [customer.export, contract.delete]
`;
  }
  const cpus = [256, 512, 1024, 2048, 4096] as const;
  const cpu = cpus[i % cpus.length] ?? 256;
  const memory = { 256: 1024, 512: 2048, 1024: 4096, 2048: 8192, 4096: 16384 }[cpu];
  const tools = Array.from({ length: 1 + (i % 6) }, (_, t) => `    - name: tool${t}\n      description: Tool ${t} of server ${i}\n      scopes: [svc${i}.${t % 2 ? 'write' : 'read'}]\n${t === 3 ? '      approval: required\n' : ''}`).join('');
  const where =
    i % 7 === 3
      ? `  remote:
    url: https://mcp-${i}.partner.example.com/mcp
    transport: streamable-http
    headers:
      - name: Authorization
        valueFrom: arn:aws:secretsmanager:eu-west-1:123456789012:secret:partner/token-${i}
`
      : `  runtime:
    image: ghcr.io/acme/server-${i}:${1 + (i % 4)}.${i % 10}.0
    transport: ${['streamable-http', 'stdio'][i % 2]}
    port: ${8000 + (i % 100)}
    cpu: ${cpu}
    memory: ${memory}
    replicas: ${1 + (i % 3)}
    env:
      LOG_LEVEL: info
      REGION: eu-west-1
    secrets:
      - name: API_TOKEN
        valueFrom: arn:aws:ssm:eu-west-1:123456789012:parameter/servers/${i}/token
    healthCheck:
      path: /healthz
      intervalSeconds: 15
    local:
      command: node
      args: [servers/${i}/server.ts]
`;
  return `# yaml-language-server: $schema=../schemas/mcpserver.schema.json
apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: server-${i}
  labels:
    team: team-${i % 17}
  annotations:
    berth.dev/ticket: SEC-${1000 + i}
spec:
  description: Server number ${i}, generated for the benchmark.
  owner:
    team: team-${i % 17}
    contact: team-${i % 17}@acme.example
  environment: ${['dev', 'staging', 'production'][i % 3]}
  lifecycle: ${['approved-dev', 'approved-dev', 'approved-production'][i % 3]}
  risk: ${['low', 'medium', 'high'][i % 3]}
  dataClassification: ${['public', 'internal', 'confidential', 'restricted'][i % 4]}
  dataCategories: [customer, revenue]
  version: 1.${i}.0
${where}  tools:
${tools}`;
}

const texts = Array.from({ length: count }, (_, i) => manifest(i));

function baseline(): number {
  let n = 0;
  for (const t of texts) for (const d of parseAllDocuments(t) as ReturnType<typeof parseAllDocuments> & unknown[]) if (d.toJS()) n++;
  return n;
}

function full(): number {
  const docs: ParsedDocument[] = [];
  for (let i = 0; i < texts.length; i++) {
    const r = parseManifestText(texts[i] ?? '', `m${i}.yaml`);
    if (r.problems.length) throw new Error(`generated manifest ${i} is invalid: ${r.problems[0]?.message}`);
    docs.push(...r.documents);
  }
  const problems = validateDocuments(docs);
  if (problems.length) throw new Error(`generated manifests are invalid: ${JSON.stringify(problems.slice(0, 3))}`);
  return docs.length;
}

function time(fn: () => number): number[] {
  fn(); // warm-up: JIT, and the one-time schema compile for `full`
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)] ?? NaN;

const compileStart = performance.now();
parseManifestText(texts[0] ?? '', 'x.yaml');
validateDocuments([]);
const firstUse = performance.now() - compileStart;

const base = time(baseline);
const ours = time(full);
const b = median(base);
const o = median(ours);
console.log(`manifests: ${count} (${texts.filter((t) => t.includes('kind: MCPServer')).length} MCPServer, ${texts.filter((t) => t.includes('kind: AccessPolicy')).length} AccessPolicy), rounds: ${rounds} after 1 warm-up`);
console.log(`first use (module init + schema compile): ${firstUse.toFixed(1)} ms`);
console.log(`baseline  yaml parse only          median ${b.toFixed(1)} ms total, ${(b / count).toFixed(3)} ms/manifest (min ${base[0]?.toFixed(1)}, max ${base.at(-1)?.toFixed(1)})`);
console.log(`berth     parse + validate + set   median ${o.toFixed(1)} ms total, ${(o / count).toFixed(3)} ms/manifest (min ${ours[0]?.toFixed(1)}, max ${ours.at(-1)?.toFixed(1)})`);
console.log(`ratio berth / baseline: ${(o / b).toFixed(2)}x`);
