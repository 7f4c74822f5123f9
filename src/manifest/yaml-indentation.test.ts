import { describe, expect, it } from 'vitest';
import { parse, YAMLError } from 'yaml';
import { indentationProblem } from './yaml-indentation.ts';
import { describeYamlError, parseManifestText } from './yaml-source.ts';

/** A manifest with one indentation mistake on line 9 or 10, in each typical way. */
const HEAD = 'apiVersion: berth.dev/v1alpha1\nkind: MCPServer\nmetadata:\n  name: weather\nspec:\n  runtime:\n    image: ghcr.io/acme/weather:1\n';

describe('YAML indentation mistakes are reported on the line to fix, in plain words', () => {
  it('a key indented more than the one above it (the parser blames the line above)', () => {
    const text = `${HEAD}    port: 8080\n      cpu: 256\n    memory: 512\n`;
    expect(() => parse(text)).toThrow(/Nested mappings|Implicit keys/); // the parser's jargon, on line 8
    const { problems } = parseManifestText(text, 'weather.yaml');
    expect(problems).toEqual([
      {
        position: { file: 'weather.yaml', line: 9, column: 7 },
        path: '',
        code: 'yaml-indentation',
        message: 'line 9: this line is indented more than the one above it (line 8), which does not open a nested block; indent it like line 8 (column 5), or, if it belongs under line 8, end that line with its key and ":"',
      },
    ]);
  });

  it('a key indented less than its siblings but not as far as its parent', () => {
    const text = `${HEAD}    port: 8080\n   cpu: 256\n`;
    const { problems } = parseManifestText(text, 'weather.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ position: { line: 9, column: 4 }, code: 'yaml-indentation' });
    expect(problems[0]!.message).toBe(
      'line 9: this line is indented less than the one above it (line 8) but not as far as any level it could return to; line it up with the key it belongs beside (column 1, 3 or 5)',
    );
  });

  it('a list item out of line with the items before it', () => {
    const text = `${HEAD}  tools:\n    - name: a\n      description: x\n   - name: b\n`;
    const { problems } = parseManifestText(text, 'weather.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ position: { line: 11, column: 4 }, code: 'yaml-indentation' });
    expect(problems[0]!.message).toMatch(/^line 11: this line is indented less than the one above it \(line 10\)/);
  });

  it('leaves valid indentation alone: nested blocks, lists at the key\'s column, block scalars, comments', () => {
    const text = `${HEAD}    env:\n      A: "x # y"   # comment\n  tools:\n  - name: a\n    description: |\n        free text\n      indented anyhow\n  - name: b\n# trailing\n`;
    expect(indentationProblem(text)).toBeUndefined();
    expect(parseManifestText(text, 'f.yaml').problems.filter((p) => p.code === 'yaml-indentation')).toEqual([]);
  });

  it('keeps the parser\'s message for other syntax errors (an unclosed bracket)', () => {
    const { problems } = parseManifestText('a: [1, 2\n', 'f.yaml');
    expect(problems[0]?.code).toBe('yaml-syntax');
  });

  it('describes a config file\'s parse error the same way (describeYamlError)', () => {
    const text = 'environments:\n  production:\n    region: eu-west-1\n      clusterArn: arn:x\n';
    let err: unknown;
    try {
      parse(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(YAMLError);
    expect(describeYamlError(err as YAMLError, text)).toMatchObject({ line: 4, column: 7, message: expect.stringMatching(/^line 4: this line is indented more than the one above it \(line 3\)/) });
  });
});
