/**
 * Interop with the official MCP Registry `server.json` (schema 2025-12-11).
 *
 * `importServerJson` turns a server.json into an MCPServer manifest; `exportServerJson`
 * turns a manifest back into server.json. Both are pure and return `notes`: one sentence
 * per thing the user must know or do (a placeholder to fill, a field Berth can't hold).
 *
 * Round trip: everything server.json says that the spec has no field for is kept in
 * annotations (`berth.dev/server-json.*`, JSON values), and the package or remote the
 * spec was made from is kept verbatim, so import → export gives back the same document.
 * Export starts from those kept originals and applies what the spec now says, so edits
 * to the manifest (image, transport, env, url) show up in the exported file.
 */
import type { MCPServer, RemoteSpec, RuntimeSpec, SecretRef } from './types.ts';
import { isRecord } from './server-json/is-record.ts';
import { ann, EXTRA_KEY, KEPT_FIELDS, PACKAGES_KEY, REGISTRY_NAME_ANNOTATION, REMOTES_KEY, SOURCE_KEY } from './server-json/annotations.ts';
import { isPlaceholderSecretArn, PLACEHOLDER_IMAGE_REGISTRY } from './server-json/placeholders.ts';
import { dnsLabelFromRegistryName } from './server-json/registry-name.ts';
import { parseSource } from './server-json/source.ts';
import { mapInputs, type EnvMapping } from './server-json/inputs.ts';
import { packageToRuntime } from './server-json/package-to-runtime.ts';
import { SERVER_JSON_SCHEMA_URL, type ServerJson, type ServerJsonKeyValueInput, type ServerJsonPackage, type ServerJsonRemote } from './server-json/types.ts';

export { ServerJsonError } from './server-json/error.ts';
export { importServerJson, type ImportOptions, type ImportResult } from './server-json/import.ts';
export { REGISTRY_NAME_ANNOTATION } from './server-json/annotations.ts';
export { assertServerJson } from './server-json/check.ts';
export * from './server-json/types.ts';

/** What {@link exportServerJson} returns. */
export interface ExportResult {
  serverJson: ServerJson;
  /** Manifest fields server.json can't carry, and anything guessed. */
  notes: string[];
}

function clone<T>(v: T): T {
  return structuredClone(v);
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

// ---------------------------------------------------------------------------
// Export

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

function splitImage(image: string): { repository: string; tag?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) } : { repository: image };
}

function httpUrl(runtime: RuntimeSpec): string {
  return `http://localhost:${runtime.port ?? 8080}${runtime.mcpPath ?? '/mcp'}`;
}

/** Writes the env and secrets of `runtime` into `inputs`, keeping every field it doesn't change. */
function patchInputs(
  inputs: ServerJsonKeyValueInput[] | undefined,
  derived: EnvMapping,
  env: Record<string, string>,
  secrets: SecretRef[],
): ServerJsonKeyValueInput[] | undefined {
  const out = clone(inputs ?? []);
  const byName = new Map(out.map((v) => [v.name, v]));
  for (const [name, value] of Object.entries(env)) {
    const existing = byName.get(name);
    if (!existing) out.push({ name, default: value });
    else if (derived.env[name] !== value) {
      if (existing.value !== undefined) existing.value = value;
      else existing.default = value;
    }
  }
  for (const v of out) {
    if (v.isSecret !== true && derived.env[v.name] !== undefined && env[v.name] === undefined) {
      delete v.value;
      delete v.default;
    }
  }
  for (const s of secrets) if (!byName.has(s.name)) out.push({ name: s.name, isRequired: true, isSecret: true });
  return out.length > 0 || inputs !== undefined ? out : undefined;
}

/** The package for `runtime`, starting from the package it was imported from (if any) and changing only what differs. */
function runtimeToPackage(runtime: RuntimeSpec, base: ServerJsonPackage | undefined, server: string): ServerJsonPackage {
  const scratch: string[] = [];
  const derived = base ? packageToRuntime(base, server, 0, scratch) : undefined;
  const pkg: ServerJsonPackage = base
    ? clone(base)
    : { registryType: 'oci', identifier: runtime.image, transport: { type: runtime.transport } };

  if (base && base.registryType === 'oci' && derived!.image !== runtime.image) {
    const { repository, tag } = splitImage(runtime.image);
    if (base.version !== undefined && tag !== undefined) {
      pkg.identifier = repository;
      pkg.version = tag;
    } else pkg.identifier = runtime.image;
  }
  if (!base || derived!.transport !== runtime.transport) {
    pkg.transport = runtime.transport === 'stdio' ? { type: 'stdio' } : { ...pkg.transport, type: runtime.transport, url: pkg.transport.url ?? httpUrl(runtime) };
    if (runtime.transport === 'stdio') delete pkg.transport.url;
  }
  const derivedEnv: EnvMapping = base ? mapInputs(base.environmentVariables, server, '', '', scratch) : { env: {}, secrets: [] };
  const environmentVariables = patchInputs(base?.environmentVariables, derivedEnv, runtime.env ?? {}, runtime.secrets ?? []);
  if (environmentVariables !== undefined) pkg.environmentVariables = environmentVariables;
  return pkg;
}

/** The remote for `remote`, starting from the remote it was imported from (if any). */
function specToRemote(remote: RemoteSpec, base: ServerJsonRemote | undefined): ServerJsonRemote {
  const out: ServerJsonRemote = base ? clone(base) : { type: remote.transport, url: remote.url };
  out.type = remote.transport;
  out.url = remote.url;
  const known = new Set((out.headers ?? []).map((h) => h.name));
  const added = (remote.headers ?? []).filter((h) => !known.has(h.name));
  if (added.length > 0) out.headers = [...(out.headers ?? []), ...added.map((h) => ({ name: h.name, isRequired: true, isSecret: true }))];
  return out;
}

/**
 * Turns an MCPServer manifest into a server.json document. Fields kept by
 * {@link importServerJson} come back as they were; what the spec now says wins.
 * @example
 * const { serverJson, notes } = exportServerJson(manifest);
 */
export function exportServerJson(manifest: MCPServer): ExportResult {
  const notes: string[] = [];
  const annotations = manifest.metadata.annotations ?? {};
  const spec = manifest.spec;
  const server = manifest.metadata.name;

  let name = annotations[REGISTRY_NAME_ANNOTATION];
  if (name === undefined) {
    name = `dev.berth.${dnsLabelFromRegistryName(spec.owner.team)}/${server}`;
    notes.push(`name: the manifest has no ${REGISTRY_NAME_ANNOTATION} annotation, so the registry name is "${name}"; set the annotation to the reverse-DNS name you publish under.`);
  }
  let description = spec.description;
  if (description === undefined) {
    description = server;
    notes.push('description: spec.description is empty; the server name is used. server.json requires a description.');
  } else if (description.length > 100) {
    notes.push(`description: ${description.length} characters; the MCP Registry accepts at most 100.`);
  }
  let version = spec.version;
  if (version === undefined) {
    version = '0.0.0';
    notes.push('version: spec.version is empty; "0.0.0" is used. server.json requires a version.');
  }

  const kept = new Map<string, unknown>();
  for (const [field, key] of KEPT_FIELDS) {
    const value = readAnnotation(annotations, key, notes);
    if (value !== undefined) kept.set(field, value);
  }
  const extras = readAnnotation(annotations, EXTRA_KEY, notes);
  let packages = readAnnotation(annotations, PACKAGES_KEY, notes) as ServerJsonPackage[] | undefined;
  let remotes = readAnnotation(annotations, REMOTES_KEY, notes) as ServerJsonRemote[] | undefined;
  const source = parseSource(annotations[ann(SOURCE_KEY)]);
  const importedNothing = annotations[ann(SOURCE_KEY)] === 'none';

  if (spec.runtime && !importedNothing) {
    const index = source?.kind === 'packages' ? source.index : undefined;
    const base = index !== undefined ? packages?.[index] : undefined;
    const placeholder = spec.runtime.image.startsWith(`${PLACEHOLDER_IMAGE_REGISTRY}/`);
    packages = [...(packages ?? [])];
    if (index !== undefined && base) packages[index] = runtimeToPackage(spec.runtime, base, server);
    if (!placeholder && (!base || base.registryType !== 'oci')) {
      // The spec now names a real image the imported package didn't have: publish it too.
      packages.push(runtimeToPackage(spec.runtime, undefined, server));
      if (base) notes.push(`packages[${packages.length - 1}]: an oci package for ${spec.runtime.image} is added next to the imported ${base.registryType} package.`);
    } else if (placeholder && !base) {
      notes.push(`packages: spec.runtime.image is still the placeholder ${spec.runtime.image}; no package is exported for it.`);
    }
    if (packages.length === 0) packages = undefined;
  }
  if (spec.remote) {
    const index = source?.kind === 'remotes' ? source.index : undefined;
    const base = index !== undefined ? remotes?.[index] : undefined;
    const remote = specToRemote(spec.remote, base);
    remotes = [...(remotes ?? [])];
    if (index !== undefined && base) remotes[index] = remote;
    else remotes.push(remote);
  }

  const serverJson: ServerJson = {
    ...(kept.has('$schema') ? { $schema: kept.get('$schema') as string } : { $schema: SERVER_JSON_SCHEMA_URL }),
    name,
    ...(kept.has('title') ? { title: kept.get('title') as string } : {}),
    description,
    version,
    ...(kept.has('repository') ? { repository: kept.get('repository') as ServerJson['repository'] } : {}),
    ...(kept.has('websiteUrl') ? { websiteUrl: kept.get('websiteUrl') as string } : {}),
    ...(kept.has('icons') ? { icons: kept.get('icons') as ServerJson['icons'] } : {}),
    ...(packages !== undefined ? { packages } : {}),
    ...(remotes !== undefined ? { remotes } : {}),
    ...(kept.has('_meta') ? { _meta: kept.get('_meta') as Record<string, unknown> } : {}),
    ...(isRecord(extras) ? extras : {}),
  };
  if (!kept.has('$schema')) notes.push(`$schema: set to ${SERVER_JSON_SCHEMA_URL}.`);

  const dropped = [
    'owner',
    'environment',
    'lifecycle',
    'risk',
    'dataClassification',
    ...(['dataCategories', 'deprecation', 'routing', 'tools', 'defaultScopes'] as const).filter((k) => spec[k] !== undefined),
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
  return { serverJson, notes };
}
