/**
 * Reads back what import kept in annotations. A user may have edited them, so a value that
 * is not valid JSON is left out with a note instead of failing the export.
 */
import { ann, EXTRA_KEY, KEPT_FIELDS, PACKAGES_KEY, REMOTES_KEY } from './annotations.ts';
import { isRecord } from './is-record.ts';
import type { ServerJsonPackage, ServerJsonRemote } from './types.ts';

/** The server.json parts kept by import; each is absent when its annotation is missing or unreadable. */
export interface KeptParts {
  /** Top-level fields by their server.json name (`$schema`, `title`, …). */
  fields: Map<string, unknown>;
  /** Fields outside schema 2025-12-11, as one object. */
  extras: unknown;
  packages: ServerJsonPackage[] | undefined;
  remotes: ServerJsonRemote[] | undefined;
}

/** Every kept part of the original server.json, in the order their notes should appear. */
export function readKeptParts(annotations: Record<string, string>, notes: string[]): KeptParts {
  const fields = new Map<string, unknown>();
  for (const [field, key] of KEPT_FIELDS) {
    const value = readAnnotation(annotations, key, notes);
    if (value !== undefined) fields.set(field, value);
  }
  const extras = readAnnotation(annotations, EXTRA_KEY, notes);
  const packages = readList(annotations, PACKAGES_KEY, notes) as ServerJsonPackage[] | undefined;
  const remotes = readList(annotations, REMOTES_KEY, notes) as ServerJsonRemote[] | undefined;
  return { fields, extras, packages, remotes };
}

/** An annotation that must hold a list of objects (packages, remotes): anything else is left out with a note. */
function readList(annotations: Record<string, string>, key: string, notes: string[]): Record<string, unknown>[] | undefined {
  const value = readAnnotation(annotations, key, notes);
  if (value === undefined || (Array.isArray(value) && value.every(isRecord))) return value;
  notes.push(`annotation ${ann(key)} is not a list of objects; left out.`);
  return undefined;
}

function readAnnotation(annotations: Record<string, string>, key: string, notes: string[]): unknown {
  const raw = annotations[ann(key)];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (cause) {
    notes.push(`annotation ${ann(key)} is not valid JSON (${String(cause)}); left out.`);
    return undefined;
  }
}
