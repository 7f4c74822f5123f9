import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeResidentBytes } from './process-memory.ts';
import { waitFor } from '../../../test/fixtures/mcp-servers/harness.ts';

describe('treeResidentBytes', () => {
  it("counts a process with its descendants (a server behind a wrapper), and leaves out a root that has gone", async () => {
    // A wrapper process whose child holds ~64 MiB: the wrapper alone would hide it.
    const wrapper = spawn(process.execPath, ['-e', `
      const c = require('node:child_process').spawn(process.execPath, ['-e', 'globalThis.b = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });
      setInterval(() => {}, 1000);`], { stdio: 'ignore' });
    try {
      const MiB = 1024 * 1024;
      const tree = await waitFor('the child to fill its buffer', () => {
        const bytes = treeResidentBytes([wrapper.pid!])?.get(wrapper.pid!) ?? 0;
        return bytes > 100 * MiB ? bytes : undefined;
      });
      expect(tree).toBeGreaterThan(100 * MiB); // wrapper (~40 MiB) + child (~40 MiB + 64 MiB)
      expect(treeResidentBytes([999_999_999])).toEqual(new Map());
      expect(treeResidentBytes([])).toEqual(new Map());
      expect(treeResidentBytes([wrapper.pid!], '/no/proc/here')).toBeUndefined();
    } finally {
      const gone = new Promise((r) => wrapper.once('exit', r));
      wrapper.kill('SIGTERM');
      await gone;
    }
  });
});
