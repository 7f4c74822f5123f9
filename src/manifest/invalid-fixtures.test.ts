/**
 * Every file (or folder) in test/fixtures/invalid holds exactly one mistake and
 * says, in a `# expect: line N: text` comment, where and what Berth must report.
 * The table is the folder itself: adding a fixture adds a case.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifestPaths, parseManifestText, validateDocuments, validateObject, type Problem } from './index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixturesDir = join(repo, 'test/fixtures/invalid');
// A bound from the issue ("none takes over 1 s"), not a benchmark: real runs take milliseconds.
const TIME_LIMIT_MS = 1000;

interface Expectation {
  file: string;
  line: number;
  text: string;
}

function expectationsOf(entry: string): Expectation[] {
  const full = join(fixturesDir, entry);
  const files = statSync(full).isDirectory() ? readdirSync(full).map((f) => join(full, f)) : [full];
  return files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^# expect: line (\d+): (.+)$/gm)].map((m) => ({
      file: relative(repo, file),
      line: Number(m[1]),
      text: m[2] ?? '',
    })),
  );
}

async function check(path: string): Promise<{ problems: Problem[]; ms: number }> {
  const started = performance.now();
  const loaded = await loadManifestPaths([path], repo);
  const problems = [...loaded.problems, ...validateDocuments(loaded.documents)];
  return { problems, ms: performance.now() - started };
}

function show(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.position?.file}:${p.position?.line}:${p.position?.column} ${p.path} ${p.message}`).join('\n');
}

const entries = readdirSync(fixturesDir).sort();

// Schemas are compiled once per process, on first use; that one-time cost (a few hundred
// ms on a cold, busy machine) belongs to start-up, not to any one fixture.
beforeAll(() => {
  validateObject({ kind: 'MCPServer' });
});

describe('invalid fixtures', () => {
  it('has at least 30 cases, each with an expectation', () => {
    expect(entries.length).toBeGreaterThanOrEqual(30);
    for (const e of entries) expect(expectationsOf(e), e).not.toHaveLength(0);
  });

  it.each(entries)('%s: reports exactly its mistake at the expected line, within 1 s', async (entry) => {
    const expectations = expectationsOf(entry);
    const { problems, ms } = await check(join('test/fixtures/invalid', entry));
    for (const e of expectations) {
      const hit = problems.find((p) => p.position?.file === e.file && p.position.line === e.line && p.message.includes(e.text));
      expect(hit, `expected at ${e.file}:${e.line}: ${e.text}\ngot:\n${show(problems)}`).toBeDefined();
    }
    // One mistake per fixture: nothing else may be reported.
    expect(problems.length, show(problems)).toBe(expectations.length);
    expect(ms).toBeLessThan(TIME_LIMIT_MS);
  });
});

describe('a 5 MB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-huge-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails fast with a clear message, from disk and from text', async () => {
    const file = join(dir, 'huge.yaml');
    const filler = `  - ${'x'.repeat(70)}\n`;
    writeFileSync(file, `apiVersion: berth.dev/v1alpha1\nkind: MCPServer\nmetadata:\n  name: huge\n  junk:\n${filler.repeat(Math.ceil((5 * 1024 * 1024) / filler.length))}`);
    expect(statSync(file).size).toBeGreaterThan(5 * 1024 * 1024);

    const { problems, ms } = await check(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.position?.line).toBe(1);
    expect(problems[0]?.message).toMatch(/^is 5\.0 MiB; a manifest file may be at most 1 MiB — split it/);
    expect(ms).toBeLessThan(TIME_LIMIT_MS);

    const started = performance.now();
    const parsed = parseManifestText(readFileSync(file, 'utf8'), 'huge.yaml');
    expect(performance.now() - started).toBeLessThan(TIME_LIMIT_MS);
    expect(parsed.documents).toHaveLength(0);
    expect(parsed.problems[0]?.code).toBe('file-too-large');
  });
});
