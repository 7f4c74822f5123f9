/**
 * `berth get` for scripts and terminals, through the real CLI against a real
 * registry: `-o jsonpath=…`, `--no-headers`, and `-w` printing a row per change.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { cleanupAfterEach, REPO, runBerth, spawnBerth, startRegistryProcess, tempDir, waitFor } from './cli-services-harness.ts';

const { track, later } = cleanupAfterEach();

async function registryWithExamples(): Promise<{ auth: string[]; admin: HttpRegistryClient }> {
  const { dir, remove } = tempDir('get-output');
  later(remove);
  const reg = track(await startRegistryProcess(join(dir, 'registry')));
  const auth = ['--server', reg.url, '--token', reg.token];
  const applied = await runBerth(['apply', '-f', join(REPO, 'examples/manifests/quote.yaml'), '-f', join(REPO, 'examples/manifests/knowledge-base.yaml'), ...auth]);
  expect(applied.code, applied.stderr).toBe(0);
  return { auth, admin: new HttpRegistryClient({ baseUrl: reg.url, token: reg.token }) };
}

describe('berth get -o jsonpath / --no-headers / -w', () => {
  it('-o jsonpath prints the values the expression selects; --no-headers drops the header line; a bad expression is a usage error', async () => {
    const { auth } = await registryWithExamples();
    const names = await runBerth(['get', 'servers', '-o', 'jsonpath={.items[*].metadata.name}', ...auth]);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).toBe('knowledge-base quote\n');
    const one = await runBerth(['get', 'server', 'quote', '-o', 'jsonpath={.metadata.name} {.spec.tools[*].name}', ...auth]);
    expect(one.stdout).toBe('quote searchProducts createQuote getQuote applyDiscount\n');

    const table = await runBerth(['get', 'servers', '--no-headers', ...auth]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^knowledge-base\s/);
    expect(lines[1]).toMatch(/^quote\s/);
    const all = await runBerth(['get', '--no-headers', ...auth]);
    expect(all.stdout).not.toMatch(/NAME|MCPServer:/);

    const bad = await runBerth(['get', 'servers', '-o', 'jsonpath={.items[?(@.x)]}', ...auth]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('supported: .field, [N], [*]');
    const watchAll = await runBerth(['get', '-w', ...auth]);
    expect(watchAll.code).toBe(2);
    expect(watchAll.stderr).toContain('-w watches one kind');
  }, 60_000);

  it('-w prints the table, then a row for each change of the selected objects', async () => {
    const { auth, admin } = await registryWithExamples();
    const watcher = track(spawnBerth(['get', 'servers', '-w', ...auth]));
    await watcher.waitForLine(/^NAME\s+TEAM/);
    await watcher.waitForLine(/^quote\s/);
    const quoteRows = () => watcher.lines.filter((l) => /^quote\s/.test(l));
    expect(quoteRows()).toHaveLength(1);

    const stored = (await admin.get('MCPServer', 'quote'))!;
    await admin.updateStatus('MCPServer', 'quote', { observedGeneration: stored.metadata.generation, phase: 'Ready' });
    const changed = await waitFor('a row for the status change', () => quoteRows().find((l) => /\sReady\s/.test(l)), 10_000);
    expect(changed).toMatch(/^quote\s+\S+\s+dev\s+approved-dev\s+Ready\s/);

    await admin.delete('MCPServer', 'knowledge-base');
    const gone = await waitFor('a row for the deletion', () => watcher.lines.find((l) => /^knowledge-base\s.*\sDeleted\s/.test(l)), 10_000);
    expect(gone).toBeDefined();
    expect(watcher.lines.filter((l) => /^NAME\s/.test(l))).toHaveLength(1);
  }, 60_000);
});
