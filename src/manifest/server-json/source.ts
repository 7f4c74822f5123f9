/**
 * A manifest runs one package or one remote, while server.json may list several. The
 * source is the entry the spec was made from, written as `packages[i]`, `remotes[i]` or
 * `none`, so that export puts the edited spec back in the same place.
 */
import type { ServerJson } from './types.ts';

/** A server.json entry the spec can be made from. */
export interface SourceEntry {
  kind: 'packages' | 'remotes';
  index: number;
}

/**
 * Which entry becomes the spec's runtime or remote: an image Berth can run, else a
 * remote (someone else runs it), else any package (the user must build an image).
 */
export function chooseSource(doc: ServerJson): string {
  const packages = doc.packages ?? [];
  const oci = packages.findIndex((p) => p.registryType === 'oci');
  if (oci >= 0) return `packages[${oci}]`;
  if ((doc.remotes ?? []).length > 0) return 'remotes[0]';
  if (packages.length > 0) return 'packages[0]';
  return 'none';
}

/** Reads what {@link chooseSource} wrote; undefined for `none` and for anything a user mangled. */
export function parseSource(source: string | undefined): SourceEntry | undefined {
  const m = /^(packages|remotes)\[(\d+)\]$/.exec(source ?? '');
  return m ? { kind: m[1] as 'packages' | 'remotes', index: Number(m[2]) } : undefined;
}

/** An entry named so the user can find it in the file, e.g. `packages[1] (npm @acme/weather 1.2.0)`. */
export function describeEntry(doc: ServerJson, kind: SourceEntry['kind'], index: number): string {
  if (kind === 'packages') {
    const p = doc.packages![index]!;
    return `packages[${index}] (${p.registryType} ${p.identifier}${p.version !== undefined ? ` ${p.version}` : ''})`;
  }
  const r = doc.remotes![index]!;
  return `remotes[${index}] (${r.type} ${r.url})`;
}
