/**
 * `berth import` and `berth export` run as the real bin in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const nodeBin = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : `${repo}node_modules/.bin/node`;
const fixture = (name: string): string => `test/fixtures/server-json/${name}`;

function berth(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBin, ['src/cli/bin.ts', ...args], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('berth import / export', () => {
  it('imports a server.json to YAML with the notes as comments and on stderr, and exports it back', async () => {
    const imported = await berth(['import', fixture('npm-stdio-brave-search.json'), '--team', 'search-platform', '--environment', 'staging']);
    expect(imported.code).toBe(0);
    const lines = imported.stdout.split('\n');
    expect(lines[0]).toBe(`# Imported from ${fixture('npm-stdio-brave-search.json')} by \`berth import\`. Check these notes before applying:`);
    expect(lines).toContain('# - spec.owner.team is "search-platform" (given).');
    expect(imported.stderr).toContain('berth import: note: spec.runtime.secrets: BRAVE_API_KEY is a secret; it points at the placeholder ARN');
    const manifest = parse(imported.stdout) as { kind: string; metadata: { name: string }; spec: { environment: string } };
    expect(manifest).toMatchObject({ kind: 'MCPServer', metadata: { name: 'brave-search-mcp-server' }, spec: { environment: 'staging' } });

    const exported = await berth(['export', '-'], imported.stdout);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(JSON.parse(readFileSync(`${repo}${fixture('npm-stdio-brave-search.json')}`, 'utf8')));
    expect(exported.stderr).toContain('berth export: note: spec.owner, spec.environment, spec.lifecycle, spec.risk, spec.dataClassification have no place in server.json');
  });

  it('reads stdin, prints JSON with -o json, and exports from a file', async () => {
    const text = readFileSync(`${repo}${fixture('every-field.json')}`, 'utf8');
    const imported = await berth(['import', '-', '-o', 'json'], text);
    expect(imported.code).toBe(0);
    const manifest = JSON.parse(imported.stdout) as { spec: { runtime: { image: string } } };
    expect(manifest.spec.runtime.image).toBe('docker.io/acmedata/warehouse-query:5.0.0-rc.2');
    const dir = mkdtempSync(`${tmpdir()}/berth-export-`);
    try {
      writeFileSync(`${dir}/warehouse.yaml`, imported.stdout); // JSON is YAML
      const exported = await berth(['export', `${dir}/warehouse.yaml`]);
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toEqual(JSON.parse(text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on usage errors and 1 on bad input, saying what is wrong', async () => {
    const badEnv = await berth(['import', fixture('pypi-fetch.json'), '--environment', 'prod']);
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('--environment must be one of dev, staging, production (got "prod")');
    expect((await berth(['import'])).code).toBe(2);
    expect((await berth(['export', 'a.yaml', 'b.yaml'])).code).toBe(2);

    const notJson = await berth(['import', '-'], '{"name": ');
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^berth import: <stdin> is not valid JSON: /);
    const notServer = await berth(['import', '-'], '{"name":"x"}');
    expect(notServer.code).toBe(1);
    expect(notServer.stderr).toContain('name: must be a reverse-DNS name with one "/"');
    const missing = await berth(['import', 'no/such/server.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read no/such/server.json');

    const policy = await berth(['export', '-'], 'apiVersion: berth.dev/v1alpha1\nkind: AccessPolicy\nmetadata: {name: p}\nspec: {subjects: [], allow: []}\n');
    expect(policy.code).toBe(1);
    expect(policy.stderr).toContain('holds 0 MCPServer manifests; export needs exactly one');
    const both = await berth(['export', '-'], 'apiVersion: berth.dev/v1alpha1\nkind: MCPServer\nmetadata: {name: s}\nspec: {owner: {team: t}}\n');
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('spec must have exactly one of runtime and remote');
  });
});
