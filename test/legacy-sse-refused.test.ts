/**
 * `transport: sse` (legacy HTTP+SSE) is refused with one message, whoever checks:
 * `berth validate` exits 1 naming file:line, and the registry answers 422 with the
 * same path, message and code, so no such server is stored, reconciled and shown
 * Ready while the gateway cannot route it. Both in `spec.runtime` and `spec.remote`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './registry-api-harness.ts';
import { berth } from './support/berth-process.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CASES = [
  { file: 'test/fixtures/invalid/legacy-sse-runtime.yaml', name: 'weather', path: 'spec.runtime.transport', line: 16 },
  { file: 'test/fixtures/invalid/legacy-sse-remote.yaml', name: 'time', path: 'spec.remote.transport', line: 16 },
];

interface Reported {
  path: string;
  message: string;
  code: string;
}

describe('legacy HTTP+SSE servers are refused', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(CASES)('$path: berth validate exits 1 at file:line, the registry answers 422 with the same message', async (c) => {
    const text = await berth(['validate', c.file], {}, REPO);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${c.file}:${c.line}:`);
    expect(text.stdout).toContain('`sse` (the legacy HTTP+SSE transport) is not supported');
    expect(text.stdout).toContain('streamable HTTP, which replaced HTTP+SSE in MCP 2025-03-26');

    const json = await berth(['validate', '-o', 'json', c.file], {}, REPO);
    expect(json.code).toBe(1);
    const problems = (JSON.parse(json.stdout) as { problems: Array<Reported & { file: string; line: number }> }).problems;
    expect(problems.map((p) => ({ file: p.file, line: p.line, path: p.path, code: p.code }))).toEqual([{ file: c.file, line: c.line, path: c.path, code: 'legacy-sse' }]);
    const message = problems[0]!.message;
    expect(message).toMatch(/supergateway --sse <url>.*mcp-proxy <url>/);

    const res = await fetch(`${h.url}/apis/berth.dev/v1alpha1/mcpservers/${c.name}/apply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/yaml' },
      body: readFileSync(`${REPO}${c.file}`, 'utf8'),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: Reported[] };
    expect(body.errors).toEqual([{ path: c.path, message, code: 'legacy-sse' }]);
    expect(await h.admin.get('MCPServer', c.name)).toBeUndefined();
  });
});
