import { describe, expect, it } from 'vitest';
import { crashExcerpt } from './crash-excerpt.ts';

describe('crashExcerpt', () => {
  it("quotes Node's error headline ahead of the uninformative last lines of a crash", () => {
    const stderr = [
      'node:internal/modules/cjs/loader:1568',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/srv/examples/servers/quote/server.ts'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1564:15)',
      '    at Module._load (node:internal/modules/cjs/loader:1341:5)',
      '    at node:internal/main/run_main_module:33:47 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      '',
      'Node.js v24.21.0',
    ];
    expect(crashExcerpt(stderr)).toEqual([
      "Error: Cannot find module '/srv/examples/servers/quote/server.ts'",
      '…',
      '    at node:internal/main/run_main_module:33:47 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      'Node.js v24.21.0',
    ]);
  });

  it('keeps the plain tail when the headline is already in it, or when there is none', () => {
    expect(crashExcerpt(['loading /etc/crashy.yaml', 'fatal: config file /etc/crashy.yaml not found'])).toEqual(['loading /etc/crashy.yaml', 'fatal: config file /etc/crashy.yaml not found']);
    expect(crashExcerpt(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toEqual(['c', 'd', 'e', 'f', 'g']);
    expect(crashExcerpt(['TypeError: x is not a function', 'f', 'g', 'h', 'i', 'j'])).toEqual(['TypeError: x is not a function', 'f', 'g', 'h', 'i', 'j']);
    expect(crashExcerpt([])).toEqual([]);
  });
});
