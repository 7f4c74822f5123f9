import { defineConfig } from 'vitest/config';

// Tests live beside the code they prove (src/**) and, for end-to-end and contract
// suites, under test/. Forks, not threads: tests start real child processes and use node:sqlite.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    pool: 'forks',
    // Two files at a time. Vitest's default on a 2-core machine is one (cores - 1), but most
    // files spend their time waiting on child processes and sockets: two workers took the
    // suite from ~465 s to ~330 s here, with every test passing under other load.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
