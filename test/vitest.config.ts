import { defineConfig } from 'vitest/config';

// Tests live beside the code they prove (src/**) and, for end-to-end and contract
// suites, under test/. Forks, not threads: tests start real child processes and use node:sqlite.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
