/**
 * Schema validation with ajv, reporting every error in words a person can act on.
 * The schemas are compiled once per {@link SchemaChecker}; compiling is by far the
 * slowest step, so callers keep one checker and reuse it.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { didYouMean } from './did-you-mean.ts';
import type { Finding } from './finding.ts';
import { KINDS, type Kind } from './resource.ts';
import { walkSchema } from './schema-walk.ts';
import { isSchemaNode, propertiesOf, resolveRef, SCHEMAS, type SchemaNode } from './schemas.ts';
import { valueSecretReason } from './secret-lint.ts';
import type { PathSegment } from './yaml-source.ts';

// ajv-formats is CommonJS; under NodeNext its default import is the module object in types only.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Validates objects of every kind against its schema. Build one and reuse it. */
export class SchemaChecker {
  readonly #validators: Record<Kind, ValidateFunction>;
  /** Field name → paths where it exists, per kind; for "belongs under …" hints. */
  readonly #fieldHomes: Record<Kind, Map<string, string[]>>;

  constructor() {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv);
    // VS Code / yaml-language-server extension keyword: the human text for a failed `pattern`.
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    ajv.addKeyword({ keyword: 'minimumErrorMessage', schemaType: 'string' });
    this.#validators = {
      MCPServer: ajv.compile(SCHEMAS.MCPServer),
      AccessPolicy: ajv.compile(SCHEMAS.AccessPolicy),
    };
    this.#fieldHomes = { MCPServer: fieldHomes(SCHEMAS.MCPServer), AccessPolicy: fieldHomes(SCHEMAS.AccessPolicy) };
  }

  /**
   * Every schema problem of `obj`. Checks `kind` first (it picks the schema) and stops
   * there when it is missing or unknown; otherwise reports all errors, not just the first.
   */
  check(obj: unknown): Finding[] {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      return [
        {
          path: [],
          target: 'value',
          code: 'type',
          message: `a manifest must be a mapping with apiVersion, kind, metadata and spec (got ${describeValue(obj)})`,
        },
      ];
    }
    const kind = (obj as Record<string, unknown>)['kind'];
    if (kind === undefined) {
      return [{ path: ['kind'], target: 'key', code: 'required', message: `is required: one of ${KINDS.join(', ')}` }];
    }
    if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
      const hint = typeof kind === 'string' ? didYouMean(kind, KINDS) : undefined;
      // A near miss is a typo worth showing; anything else is not a Berth manifest at all
      // (a file that happened to be in the folder), whose content is never echoed.
      const message = hint
        ? `must be one of ${KINDS.join(', ')} (got ${describeValue(kind)}); did you mean "${hint}"?`
        : `must be one of ${KINDS.join(', ')}: this document is not a Berth manifest (its content is not shown); move it out of the folder or fix its kind`;
      return [{ path: ['kind'], target: 'value', code: 'enum', message }];
    }
    const validate = this.#validators[kind as Kind];
    if (validate(obj)) return [];
    return explainErrors(validate.errors ?? [], SCHEMAS[kind as Kind], this.#fieldHomes[kind as Kind]);
  }
}

function fieldHomes(root: SchemaNode): Map<string, string[]> {
  const homes = new Map<string, string[]>();
  for (const field of walkSchema(root)) {
    if (field.name.startsWith('<') || field.readOnly) continue;
    const parent = field.path.slice(0, field.path.length - field.name.length - 1) || '(top level)';
    homes.set(field.name, [...(homes.get(field.name) ?? []), parent]);
  }
  return homes;
}

/** Turns ajv's raw errors into findings: oneOf groups explained once, duplicates dropped. */
function explainErrors(errors: readonly ErrorObject[], root: SchemaNode, homes: Map<string, string[]>): Finding[] {
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.schemaPath);
  const out: Finding[] = [];
  const seen = new Set<string>();
  const push = (f: Finding): void => {
    const key = `${f.path.join('\u0000')}\u0001${f.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(f);
  };
  for (const error of errors) {
    const insideOneOf = oneOfPaths.find((p) => error.schemaPath.startsWith(`${p}/`));
    if (insideOneOf !== undefined) continue; // explained by the oneOf error itself
    if (error.keyword === 'oneOf') {
      const branchErrors = errors.filter((e) => e.schemaPath.startsWith(`${error.schemaPath}/`));
      for (const f of explainOneOf(error, branchErrors, root, homes)) push(f);
      continue;
    }
    if (error.keyword === 'propertyNames') continue; // its nested error names the bad key more precisely
    const f = explainError(error, root, homes);
    if (f) push(f);
  }
  return out;
}

function pathOf(error: ErrorObject): PathSegment[] {
  if (error.instancePath === '') return [];
  return error.instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function explainError(error: ErrorObject, root: SchemaNode, homes: Map<string, string[]>): Finding | undefined {
  const path = pathOf(error);
  const parent = isSchemaNode(error.parentSchema) ? error.parentSchema : {};
  const got = describeValue(error.data);
  const params = error.params as Record<string, unknown>;
  if (error.propertyName !== undefined) {
    // A propertyNames sub-error: the key itself is wrong.
    const hint = typeof parent['patternErrorMessage'] === 'string' ? parent['patternErrorMessage'] : (error.message ?? 'is not allowed');
    return { path: [...path, error.propertyName], target: 'key', code: 'propertyNames', message: `key "${error.propertyName}" ${hint}` };
  }
  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      const prop = propertiesOf(root, parent)[missing];
      const description = typeof prop?.['description'] === 'string' ? firstSentence(prop['description']) : '';
      return { path: [...path, missing], target: 'key', code: 'required', message: `is required${description ? ` — ${description}` : ''}` };
    }
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const known = Object.keys(propertiesOf(root, parent));
      return { path: [...path, field], target: 'key', code: 'additionalProperties', message: unknownFieldMessage(field, known, path, homes) };
    }
    case 'type': {
      const expected = String(params['type']);
      let message = `expected ${typeWords(expected)}, got ${got}`;
      if (expected === 'string' && (typeof error.data === 'number' || typeof error.data === 'boolean')) {
        message += `; quote it: "${String(error.data)}"`;
      } else if (expected === 'array' && error.data !== null && typeof error.data !== 'object') {
        message += '; write it as a list (`- item` lines or `[a, b]`)';
      }
      return { path, target: 'value', code: 'type', message };
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : undefined;
      return {
        path,
        target: 'value',
        code: 'enum',
        message: `must be one of ${allowed.join(', ')} (got ${got})${hint ? `; did you mean "${hint}"?` : ''}`,
      };
    }
    case 'const':
      return { path, target: 'value', code: 'const', message: `must be ${JSON.stringify(params['allowedValue'])} (got ${got})` };
    case 'pattern': {
      const human = typeof parent['patternErrorMessage'] === 'string' ? parent['patternErrorMessage'] : `must match ${String(params['pattern'])}`;
      return { path, target: 'value', code: 'pattern', message: `${human} (got ${got})` };
    }
    case 'format':
      return { path, target: 'value', code: 'format', message: `${formatWords(String(params['format']))} (got ${got})` };
    case 'minimum':
    case 'exclusiveMinimum': {
      // A `minimumErrorMessage` beside the bound says why the bound exists.
      const why = typeof parent['minimumErrorMessage'] === 'string' ? `: ${parent['minimumErrorMessage']}` : '';
      return { path, target: 'value', code: error.keyword, message: `must be ${error.keyword === 'minimum' ? 'at least' : 'more than'} ${String(params['limit'])} (got ${got})${why}` };
    }
    case 'maximum':
    case 'exclusiveMaximum':
      return { path, target: 'value', code: error.keyword, message: `must be ${error.keyword === 'maximum' ? 'at most' : 'less than'} ${String(params['limit'])} (got ${got})` };
    case 'minLength':
      return {
        path,
        target: 'value',
        code: 'minLength',
        message: Number(params['limit']) === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters long`,
      };
    case 'maxLength':
      return {
        path,
        target: 'value',
        code: 'maxLength',
        message: `must be at most ${String(params['limit'])} characters long (got ${typeof error.data === 'string' ? error.data.length : '?'})`,
      };
    case 'minItems':
      return { path, target: 'value', code: 'minItems', message: `must list at least ${String(params['limit'])} item${Number(params['limit']) === 1 ? '' : 's'}` };
    case 'maxItems':
      return {
        path,
        target: 'value',
        code: 'maxItems',
        message: `must list at most ${String(params['limit'])} items (got ${Array.isArray(error.data) ? error.data.length : '?'})`,
      };
    case 'maxProperties':
      return {
        path,
        target: 'value',
        code: 'maxProperties',
        message: `must have at most ${String(params['limit'])} entries (got ${error.data && typeof error.data === 'object' ? Object.keys(error.data).length : '?'}); keep bulk data out of manifests`,
      };
    case 'uniqueItems': {
      const i = Number(params['i']);
      const j = Number(params['j']);
      const value = Array.isArray(error.data) ? describeValue(error.data[i]) : '';
      return { path: [...path, i], target: 'value', code: 'uniqueItems', message: `duplicate of item ${j} (${value}); list each value once` };
    }
    default:
      return { path, target: 'value', code: error.keyword, message: error.message ?? `fails the schema's ${error.keyword} check` };
  }
}

/**
 * Explains a failed `oneOf`. Berth uses it for "exactly one of these fields"
 * (runtime | remote, agent | group), so the explanation talks about those fields
 * instead of listing each branch's failures.
 */
function explainOneOf(error: ErrorObject, branchErrors: readonly ErrorObject[], root: SchemaNode, homes: Map<string, string[]>): Finding[] {
  const path = pathOf(error);
  const parent = isSchemaNode(error.parentSchema) ? error.parentSchema : {};
  const branches = (Array.isArray(parent['oneOf']) ? parent['oneOf'] : []).filter(isSchemaNode).map((b) => resolveRef(root, b));
  const alternatives = branches.map((b) => (Array.isArray(b['required']) ? (b['required'] as string[]) : []));
  const names = alternatives.map((a) => `\`${a.join('` + `')}\``);
  const either = names.length === 2 ? `${names[0]} or ${names[1]}` : names.join(', ');
  const data = error.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return [{ path, target: 'value', code: 'type', message: `expected a mapping with exactly one of ${either}, got ${describeValue(data)}` }];
  }
  const keys = Object.keys(data);
  const matching = alternatives.map((req, i) => ({ i, ok: req.length > 0 && req.every((k) => keys.includes(k)) })).filter((m) => m.ok);
  if (matching.length > 1) {
    return [{ path, target: 'key', code: 'oneOf', message: `set exactly one of ${either}, not ${matching.length === 2 ? 'both' : 'several'}` }];
  }
  if (matching.length === 1) {
    // The intended alternative is clear: its own errors are the real ones.
    const index = matching[0]?.i ?? 0;
    const prefix = `${error.schemaPath}/${index}/`;
    const own = branchErrors.filter((e) => e.schemaPath.startsWith(prefix));
    return own.map((e) => explainError(e, root, homes)).filter((f): f is Finding => f !== undefined);
  }
  // No alternative chosen: an unknown field is usually a misspelt one.
  const knownInBranches = new Set(branches.flatMap((b) => Object.keys(propertiesOf(root, b))));
  const knownHere = new Set([...Object.keys(propertiesOf(root, parent)), ...knownInBranches]);
  if (knownInBranches.size > 0) {
    const unknown = keys.filter((k) => !knownHere.has(k));
    if (unknown.length > 0) {
      return unknown.map((field) => ({
        path: [...path, field],
        target: 'key' as const,
        code: 'additionalProperties',
        message: unknownFieldMessage(field, [...knownHere], path, homes),
      }));
    }
  }
  return [{ path, target: 'key', code: 'oneOf', message: `needs exactly one of ${either}` }];
}

function unknownFieldMessage(field: string, known: readonly string[], path: readonly PathSegment[], homes: Map<string, string[]>): string {
  const near = didYouMean(field, known);
  if (near) return `unknown field "${field}"; did you mean "${near}"?`;
  const here = path.filter((s) => typeof s === 'string').join('.');
  const elsewhere = (homes.get(field) ?? []).filter((p) => p.replaceAll('[]', '') !== here);
  if (elsewhere.length > 0) return `unknown field "${field}" here; it belongs under ${elsewhere.join(' or ')}`;
  return `unknown field "${field}"; allowed here: ${known.join(', ')}`;
}

/** A value in a message: numbers and short strings as written, long or secret-looking strings only by size. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (valueSecretReason(value) !== undefined) return `a string that looks like a secret (not shown)`;
    if (value.length > 80) return `a string of ${value.length} characters`;
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function typeWords(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    null: 'nothing',
  };
  return type
    .split(',')
    .map((t) => words[t] ?? t)
    .join(' or ');
}

function formatWords(format: string): string {
  switch (format) {
    case 'date':
      return 'must be a date like 2026-06-30';
    case 'date-time':
      return 'must be an RFC 3339 time like 2026-06-30T12:00:00Z';
    case 'uri':
      return 'must be an absolute URL like https://mcp.example.com/mcp';
    case 'hostname':
      return 'must be a host name like mcp.example.com';
    default:
      return `must be a valid ${format}`;
  }
}

function firstSentence(text: string): string {
  const match = /^(.*?[.!?])(\s|$)/.exec(text);
  return (match?.[1] ?? text).replace(/\.$/, '');
}
