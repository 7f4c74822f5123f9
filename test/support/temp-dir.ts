/**
 * Temporary folders for tests that need a real file system (SQLite files, state folders).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder `berth-<prefix>-XXXXXX` under the OS temp folder, and its removal
 * (recursive; never throws when it is already gone).
 * @example const { dir, remove } = tempDir('reconciler'); try { … } finally { remove(); }
 */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
