/**
 * `berth validate`, run as the real program (a child process of the repository's Node).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const node = join(repo, 'node_modules/.bin/node');
const bin = join(repo, 'src/cli/bin.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function berth(args: string[], options: { cwd?: string; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], { cwd: options.cwd ?? repo, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const CPU_LINE =
  'spec.runtime.cpu  must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)';

describe('berth validate', () => {
  it('exits 0 for the examples folder', async () => {
    const r = await berth(['validate', 'examples/']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+ files, \d+ objects, 0 problems\n$/);
    expect(r.code).toBe(0);
  });

  it('exits 1 with one line per problem, paths relative to the working directory, and a summary', async () => {
    const r = await berth(['validate', 'invalid/cpu-invalid.yaml', 'invalid/policy-subject-typo.yaml'], { cwd: join(repo, 'test/fixtures') });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `invalid/cpu-invalid.yaml:17:10  MCPServer/weather  ${CPU_LINE}`,
      'invalid/policy-subject-typo.yaml:9:7  AccessPolicy/sales-copilot  spec.subjects[0].agnt  unknown field "agnt"; did you mean "agent"?',
      '2 files, 2 objects, 2 problems',
      '',
    ]);
  });

  it('prints a machine-readable document with -o json', async () => {
    const r = await berth(['validate', '-o', 'json', 'test/fixtures/invalid/cpu-invalid.yaml']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      files: 1,
      objects: 1,
      problems: [
        {
          file: 'test/fixtures/invalid/cpu-invalid.yaml',
          line: 17,
          column: 10,
          object: 'MCPServer/weather',
          path: 'spec.runtime.cpu',
          message: 'must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)',
          code: 'enum',
        },
      ],
    });
  });

  it('reads "-" from standard input', async () => {
    const text = (await import('node:fs')).readFileSync(join(repo, 'test/fixtures/invalid/cpu-invalid.yaml'), 'utf8');
    const r = await berth(['validate', '-'], { stdin: text });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`-:17:10  MCPServer/weather  ${CPU_LINE}\n1 file, 1 object, 1 problem\n`);
  });

  it('exits 2 on usage errors and says what was wrong', async () => {
    const none = await berth(['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give at least one file, folder, or "-"');

    const flag = await berth(['validate', '--frobnicate', 'examples/']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown flag "--frobnicate"');

    const missing = await berth(['validate', 'examples/', 'servers/nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('path does not exist: servers/nope.yaml');

    const output = await berth(['validate', '-o', 'yaml', 'examples/']);
    expect(output.code).toBe(2);
    expect(output.stderr).toContain('-o must be "text" or "json" (got "yaml")');
  });

  it('refuses a remote URL at a metadata or loopback address, and --allow-remote lets loopback through', async () => {
    const manifest = (url: string) => `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: crm
spec:
  owner:
    team: platform
  environment: dev
  lifecycle: approved-dev
  risk: low
  dataClassification: internal
  remote:
    url: ${url}
    transport: streamable-http
`;
    const metadata = await berth(['validate', '-'], { stdin: manifest('http://0xa9fea9fe/latest/meta-data/') });
    expect(metadata.code).toBe(1);
    expect(metadata.stdout).toContain('spec.remote.url  remote URL http://169.254.169.254/latest/meta-data/ points at 169.254.169.254, a cloud metadata service (rule cloud-metadata)');
    const loopback = await berth(['validate', '-'], { stdin: manifest('http://127.1:4100/mcp') });
    expect(loopback.code).toBe(1);
    expect(loopback.stdout).toContain('--allow-remote 127.0.0.1');
    const allowed = await berth(['validate', '--allow-remote', '127.0.0.1', '-'], { stdin: manifest('http://127.1:4100/mcp') });
    expect(allowed.stdout).toContain('0 problems');
    expect(allowed.code).toBe(0);
    const bad = await berth(['validate', '--allow-remote', '10.0.0.0/99', '-'], { stdin: manifest('http://127.1:4100/mcp') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('prefix length');
  });
});
