/**
 * The annotations that carry what server.json says and the spec has no field for, so
 * that export can give back the document import read. Values are JSON text, because
 * annotation values are strings.
 */

/** Annotation holding the full reverse-DNS registry name (`io.github.owner/name`), which metadata.name can't hold. */
export const REGISTRY_NAME_ANNOTATION = 'berth.dev/registry-name';

const SERVER_JSON_ANNOTATION_PREFIX = 'berth.dev/server-json.';

/**
 * Top-level server.json fields kept as they are, and the annotation key each uses
 * (keys must be valid annotation names, so `$schema` and `_meta` are renamed).
 */
export const KEPT_FIELDS: ReadonlyArray<readonly [field: string, key: string]> = [
  ['$schema', 'schema'],
  ['title', 'title'],
  ['repository', 'repository'],
  ['websiteUrl', 'websiteUrl'],
  ['icons', 'icons'],
  ['_meta', 'meta'],
];
/** Key of the kept `packages` array: all of them, not only the one the spec runs. */
export const PACKAGES_KEY = 'packages';
/** Key of the kept `remotes` array: all of them, not only the one the spec reaches. */
export const REMOTES_KEY = 'remotes';
/** Key of the top-level fields that are not part of schema 2025-12-11, kept as one object. */
export const EXTRA_KEY = 'extra';
/** Key of which server.json entry the spec's runtime/remote came from: `packages[i]`, `remotes[i]` or `none` (see source.ts). */
export const SOURCE_KEY = 'source';

/** The annotation name for a key above; every kept field shares one prefix so users can tell them apart. */
export const ann = (key: string): string => `${SERVER_JSON_ANNOTATION_PREFIX}${key}`;
