/**
 * What one write changed, in a few lines a person can read in the audit log:
 * the changed field paths (`spec.runtime.image`, `metadata.labels.team`) with
 * old → new for short values. Secret-looking fields never show a value, only
 * `(changed)`: env values, headers, secret references, any field whose name or
 * value the secret lint flags, and command words it flags — the same fields
 * `redact-secrets.ts` hides from readers, and more. URLs lose their userinfo.
 */
import { redactUserinfo } from '../kit/redact.ts';
import type { Resource } from './resource.ts';
import { argSecretReasons, isSecretLookingName, valueSecretReason } from './secret-lint.ts';

/** At most this many changed paths are listed; the rest are counted. */
export const MAX_CHANGED_PATHS = 20;
/** A shown value longer than this is cut (with `…`). */
export const MAX_VALUE_CHARS = 200;
/** Stands in for a value the audit must not show. */
export const CHANGED = '(changed)';

type Rec = Record<string, unknown>;

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Path segments under which every value is a secret or says where one is. */
const SECRET_SEGMENTS = new Set(['env', 'headers', 'secrets']);
/** Fields holding command words, judged word by word by the secret lint. */
const COMMAND_SEGMENTS = new Set(['args', 'command']);

/** The user-visible, writable parts of an object: what a spec/metadata write can change. */
function writableFields(obj: Resource | undefined): Rec {
  if (!obj) return {};
  const m = obj.metadata;
  const metadata: Rec = {};
  if (m.labels !== undefined) metadata['labels'] = m.labels;
  if (m.annotations !== undefined) metadata['annotations'] = m.annotations;
  if (m.finalizers !== undefined && m.finalizers.length > 0) metadata['finalizers'] = m.finalizers;
  if (m.deletionTimestamp !== undefined) metadata['deletionTimestamp'] = m.deletionTimestamp;
  return { metadata, ...(obj.spec !== undefined ? { spec: obj.spec } : {}) };
}

function isCommandWords(x: unknown): boolean {
  return typeof x === 'string' || (Array.isArray(x) && x.every((w) => typeof w === 'string'));
}

function commandHasSecret(x: unknown): boolean {
  if (x === undefined) return false;
  return argSecretReasons(Array.isArray(x) ? x : [x]).size > 0;
}

function isLeaf(x: unknown): boolean {
  return !isRec(x) && !(Array.isArray(x) && x.some((v) => isRec(v) || Array.isArray(v)));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  if (value === undefined) return '∅';
  const text = typeof value === 'string' ? JSON.stringify(redactUserinfo(value)) : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** True when a value at this path must not be shown. */
function mustHide(path: readonly string[], before: unknown, after: unknown): boolean {
  if (path.some((s) => SECRET_SEGMENTS.has(s) || isSecretLookingName(s))) return true;
  const last = path[path.length - 1];
  if (last !== undefined && COMMAND_SEGMENTS.has(last) && (commandHasSecret(before) || commandHasSecret(after))) return true;
  return [before, after].some((v) => typeof v === 'string' && valueSecretReason(v) !== undefined);
}

function key(segment: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment) ? segment : JSON.stringify(segment);
}

function pathText(path: readonly string[]): string {
  return path.map((s, i) => (/^\[\d+\]$/.test(s) ? s : `${i === 0 ? '' : '.'}${key(s)}`)).join('');
}

function collect(path: string[], before: unknown, after: unknown, out: string[]): void {
  if (sameJson(before, after)) return;
  const last = path[path.length - 1];
  const commandWords = last !== undefined && COMMAND_SEGMENTS.has(last) && (before === undefined || isCommandWords(before)) && (after === undefined || isCommandWords(after));
  if (!commandWords && (isRec(before) || isRec(after)) && (before === undefined || isRec(before)) && (after === undefined || isRec(after))) {
    const b = (before ?? {}) as Rec;
    const a = (after ?? {}) as Rec;
    for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) collect([...path, k], b[k], a[k], out);
    return;
  }
  if (!commandWords && Array.isArray(before) && Array.isArray(after) && !(isLeaf(before) && isLeaf(after))) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) collect([...path, `[${i}]`], before[i], after[i], out);
    return;
  }
  const name = pathText(path);
  if (mustHide(path, before, after)) out.push(`${name}: ${CHANGED}`);
  else if (!isLeaf(before) || !isLeaf(after)) out.push(`${name}: ${CHANGED}`);
  else out.push(`${name}: ${show(before)} → ${show(after)}`);
}

/**
 * The fields a write changed between `before` and `after` (either absent for a
 * create or a removal), one line each, `path: old → new` (`∅` for absent) or
 * `path: (changed)` for secret-looking and structured values; sorted by path,
 * at most {@link MAX_CHANGED_PATHS} lines, then `… and N more`. Only labels,
 * annotations, finalizers, the deletion mark and spec are compared (not status,
 * generation or resourceVersion). Never a secret value.
 * @example changeSummary(oldServer, newServer) // ['spec.runtime.env.CURRENCY: (changed)', 'spec.runtime.image: "img:1" → "img:2"']
 */
export function changeSummary(before: Resource | undefined, after: Resource | undefined): string[] {
  const out: string[] = [];
  collect([], writableFields(before), writableFields(after), out);
  if (out.length <= MAX_CHANGED_PATHS) return out;
  return [...out.slice(0, MAX_CHANGED_PATHS), `… and ${out.length - MAX_CHANGED_PATHS} more`];
}
