/**
 * The architecture as a test: every import between files under `src/` must be an
 * edge the rooms table in README.md ("Rooms and the imports they may make")
 * allows, and each room's `index.ts` must state the same rule. The table is the
 * one truth: change it there, and the code and the index comments follow.
 *
 * Also checked, because the brief makes them part of the layering: only the
 * providers and the CLI import an AWS SDK; only the CLI and process entry points
 * (`*-main.ts`) read the environment; no source file imports test code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** A room's rule as the README states it: the rooms (or single files) it may import. */
interface RoomRule {
  /** `kit`, `providers`, `providers/<name>`, … */
  room: string;
  mayImport: string[];
  /** `*`: anything. */
  anything: boolean;
}

/** Reads the rooms table out of README.md. */
export function readRoomsTable(readme: string): RoomRule[] {
  const start = readme.indexOf('<!-- ROOMS TABLE');
  if (start < 0) throw new Error('README.md has no rooms table (<!-- ROOMS TABLE … -->)');
  const rows = readme.slice(start).split('\n').slice(1);
  const rules: RoomRule[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) {
      if (rules.length > 0) break;
      continue;
    }
    const cells = row.split('|').map((c) => c.trim());
    const roomCell = cells[1] ?? '';
    const m = /^`src\/([^`]+)`$/.exec(roomCell);
    if (!m) continue; // header and separator rows
    const importCell = cells[3] ?? '';
    const tokens = [...importCell.matchAll(/`([^`]+)`/g)].map((t) => t[1]!);
    rules.push({ room: m[1]!, mayImport: tokens.filter((t) => t !== '*'), anything: tokens.includes('*') });
  }
  return rules;
}

/** Every non-test TypeScript file (`.ts`, and the dashboard's `.tsx`) under `dir`. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The room a file under src/ belongs to: `providers/<name>` for a runtime's folder, else the first folder. */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  if (parts[0] === 'providers' && parts.length > 2) return `providers/${parts[1]}`;
  return parts[0]!;
}

/** The rule that governs `room` (`providers/ecs` falls under `providers/<name>`). */
function ruleFor(rules: RoomRule[], room: string): RoomRule | undefined {
  return rules.find((r) => r.room === room) ?? (room.startsWith('providers/') ? rules.find((r) => r.room === 'providers/<name>') : undefined);
}

/** Module specifiers a file imports or re-exports (static and dynamic). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'/g)) out.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Whether every import of `spec` in `text` is `import type …` or `export type …`. */
function typeOnlyImport(text: string, spec: string): boolean {
  const escaped = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const all = [...text.matchAll(new RegExp(`(?:^|\\n)\\s*(import|export)\\s([^'";]*?)from\\s+'${escaped}'`, 'g'))];
  return all.length > 0 && all.every((m) => /^type\s/.test(m[2]!.trim()));
}

/** The text without block and line comments (examples in JSDoc may mention process.env). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
}

/** An import edge that breaks a rule, as a sentence. */
export function layeringViolations(rules: RoomRule[]): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = roomOf(file);
    const rule = ruleFor(rules, from);
    const where = relative(ROOT, file);
    if (!rule) {
      problems.push(`${where}: room src/${from} is not in the README's rooms table`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const spec of specifiers(text)) {
      if (spec.startsWith('@aws-sdk/') && !(from.startsWith('providers') || from === 'cli')) problems.push(`${where} imports ${spec}: only the providers and the CLI talk to AWS`);
      if (from === 'dashboard' && spec.startsWith('node:')) problems.push(`${where} imports ${spec}: the dashboard runs in a browser, which has no node: modules`);
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      // The JSON Schemas are the contract, outside src/ on purpose; the manifest room reads them.
      if (from === 'manifest' && /^schemas\/[a-z-]+\.schema\.json$/.test(relative(ROOT, target))) continue;
      if (!target.startsWith(SRC + '/')) {
        problems.push(`${where} imports ${relative(ROOT, target)}: source files may not import anything outside src/`);
        continue;
      }
      const to = roomOf(target);
      if (to === from || rule.anything) continue;
      // The client's code speaks Node's HTTP; the browser may share its wire types only.
      if (from === 'dashboard' && to === 'client' && !typeOnlyImport(text, spec)) problems.push(`${where} imports ${relative(SRC, target)} as code: src/dashboard may import only types from client (\`import type\`)`);
      const targetPath = relative(SRC, target);
      const allowed = rule.mayImport.some((t) => t === to || t === targetPath);
      if (!allowed) problems.push(`${where} imports ${targetPath}: src/${from} may import only ${rule.mayImport.join(', ') || 'nothing else in src'}`);
    }
    if (/\bprocess\.env\b/.test(withoutComments(text)) && from !== 'cli' && !file.endsWith('-main.ts')) problems.push(`${where} reads process.env: only src/cli and process entry points (*-main.ts) read the environment`);
  }
  return problems;
}

const rules = readRoomsTable(readFileSync(join(ROOT, 'README.md'), 'utf8'));

describe('layering', () => {
  it('the README states a rule for every room, cli last, nothing importing cli', () => {
    expect(rules.map((r) => r.room)).toEqual(['kit', 'manifest', 'client', 'registry', 'providers', 'providers/<name>', 'reconciler', 'gateway', 'dashboard', 'cli']);
    expect(rules.filter((r) => r.mayImport.includes('cli'))).toEqual([]);
  });

  it('every import under src/ is an edge the table allows', () => {
    expect(layeringViolations(rules)).toEqual([]);
  });

  it("each room's index.ts states the same rule as the README", () => {
    const rooms = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory());
    const stated: string[] = [];
    const expected: string[] = [];
    for (const dir of rooms) {
      const roomsHere = dir.name === 'providers' ? ['providers', ...readdirSync(join(SRC, 'providers'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `providers/${d.name}`)] : [dir.name];
      for (const room of roomsHere) {
        const rule = ruleFor(rules, room)!;
        const text = readFileSync(join(SRC, room, 'index.ts'), 'utf8');
        const line = /May import: ([^\n]*)/.exec(text)?.[1]?.replace(/\s*\*\/\s*$/, '').trim();
        stated.push(`${room}: ${line ?? '(no "May import:" line)'}`);
        expected.push(`${room}: ${rule.anything ? 'anything; nothing imports it' : rule.mayImport.join(', ') || 'nothing else in src'}.`);
      }
    }
    expect(stated).toEqual(expected);
  });
});
