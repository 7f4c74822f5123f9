/**
 * Public API of the manifest contract: parse YAML with positions, validate
 * (schema + checks across a set), apply defaults, hash specs, load files, and the
 * domain rules every part shares (route normalisation and collisions, lifecycle gates,
 * the gateway's authorization rules).
 * Pure apart from reading local files in {@link loadManifestPaths}; imports nothing else from `src`.
 *
 * @example
 * const { documents, problems } = await loadManifestPaths(['servers/'], process.cwd());
 * problems.push(...validateDocuments(documents));
 * for (const p of problems) console.log(formatProblem(p));
 *
 * May import: kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
import type { Problem } from './problem.ts';
import type { AnyResource } from './types.ts';
import { ManifestValidator, type ValidateOptions } from './validate.ts';
import type { ParsedDocument } from './yaml-source.ts';

export * from './resource.ts';
export * from './types.ts';
export * from './conditions.ts';
export { formatProblem, type Problem, type SourcePosition } from './problem.ts';
export { parseManifestText, type ParsedDocument, type ParseResult, type PathSegment, type PositionTarget } from './yaml-source.ts';
export { loadManifestPaths, ManifestPathError, type LoadResult } from './load.ts';
export { applyDefaults } from './defaults.ts';
export { specHash, canonicalJson } from './spec-hash.ts';
export { changeSummary, MAX_CHANGED_PATHS, MAX_VALUE_CHARS } from './change-summary.ts';
export { stripServerOwned, SERVER_OWNED_PATHS } from './server-owned.ts';
export { ManifestValidator, type ValidateOptions } from './validate.ts';
export { RemoteAddressRule, urlForDisplay, allowEntryProblem, type RemoteAddressPolicy, type RemoteAddressRefusal } from './remote-address.ts';
export { SCHEMAS, SCHEMA_FILES } from './schemas.ts';
export { FARGATE_CPUS, FARGATE_MEMORY, isValidFargatePair } from './fargate.ts';
export * from './route.ts';
export * from './lifecycle.ts';
export * from './approval.ts';
export { reviewHash, codeHash } from './approval-hash.ts';
export * from './policy.ts';
export { MAX_FILE_BYTES, MAX_NESTING_DEPTH, MAX_ALIAS_COUNT } from './limits.ts';

// Compiling the schemas costs a few milliseconds and the result is pure and
// immutable, so the module-level functions share one validator, built on first use
// (never at import). Code that wants its own can construct a ManifestValidator.
let shared: ManifestValidator | undefined;
function validator(): ManifestValidator {
  shared ??= new ManifestValidator();
  return shared;
}

/**
 * Validates a set of parsed documents — schema, server-owned fields, checks within each
 * object, unique names per kind and route collisions across the set. Every problem is
 * positioned at file:line:col. Empty when all are valid.
 */
export function validateDocuments(docs: readonly ParsedDocument[], options?: ValidateOptions): Problem[] {
  return validator().validateDocuments(docs, options);
}

/**
 * Validates one object that did not come from a file (an API request body): the same
 * checks and messages as {@link validateDocuments} for a single document, without positions
 * and without the across-the-set checks. Server-owned fields are reported unless
 * `options.allowServerOwned`; to accept an object the registry sent out, pass it through
 * `stripServerOwned` first. Empty when valid.
 */
export function validateObject(obj: unknown, options?: ValidateOptions): Problem[] {
  return validator().validateObject(obj, options);
}

