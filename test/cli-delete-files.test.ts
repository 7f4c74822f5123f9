/**
 * `berth delete -f` and `--dry-run` through the real CLI against a real registry.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, REPO, runBerth, startRegistryProcess, tempDir } from './cli-services-harness.ts';

const { track, later } = cleanupAfterEach();

describe('berth delete -f / --dry-run', () => {
  it('--dry-run names what would go and deletes nothing; -f deletes what the manifests name; a missing object is exit 1', async () => {
    const { dir, remove } = tempDir('delete-f');
    later(remove);
    const reg = track(await startRegistryProcess(join(dir, 'registry')));
    const auth = ['--server', reg.url, '--token', reg.token];
    const policies = join(REPO, 'examples/policies');
    const quote = join(REPO, 'examples/manifests/quote.yaml');
    expect((await runBerth(['apply', '-f', policies, '-f', quote, ...auth])).code).toBe(0);
    const names = async (kind: string) => (await runBerth(['get', kind, '-o', 'jsonpath={.items[*].metadata.name}', ...auth])).stdout.trim();
    expect(await names('policies')).toBe('deal-desk platform sales-copilot');

    const dry = await runBerth(['delete', '-f', policies, '--dry-run', ...auth]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe('accesspolicy/deal-desk would be deleted (dry run)\naccesspolicy/platform would be deleted (dry run)\naccesspolicy/sales-copilot would be deleted (dry run)\n');
    expect(await names('policies')).toBe('deal-desk platform sales-copilot');
    const dryOne = await runBerth(['delete', 'server', 'quote', '--dry-run', ...auth]);
    expect(dryOne.stdout).toBe('mcpserver/quote would be deleted (dry run)\n');
    expect(await names('servers')).toBe('quote');

    const del = await runBerth(['delete', '-f', policies, ...auth]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toBe('accesspolicy/deal-desk deleted\naccesspolicy/platform deleted\naccesspolicy/sales-copilot deleted\n');
    expect(await names('policies')).toBe('');
    expect(await names('servers')).toBe('quote');

    const again = await runBerth(['delete', '-f', policies, '-f', quote, ...auth]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('AccessPolicy/deal-desk');
    expect(again.stdout).toBe('mcpserver/quote deleted\n');
    const dryMissing = await runBerth(['delete', 'server', 'quote', '--dry-run', ...auth]);
    expect(dryMissing.code).toBe(1);
    expect(dryMissing.stderr).toContain('mcpserver/quote not found');

    writeFileSync(join(dir, 'broken.yaml'), 'kind: AccessPolicy\nmetadata: {}\n');
    const invalid = await runBerth(['delete', '-f', join(dir, 'broken.yaml'), ...auth]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('nothing was sent to the registry');
    const both = await runBerth(['delete', 'server', 'x', '-f', policies, ...auth]);
    expect(both.code).toBe(2);
  }, 60_000);
});
