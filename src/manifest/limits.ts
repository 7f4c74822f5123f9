/**
 * Resource limits for reading manifests. They exist so that a hostile or broken
 * file (a 5 MB dump, a billion-laughs alias bomb, ten thousand nested brackets)
 * fails fast with a clear message instead of eating memory or the stack.
 * Real manifests are a few KiB and nest about eight levels deep.
 */

/** Largest manifest file (or stdin) read, in bytes: 1 MiB. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Deepest nesting of mappings and lists accepted in a document. */
export const MAX_NESTING_DEPTH = 64;

/**
 * Largest number of nodes aliases may expand to, per yaml's `maxAliasCount`
 * (an alias to a node of N nodes counts N). Stops alias bombs while allowing
 * ordinary anchors.
 */
export const MAX_ALIAS_COUNT = 100;
