/**
 * types.ts must say exactly what the schemas say. How this is checked, and why:
 *
 * 1. Types are generated from each schema with json-schema-to-typescript (in a temp dir).
 * 2. A small .ts file compares generated and hand-written types, and `tsc` type-checks it:
 *    - assignability both ways (`A extends B` and `B extends A`) catches a changed type,
 *      an enum value added or removed, and a field required on one side only;
 *    - the sets of property paths (`.spec.runtime.cpu`, `.spec.tools[].name`, …) must be
 *      equal both ways. Assignability alone would miss an *optional* field present on one
 *      side only (TypeScript lets extra optional properties through), so the path sets close
 *      that gap. A mismatch makes tsc print the offending path.
 * Comparing with the compiler, not by parsing either side's text, means any way of writing
 * the same type (interface, alias, intersection) passes, and any real difference fails.
 *
 * Two deliberate normalisations before generating, both about what TypeScript can say:
 * - `oneOf` branches that only list `required` fields ("exactly one of runtime and remote")
 *   are validation rules, not shapes; types.ts states them in a comment.
 * - integer `enum`s (Fargate cpu) are widened to `number`: types.ts keeps `cpu: number`
 *   so arithmetic on it needs no casts; the schema enforces the allowed values.
 * And one known difference: types.ts writes `AccessPolicy` as `Resource<Spec, undefined>`,
 * i.e. `status?: undefined`; the schema simply has no status. The check omits it.
 *
 * A second test mutates a schema copy both ways and proves the check then fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMAS } from './schemas.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const typesFile = fileURLToPath(new URL('./types.ts', import.meta.url));
const tsc = join(repo, 'node_modules/.bin/tsc');

type Json = unknown;

/** The two normalisations described above, on a deep copy. */
function normalise(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalise);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'oneOf' && Array.isArray(v) && v.every((b) => typeof b === 'object' && b !== null && Object.keys(b).every((bk) => bk === 'required'))) continue;
    if (k === 'enum' && Array.isArray(v) && v.every((x) => typeof x === 'number')) continue;
    out[k] = normalise(v);
  }
  return out;
}

async function generate(schema: Json, name: string): Promise<string> {
  return compile(normalise(schema) as Parameters<typeof compile>[0], name, {
    bannerComment: '',
    format: false,
    additionalProperties: false,
    unknownAny: true,
    ignoreMinAndMaxItems: true,
    declareExternallyReferenced: true,
  });
}

function checkSource(mcpModule: string, policyModule: string): string {
  return `
import type { MCPServer as HandServer, AccessPolicy as HandPolicyFull } from ${JSON.stringify(typesFile)};
import type { MCPServer as GenServer } from ${JSON.stringify(mcpModule)};
import type { AccessPolicy as GenPolicy } from ${JSON.stringify(policyModule)};

type Paths<T, P extends string = ''> = T extends readonly (infer E)[]
  ? Paths<E, \`\${P}[]\`>
  : T extends object
    ? { [K in keyof T & string]-?: \`\${P}.\${K}\` | Paths<NonNullable<T[K]>, \`\${P}.\${K}\`> }[keyof T & string]
    : never;
type NoExtraPaths<T extends never> = T;
type Assignable<A extends B, B> = [A, B];
type HandPolicy = Omit<HandPolicyFull, 'status'>;

export type ServerHandToSchema = Assignable<HandServer, GenServer>;
export type ServerSchemaToHand = Assignable<GenServer, HandServer>;
export type ServerOnlyInTypesTs = NoExtraPaths<Exclude<Paths<HandServer>, Paths<GenServer>>>;
export type ServerOnlyInSchema = NoExtraPaths<Exclude<Paths<GenServer>, Paths<HandServer>>>;
export type PolicyHandToSchema = Assignable<HandPolicy, GenPolicy>;
export type PolicySchemaToHand = Assignable<GenPolicy, HandPolicy>;
export type PolicyOnlyInTypesTs = NoExtraPaths<Exclude<Paths<HandPolicy>, Paths<GenPolicy>>>;
export type PolicyOnlyInSchema = NoExtraPaths<Exclude<Paths<GenPolicy>, Paths<HandPolicy>>>;
`;
}

const dir = mkdtempSync(join(tmpdir(), 'berth-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes generated types and a check file per variant, runs tsc once, returns its output per check file. */
async function runChecks(variants: Record<string, { server: Json; policy: Json }>): Promise<Record<string, string>> {
  const files: string[] = [];
  for (const [name, v] of Object.entries(variants)) {
    writeFileSync(join(dir, `${name}.server.ts`), await generate(v.server, 'MCPServer'));
    writeFileSync(join(dir, `${name}.policy.ts`), await generate(v.policy, 'AccessPolicy'));
    writeFileSync(join(dir, `${name}.check.ts`), checkSource(`./${name}.server.ts`, `./${name}.policy.ts`));
    files.push(`${name}.check.ts`);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2024',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
        types: [],
      },
      files,
    }),
  );
  let output = '';
  try {
    execFileSync(tsc, ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  const perFile: Record<string, string> = {};
  for (const name of Object.keys(variants)) {
    perFile[name] = output
      .split('\n')
      .filter((l) => l.includes(`${name}.check.ts`) || l.startsWith(' '))
      .join('\n');
  }
  perFile['(all)'] = output;
  return perFile;
}

describe('types.ts and the schemas', () => {
  it('agree: tsc finds no difference between generated and hand-written types', async () => {
    const out = await runChecks({ actual: { server: SCHEMAS.MCPServer, policy: SCHEMAS.AccessPolicy } });
    expect(out['(all)'], out['(all)']).toBe('');
  });

  it('the check is not vacuous: a field added or removed on either side is caught by name', async () => {
    const withExtra = structuredClone(SCHEMAS.MCPServer) as { $defs: { mcpServerSpec: { properties: Record<string, unknown> } } };
    withExtra.$defs.mcpServerSpec.properties['driftField'] = { type: 'string', description: 'only in the schema' };
    const withoutVersion = structuredClone(SCHEMAS.MCPServer) as typeof withExtra;
    delete withoutVersion.$defs.mcpServerSpec.properties['version'];
    const retyped = structuredClone(SCHEMAS.AccessPolicy) as { $defs: { accessPolicySpec: { properties: Record<string, unknown> } } };
    retyped.$defs.accessPolicySpec.properties['allow'] = { type: 'string', description: 'was a list' };

    const out = await runChecks({
      extra: { server: withExtra, policy: SCHEMAS.AccessPolicy },
      missing: { server: withoutVersion, policy: SCHEMAS.AccessPolicy },
      retyped: { server: SCHEMAS.MCPServer, policy: retyped },
    });
    expect(out['extra']).toContain('.spec.driftField');
    expect(out['missing']).toContain('.spec.version');
    expect(out['retyped']).toContain("The types of 'spec.allow' are incompatible");
  });
});
