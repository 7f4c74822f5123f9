/**
 * Reading request bodies: size limit (413), content type (415), and parsing JSON
 * or YAML with the position of the first syntax error (400). Bodies are never logged.
 */
import { parseDocument } from 'yaml';
import { MAX_ALIAS_COUNT, MAX_NESTING_DEPTH } from '../../manifest/limits.ts';
import { findExcessiveNesting } from '../../manifest/nesting.ts';
import { RegistryError } from '../../client/errors.ts';

/** Largest body the API accepts: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPES = new Set(['application/json', 'application/merge-patch+json']);
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** Options of {@link readObjectBody}. */
export interface ReadBodyOptions {
  /** Byte limit; default {@link MAX_BODY_BYTES}. */
  limit?: number;
}

/**
 * Reads and parses the body of `req` as one JSON or YAML object.
 * Throws 415 for other content types, 413 past the limit (checked against
 * Content-Length first, then while streaming), 400 for syntax errors (with line
 * and column) or a body that is not an object.
 */
export async function readObjectBody(req: Request, opts: ReadBodyOptions = {}): Promise<Record<string, unknown>> {
  const limit = opts.limit ?? MAX_BODY_BYTES;
  const mediaType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = JSON_TYPES.has(mediaType);
  const isYaml = YAML_TYPES.has(mediaType);
  if (!isJson && !isYaml) {
    throw new RegistryError(415, {
      type: 'unsupported-media-type',
      title: 'Unsupported media type',
      detail: `content type ${JSON.stringify(mediaType || '(none)')} is not accepted; send application/json or application/yaml`,
      headers: { 'accept-post': 'application/json, application/yaml' },
    });
  }
  const text = await readText(req, limit);
  const value = isJson ? parseJson(text) : parseYaml(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RegistryError(400, {
      type: 'malformed-body',
      title: 'Malformed body',
      detail: 'the body must be one object (a manifest), not a list, scalar or empty document',
    });
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number): RegistryError {
  return new RegistryError(413, {
    type: 'body-too-large',
    title: 'Request body too large',
    detail: `request bodies are limited to ${limit} bytes; split the manifest or send one object per request`,
  });
}

async function readText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (cause) {
    throw new RegistryError(400, { type: 'malformed-body', title: 'Malformed body', detail: 'the body is not valid UTF-8', cause });
  }
}

/** 1-based line and column of character offset `pos` in `text`. */
function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return { line, column };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const m = /position (\d+)/.exec(message);
    const pos = m ? Number(m[1]) : text.length;
    const { line, column } = lineColumn(text, pos);
    throw new RegistryError(400, {
      type: 'malformed-json',
      title: 'Malformed JSON',
      detail: `the body is not valid JSON at line ${line}, column ${column}: ${message.replace(/ in JSON at position.*$/, '')}`,
      extensions: { line, column },
      cause,
    });
  }
}

function parseYaml(text: string): unknown {
  // The parser recurses per nesting level: 100 000 brackets fit in 1 MiB and cost
  // seconds of blocked event loop before failing on the stack. A linear pre-scan
  // (the one `berth validate` uses) refuses them first.
  const excess = findExcessiveNesting(text);
  if (excess) {
    throw new RegistryError(400, {
      type: 'malformed-yaml',
      title: 'Malformed YAML',
      detail: `the body nests deeper than ${MAX_NESTING_DEPTH} levels at line ${excess.line}, column ${excess.column}; manifests are shallow — look for unclosed brackets or runaway indentation`,
      extensions: { line: excess.line, column: excess.column },
    });
  }
  // maxAliasCount guards against alias bombs ("billion laughs").
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const line = pos?.line ?? 1;
    const column = pos?.col ?? 1;
    throw new RegistryError(400, {
      type: 'malformed-yaml',
      title: 'Malformed YAML',
      detail: `the body is not valid YAML at line ${line}, column ${column}: ${err.message.split('\n')[0]}`,
      extensions: { line, column },
      cause: err,
    });
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    throw new RegistryError(400, {
      type: 'malformed-yaml',
      title: 'Malformed YAML',
      detail: `the body could not be read as YAML: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }
}
