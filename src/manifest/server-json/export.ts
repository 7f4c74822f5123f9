/**
 * MCPServer manifest → server.json. Starts from what import kept (see annotations.ts) and
 * applies what the spec now says, so edits to the manifest show up in the exported file.
 */
import type { MCPServer, MCPServerSpec, RemoteSpec, RuntimeSpec } from '../types.ts';
import { ann, REGISTRY_NAME_ANNOTATION, SOURCE_KEY } from './annotations.ts';
import { isRecord } from './is-record.ts';
import { readKeptParts, type KeptParts } from './kept-annotations.ts';
import { noteWhatIsNotExported } from './not-exported.ts';
import { PLACEHOLDER_IMAGE_REGISTRY } from './placeholders.ts';
import { dnsLabelFromRegistryName } from './registry-name.ts';
import { runtimeToPackage } from './runtime-to-package.ts';
import { parseSource, type SourceEntry } from './source.ts';
import { specToRemote } from './spec-to-remote.ts';
import { SERVER_JSON_SCHEMA_URL, type ServerJson, type ServerJsonPackage, type ServerJsonRemote } from './types.ts';

/** What {@link exportServerJson} returns. */
export interface ExportResult {
  serverJson: ServerJson;
  /** Manifest fields server.json can't carry, and anything guessed. */
  notes: string[];
}

/**
 * Turns an MCPServer manifest into a server.json document. Pure. Fields kept by
 * {@link importServerJson} come back as they were; what the spec now says wins.
 * @example
 * const { serverJson, notes } = exportServerJson(manifest);
 */
export function exportServerJson(manifest: MCPServer): ExportResult {
  const notes: string[] = [];
  const annotations = manifest.metadata.annotations ?? {};
  const spec = manifest.spec;
  const server = manifest.metadata.name;
  const identity = requiredFields(annotations, spec, server, notes);
  const kept = readKeptParts(annotations, notes);
  const source = parseSource(annotations[ann(SOURCE_KEY)]);
  const importedNothing = annotations[ann(SOURCE_KEY)] === 'none';
  const packages = spec.runtime && !importedNothing ? exportPackages(spec.runtime, kept.packages, source, server, notes) : kept.packages;
  const remotes = spec.remote ? exportRemotes(spec.remote, kept.remotes, source) : kept.remotes;
  const serverJson = assemble(identity, kept, packages, remotes);
  if (!kept.fields.has('$schema')) notes.push(`$schema: set to ${SERVER_JSON_SCHEMA_URL}.`);
  noteWhatIsNotExported(spec, source, packages, server, notes);
  return { serverJson, notes };
}

type RequiredFields = Pick<ServerJson, 'name' | 'description' | 'version'>;

/** name, description and version, which server.json requires: taken from the manifest, or made up with a note. */
function requiredFields(annotations: Record<string, string>, spec: MCPServerSpec, server: string, notes: string[]): RequiredFields {
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
  return { name, description, version };
}

/**
 * The kept packages with the runtime written over the one it came from. A real image the
 * imported package didn't have is published too, as an extra oci package; a placeholder image never is.
 */
function exportPackages(
  runtime: RuntimeSpec,
  kept: ServerJsonPackage[] | undefined,
  source: SourceEntry | undefined,
  server: string,
  notes: string[],
): ServerJsonPackage[] | undefined {
  const index = source?.kind === 'packages' ? source.index : undefined;
  const base = index !== undefined ? kept?.[index] : undefined;
  const placeholder = runtime.image.startsWith(`${PLACEHOLDER_IMAGE_REGISTRY}/`);
  const packages = [...(kept ?? [])];
  if (index !== undefined && base) packages[index] = runtimeToPackage(runtime, base, server);
  if (!placeholder && (!base || base.registryType !== 'oci')) {
    packages.push(runtimeToPackage(runtime, undefined, server));
    if (base) notes.push(`packages[${packages.length - 1}]: an oci package for ${runtime.image} is added next to the imported ${base.registryType} package.`);
  } else if (placeholder && !base) {
    notes.push(`packages: spec.runtime.image is still the placeholder ${runtime.image}; no package is exported for it.`);
  }
  return packages.length > 0 ? packages : undefined;
}

/** The kept remotes with the spec's remote written over the one it came from, or added. */
function exportRemotes(remote: RemoteSpec, kept: ServerJsonRemote[] | undefined, source: SourceEntry | undefined): ServerJsonRemote[] {
  const index = source?.kind === 'remotes' ? source.index : undefined;
  const base = index !== undefined ? kept?.[index] : undefined;
  const exported = specToRemote(remote, base);
  const remotes = [...(kept ?? [])];
  if (index !== undefined && base) remotes[index] = exported;
  else remotes.push(exported);
  return remotes;
}

/** The document, in the schema's field order so a round trip gives back the same text. */
function assemble(
  identity: RequiredFields,
  kept: KeptParts,
  packages: ServerJsonPackage[] | undefined,
  remotes: ServerJsonRemote[] | undefined,
): ServerJson {
  const { fields, extras } = kept;
  return {
    ...(fields.has('$schema') ? { $schema: fields.get('$schema') as string } : { $schema: SERVER_JSON_SCHEMA_URL }),
    name: identity.name,
    ...(fields.has('title') ? { title: fields.get('title') as string } : {}),
    description: identity.description,
    version: identity.version,
    ...(fields.has('repository') ? { repository: fields.get('repository') as ServerJson['repository'] } : {}),
    ...(fields.has('websiteUrl') ? { websiteUrl: fields.get('websiteUrl') as string } : {}),
    ...(fields.has('icons') ? { icons: fields.get('icons') as ServerJson['icons'] } : {}),
    ...(packages !== undefined ? { packages } : {}),
    ...(remotes !== undefined ? { remotes } : {}),
    ...(fields.has('_meta') ? { _meta: fields.get('_meta') as Record<string, unknown> } : {}),
    ...(isRecord(extras) ? extras : {}),
  };
}
