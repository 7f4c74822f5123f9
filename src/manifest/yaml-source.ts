/**
 * Multi-document YAML parsing that remembers where every key and value came
 * from, so a problem found in the plain object can be reported at file:line:col.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type YAMLError } from 'yaml';
import { MAX_ALIAS_COUNT, MAX_FILE_BYTES, MAX_NESTING_DEPTH } from './limits.ts';
import { findExcessiveNesting } from './nesting.ts';
import type { Problem, SourcePosition } from './problem.ts';
import { indentationProblem, INDENTATION_ERROR_CODES, type IndentationProblem } from './yaml-indentation.ts';

/** One segment of a path into a document: a mapping key or a list index. */
export type PathSegment = string | number;

/** Whether a position should point at a field's key (`cpu:`) or at its value (`300`). */
export type PositionTarget = 'key' | 'value';

/** One YAML document of a manifest file, parsed to a plain value. */
export interface ParsedDocument {
  /** The document as plain data (what `JSON.parse` would give for the same content). */
  object: unknown;
  /** File name as given to the parser (relative to the working directory for CLI input). */
  file: string;
  /** 0-based index of the document in its file, counting only non-empty documents. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  /**
   * Where `path` is in the file. When the path does not exist (a missing field),
   * the position of its deepest existing ancestor.
   */
  positionOf(path: readonly PathSegment[], target?: PositionTarget): SourcePosition;
}

/** Result of parsing one file: its documents and the problems that stopped any of them from parsing. */
export interface ParseResult {
  documents: ParsedDocument[];
  problems: Problem[];
}

/**
 * Parses every YAML document in `text`. Never throws: syntax errors, tabs, duplicate keys,
 * alias bombs, excessive nesting, oversized input and files with no manifest at all come
 * back as problems; a document with a problem is left out of `documents`.
 * @example parseManifestText('kind: MCPServer\n…', 'servers/weather.yaml')
 */
export function parseManifestText(text: string, file: string): ParseResult {
  const at = (line: number, column: number): SourcePosition => ({ file, line, column });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILE_BYTES) {
    return { documents: [], problems: [tooLargeProblem(file, bytes)] };
  }
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const excess = findExcessiveNesting(source);
  if (excess) {
    return {
      documents: [],
      problems: [
        {
          position: at(excess.line, excess.column),
          path: '',
          code: 'nesting-too-deep',
          message: `nesting is deeper than ${MAX_NESTING_DEPTH} levels; manifests are shallow — look for unclosed brackets or runaway indentation`,
        },
      ],
    };
  }

  const lineCounter = new LineCounter();
  const posAt = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return at(line, col);
  };
  const parsed = parseAllDocuments(source, { lineCounter, uniqueKeys: true, strict: true, prettyErrors: false });
  const yamlDocs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const documents: ParsedDocument[] = [];
  const problems: Problem[] = [];
  let nonEmpty = 0;

  for (const doc of yamlDocs) {
    if (doc.contents === null && doc.errors.length === 0) continue; // `---` with nothing after it: skip, like kubectl.
    nonEmpty++;
    const errors = [...doc.errors, ...doc.warnings];
    const misindented = indentationCause(errors, source, lineCounter);
    const docProblems = misindented
      ? [{ position: at(misindented.line, misindented.column), path: '', code: 'yaml-indentation', message: misindented.message }]
      : errors.map((e) => yamlErrorProblem(e, source, posAt));
    if (docProblems.length > 0) {
      problems.push(...docProblems);
      continue;
    }
    const contentStart = doc.contents?.range?.[0] ?? doc.range[0];
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      problems.push({
        position: posAt(firstAliasOffset(doc) ?? contentStart),
        path: '',
        code: 'alias-limit',
        message:
          err instanceof ReferenceError
            ? `YAML aliases expand to too many nodes (limit ${MAX_ALIAS_COUNT}); this looks like an alias bomb — write the values out instead of nesting aliases`
            : `cannot read this document: ${err instanceof Error ? err.message : String(err)}`,
      });
      continue;
    }
    if (object === null || object === undefined) continue; // an explicit `~` / `null` document is empty too.
    documents.push(makeDocument(doc, object, file, documents.length, contentStart, posAt));
  }

  if (nonEmpty === 0 || (documents.length === 0 && problems.length === 0)) {
    problems.push({
      position: at(1, 1),
      path: '',
      code: 'empty',
      message: 'contains no manifest; add an MCPServer or AccessPolicy document, or delete the file',
    });
  }
  return { documents, problems };
}

/** The problem reported for input over {@link MAX_FILE_BYTES}; also used by loaders that check size before reading. */
export function tooLargeProblem(file: string, bytes: number): Problem {
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return {
    position: { file, line: 1, column: 1 },
    path: '',
    code: 'file-too-large',
    message: `is ${mib} MiB; a manifest file may be at most ${MAX_FILE_BYTES / (1024 * 1024)} MiB — split it into several files`,
  };
}

function makeDocument(
  doc: Document.Parsed,
  object: unknown,
  file: string,
  index: number,
  contentStart: number,
  posAt: (offset: number) => SourcePosition,
): ParsedDocument {
  return {
    object,
    file,
    index,
    line: posAt(contentStart).line,
    positionOf(path, target = 'value') {
      return posAt(locate(doc, path, target) ?? contentStart);
    },
  };
}

/** Offset of the node at `path`, or of its deepest existing ancestor's key. */
function locate(doc: Document.Parsed, path: readonly PathSegment[], target: PositionTarget): number | undefined {
  let node: unknown = doc.contents;
  let keyOffset: number | undefined;
  let best = offsetOf(node);
  for (const segment of path) {
    node = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return best;
      keyOffset = offsetOf(pair.key);
      node = pair.value;
      best = keyOffset ?? best;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) return best;
      keyOffset = undefined;
      node = item;
      best = offsetOf(node) ?? best;
    } else {
      return best;
    }
  }
  if (target === 'key' && keyOffset !== undefined) return keyOffset;
  return offsetOf(node) ?? keyOffset ?? best;
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

function firstAliasOffset(doc: Document.Parsed): number | undefined {
  // Iterative: the document may be exactly the kind that is too big to recurse over.
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isAlias(node)) return offsetOf(node);
    // Pushed last-first so the first alias in document order is found first.
    if (isMap(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]?.value, node.items[i]?.key);
    else if (isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  return undefined;
}

/**
 * The misindented line behind the parser's errors, when they are the kind an
 * indentation mistake produces and such a line sits next to the first of them
 * (the parser often reports the line above the one to fix).
 */
function indentationCause(errors: readonly YAMLError[], source: string, lines: LineCounter): IndentationProblem | undefined {
  const first = errors[0];
  if (first === undefined || !errors.some((e) => INDENTATION_ERROR_CODES.has(e.code))) return undefined;
  const found = indentationProblem(source);
  const reported = lines.linePos(first.pos[0]).line;
  return found !== undefined && found.line >= reported - 1 && found.line <= reported + 2 ? found : undefined;
}

/**
 * A YAML parse error of a config file (not a manifest) as `line L, column C: what
 * is wrong`, in plain words for indentation mistakes.
 * @example describeYamlError(err, text) // 'line 3, column 5: line 3: this line is indented more than …'
 */
export function describeYamlError(err: YAMLError, text: string): { line: number; column: number; message: string } {
  const lines = new LineCounter();
  parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const misindented = indentationCause([err], text, lines);
  if (misindented) return misindented;
  const { line, col } = lines.linePos(err.pos[0]);
  const problem = yamlErrorProblem(err, text, () => ({ file: '', line, column: col }));
  return { line, column: col, message: problem.message };
}

function yamlErrorProblem(e: YAMLError, source: string, posAt: (offset: number) => SourcePosition): Problem {
  const [start] = e.pos;
  const position = posAt(start);
  const firstLine = e.message.split('\n')[0] ?? e.message;
  switch (e.code) {
    case 'TAB_AS_INDENT':
      return { position, path: '', code: 'yaml-tab', message: 'tab character used for indentation; YAML indentation must be spaces' };
    case 'DUPLICATE_KEY': {
      const lineEnd = source.indexOf('\n', start);
      const key = (source.slice(start, lineEnd === -1 ? undefined : lineEnd).split(':')[0] ?? '').trim().slice(0, 60);
      return { position, path: '', code: 'yaml-duplicate-key', message: `key "${key}" appears twice in the same mapping; keep one` };
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return {
        position,
        path: '',
        code: 'yaml-syntax',
        message: `YAML syntax error: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}; a value containing ": " or ending in ":" must be quoted`,
      };
    case 'RESOURCE_EXHAUSTION':
      return { position, path: '', code: 'nesting-too-deep', message: `the document is too large or too deeply nested to read (${firstLine})` };
    default:
      return {
        position,
        path: '',
        code: 'yaml-syntax',
        message: `YAML ${e.name === 'YAMLWarning' ? 'problem' : 'syntax error'}: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`,
      };
  }
}
