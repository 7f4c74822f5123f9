/**
 * Script: regenerates the manifest reference section of README.md from the schemas.
 *   node src/manifest/write-reference.ts          rewrite README.md
 *   node src/manifest/write-reference.ts --check  exit 1 if README.md is stale
 * (Run with the repository's Node: `npm run docs` once package.json has the entry.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReference, replaceReferenceSection } from './reference.ts';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
const current = readFileSync(readmePath, 'utf8');
const updated = replaceReferenceSection(current, renderReference());
if (process.argv.includes('--check')) {
  if (updated !== current) {
    process.stderr.write('README.md manifest reference is stale; run `npm run docs` (node src/manifest/write-reference.ts)\n');
    process.exitCode = 1;
  }
} else if (updated !== current) {
  writeFileSync(readmePath, updated);
  process.stdout.write('README.md manifest reference updated\n');
} else {
  process.stdout.write('README.md manifest reference already up to date\n');
}
