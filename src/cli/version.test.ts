/**
 * `berth --version`: the commit comes from the build-info file an image build
 * writes; a checkout without it, or a build without BERTH_COMMIT, says so.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { buildInfo, versionLine } from './version.ts';

const dirs: Array<() => void> = [];
afterEach(() => dirs.splice(0).forEach((remove) => remove()));

function infoFile(content: string | undefined): URL {
  const { dir, remove } = tempDir('version');
  dirs.push(remove);
  const file = join(dir, 'build-info.json');
  if (content !== undefined) writeFileSync(file, content);
  return pathToFileURL(file);
}

describe('berth --version', () => {
  it('names the commit baked in at build time', async () => {
    const info = await buildInfo(infoFile('{"commit":"51279f1caffc4502b538e4b4d8be2f3f361bd2e5"}\n'));
    expect(versionLine(info)).toMatch(/^berth \d+\.\d+\.\d+ \(commit 51279f1caffc4502b538e4b4d8be2f3f361bd2e5\)\n$/);
  });

  it('says the commit is unknown in a checkout, and for a build without BERTH_COMMIT', async () => {
    for (const content of [undefined, '{"commit":"unknown"}', '{"commit":"$(rm -rf /)"}']) {
      expect(versionLine(await buildInfo(infoFile(content)))).toMatch(/\(commit unknown: not built with BERTH_COMMIT\)/);
    }
  });

  it('reports a corrupt build-info file, naming it', async () => {
    const file = infoFile('commit=abc');
    await expect(buildInfo(file)).rejects.toThrow(`${file.pathname} is not JSON like {"commit":"<sha>"}; rebuild the image`);
  });
});
