/**
 * Notes on what a manifest says that server.json can't carry, so that nobody takes the
 * exported file for the whole truth about the server.
 */
import type { MCPServerSpec } from '../types.ts';
import { isRecord } from './is-record.ts';
import { packageToRuntime } from './package-to-runtime.ts';
import { isPlaceholderSecretArn } from './placeholders.ts';
import type { SourceEntry } from './source.ts';
import type { ServerJsonPackage } from './types.ts';

/**
 * Adds a note for each spec field left out of the export. `packages` is the exported
 * list: a local command that differs from what its package gives is called out, because
 * server.json can't say how to run a package, only how to fetch it.
 */
export function noteWhatIsNotExported(
  spec: MCPServerSpec,
  source: SourceEntry | undefined,
  packages: ServerJsonPackage[] | undefined,
  server: string,
  notes: string[],
): void {
  const dropped = [
    'owner',
    'environment',
    'lifecycle',
    'risk',
    'dataClassification',
    ...(['dataCategories', 'deprecation', 'routing', 'tools', 'defaultScopes', 'access'] as const).filter((k) => spec[k] !== undefined),
  ];
  notes.push(`spec.${dropped.join(', spec.')} ${dropped.length === 1 ? 'has' : 'have'} no place in server.json and ${dropped.length === 1 ? 'is' : 'are'} not exported.`);
  const runtimeOnly = (['cpu', 'memory', 'replicas', 'healthCheck', 'command'] as const).filter((k) => spec.runtime?.[k] !== undefined);
  if (runtimeOnly.length > 0) notes.push(`spec.runtime.${runtimeOnly.join(', spec.runtime.')} ${runtimeOnly.length === 1 ? 'is' : 'are'} deployment settings server.json can't carry; not exported.`);
  const secretRefs = [...(spec.runtime?.secrets ?? []), ...(spec.remote?.headers ?? [])].filter((s) => !isPlaceholderSecretArn(s.valueFrom));
  if (secretRefs.length > 0) notes.push(`secret ARNs (${secretRefs.map((s) => s.name).join(', ')}) are not exported; server.json only says the value is a secret.`);
  if (spec.runtime?.local && source?.kind === 'packages') {
    const scratch: string[] = [];
    const derived = packages?.[source.index] ? packageToRuntime(packages[source.index]!, server, source.index, scratch).local : undefined;
    if (derived !== undefined && !deepEqual(derived, spec.runtime.local)) notes.push('spec.runtime.local changed since import; server.json describes how to fetch the package, so the change is not exported.');
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
