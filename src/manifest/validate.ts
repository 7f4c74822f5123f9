/**
 * Validation of single objects and of sets of documents: schema, server-owned
 * fields, checks within an object, and checks across the set (unique names,
 * routing collisions).
 */
import { applyDefaults } from './defaults.ts';
import { formatPath, toProblem, type Finding } from './finding.ts';
import { routeCollision, serverRoute, type ServerRoute } from './route.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';
import type { Problem, SourcePosition } from './problem.ts';
import { SchemaChecker } from './schema-check.ts';
import { RemoteAddressRule } from './remote-address.ts';
import { objectFindings, remoteAddressFindings } from './semantic.ts';
import { serverOwnedFindings } from './server-owned.ts';
import type { AnyResource } from './types.ts';
import type { ParsedDocument, PathSegment } from './yaml-source.ts';

/** Options for validation. */
export interface ValidateOptions {
  /**
   * Accept server-owned fields (metadata.generation, resourceVersion, uid, timestamps,
   * finalizers, status) instead of reporting them. For objects the registry itself
   * produced (stored objects, watch events). Manifests written by people: leave false.
   */
  allowServerOwned?: boolean;
  /**
   * The remote-address rule `spec.remote.url` is checked against when it names an
   * address literally (remote-address.ts). Default: the default rule (no allow-list).
   * `false` skips the check: `berth apply` leaves it to the registry, which holds
   * the operator's allow-list.
   */
  remoteAddresses?: RemoteAddressRule | false;
}

/**
 * Validates manifests. Compiling the schemas happens once, in the constructor;
 * keep one instance and reuse it (the module-level functions in `index.ts` do).
 */
export class ManifestValidator {
  readonly #schema = new SchemaChecker();
  readonly #defaultRemoteRule = new RemoteAddressRule();

  /**
   * Problems of one object that did not come from a file (an API body): the same
   * messages as for files, without positions. Empty when valid.
   */
  validateObject(obj: unknown, options: ValidateOptions = {}): Problem[] {
    return this.#check(obj, options).findings.map((f) => toProblem(f, obj));
  }

  /**
   * Problems of a set of parsed documents (typically every file given to `berth validate`
   * or `berth apply`): each document's own problems, then names that repeat within a
   * kind and servers that claim the same gateway route. Each problem is positioned.
   */
  validateDocuments(docs: readonly ParsedDocument[], options: ValidateOptions = {}): Problem[] {
    const problems: Problem[] = [];
    const checked: Checked[] = [];
    for (const doc of docs) {
      const { findings, defaulted } = this.#check(doc.object, options);
      problems.push(...findings.map((f) => toProblem(f, doc.object, doc)));
      checked.push({ doc, defaulted, valid: findings.length === 0 });
    }
    const all = named(checked);
    problems.push(...duplicateNameProblems(all), ...routeCollisionProblems(all));
    return problems;
  }

  #check(obj: unknown, options: ValidateOptions): { findings: Finding[]; defaulted: unknown } {
    // API bodies skip the YAML pre-scan; the clone in applyDefaults must not meet a runaway structure.
    if (depthExceeds(obj, MAX_NESTING_DEPTH)) {
      return {
        findings: [{ path: [], target: 'value', code: 'nesting-too-deep', message: `nesting is deeper than ${MAX_NESTING_DEPTH} levels; manifests are shallow` }],
        defaulted: obj,
      };
    }
    const findings = this.#schema.check(obj);
    if (findings.some((f) => f.path.length === 0 || f.path[0] === 'kind')) return { findings, defaulted: obj }; // no usable object
    if (!options.allowServerOwned) findings.push(...serverOwnedFindings(obj));
    const defaulted = applyDefaults(obj as AnyResource);
    const seen = new Set(findings.map((f) => formatPath(f.path)));
    // A field the schema already rejected is not checked again.
    findings.push(...objectFindings(defaulted, obj).filter((f) => !seen.has(formatPath(f.path))));
    if (options.remoteAddresses !== false) {
      const rule = options.remoteAddresses ?? this.#defaultRemoteRule;
      findings.push(...remoteAddressFindings(defaulted, rule).filter((f) => !seen.has(formatPath(f.path))));
    }
    return { findings, defaulted };
  }
}

/** True when `value` nests deeper than `limit` objects/arrays. Iterative, so any depth is safe. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== 'object' || v === null) continue;
    if (d >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  return false;
}

interface Checked {
  doc: ParsedDocument;
  /** The document after applyDefaults (computed once, shared by the set checks). */
  defaulted: unknown;
  /** True when the document has no problem of its own. */
  valid: boolean;
}

interface Named extends Checked {
  kind: string;
  name: string;
}

function named(checked: readonly Checked[]): Named[] {
  const out: Named[] = [];
  for (const c of checked) {
    const o = c.doc.object as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (typeof o?.kind === 'string' && typeof o.metadata?.name === 'string') out.push({ ...c, kind: o.kind, name: o.metadata.name });
  }
  return out;
}

function where(p: SourcePosition): string {
  return `${p.file}:${p.line}`;
}

function duplicateNameProblems(all: readonly Named[]): Problem[] {
  const first = new Map<string, Named>();
  const out: Problem[] = [];
  for (const n of all) {
    const key = `${n.kind}/${n.name}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, n);
      continue;
    }
    const path: PathSegment[] = ['metadata', 'name'];
    out.push(
      toProblem(
        {
          path,
          target: 'value',
          code: 'duplicate-name',
          message: `${key} is already defined at ${where(earlier.doc.positionOf(path))}; names must be unique per kind — rename one`,
        },
        n.doc.object,
        n.doc,
      ),
    );
  }
  return out;
}

/**
 * Servers whose route another server of the set already holds, checked as the
 * registry would check them if the set were applied in order: a server without
 * problems of its own takes its route unless it collides (route.ts) with a route
 * taken before it. A server with problems of its own would be refused before its
 * route is looked at, so it neither takes nor is refused a route here.
 */
function routeCollisionProblems(all: readonly Named[]): Problem[] {
  const taken: ServerRoute[] = [];
  const out: Problem[] = [];
  for (const n of all) {
    if (n.kind !== 'MCPServer' || !n.valid) continue;
    const mine = serverRoute({ metadata: { name: n.name }, spec: (n.defaulted as { spec?: unknown }).spec });
    const message = firstDefined(taken, (holder) => routeCollision(mine, holder));
    if (message === undefined) {
      taken.push(mine);
      continue;
    }
    out.push(toProblem({ path: ['spec', 'routing', 'path'], target: 'value', code: 'route-collision', message }, n.doc.object, n.doc));
  }
  return out;
}

function firstDefined<T, R>(items: readonly T[], f: (item: T) => R | undefined): R | undefined {
  for (const item of items) {
    const r = f(item);
    if (r !== undefined) return r;
  }
  return undefined;
}
