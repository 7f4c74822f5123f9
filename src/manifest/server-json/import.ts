/**
 * server.json → MCPServer manifest. What server.json says and the spec can't hold is kept
 * in annotations (see annotations.ts) so that export gives the document back.
 */
import { API_VERSION } from '../resource.ts';
import type { DataClassification, Environment, LifecycleStage, MCPServer, MCPServerSpec, Risk } from '../types.ts';
import { ann, EXTRA_KEY, KEPT_FIELDS, PACKAGES_KEY, REGISTRY_NAME_ANNOTATION, REMOTES_KEY, SOURCE_KEY } from './annotations.ts';
import { assertServerJson } from './check.ts';
import { packageToRuntime } from './package-to-runtime.ts';
import { placeholderImage } from './placeholders.ts';
import { dnsLabelFromRegistryName } from './registry-name.ts';
import { remoteToSpec } from './remote-to-spec.ts';
import { chooseSource, describeEntry, parseSource, type SourceEntry } from './source.ts';
import type { ServerJson } from './types.ts';

/** Values for the Berth fields server.json has no source for. Each default is the conservative one. */
export interface ImportOptions {
  /** default "unassigned" */
  team?: string;
  /** default "dev" */
  environment?: Environment;
  /** default "draft" (not deployed until promoted) */
  lifecycle?: LifecycleStage;
  /** default "high" until someone reviews it */
  risk?: Risk;
  /** default "internal" */
  dataClassification?: DataClassification;
}

/** What {@link importServerJson} returns. */
export interface ImportResult {
  /** A plain MCPServer object, ready to print as YAML. */
  manifest: MCPServer;
  /** What the user must check, fill in or know, one sentence each. */
  notes: string[];
}

/** Top-level fields the mapping uses or keeps by name; any other is an extra. */
const MAPPED_FIELDS = new Set(['name', 'description', 'version', 'packages', 'remotes', ...KEPT_FIELDS.map(([f]) => f)]);

/**
 * Turns a server.json document into an MCPServer manifest. Pure: `notes` says what the
 * user must check or fill in (placeholders, guessed defaults, entries not deployed).
 * Throws {@link ServerJsonError} when `doc` lacks what the mapping needs.
 * @example
 * const { manifest, notes } = importServerJson(JSON.parse(text), { team: 'payments' });
 */
export function importServerJson(doc: unknown, options: ImportOptions = {}): ImportResult {
  assertServerJson(doc);
  const notes: string[] = [];
  const name = dnsLabelFromRegistryName(doc.name);
  notes.push(`metadata.name "${name}" is derived from the registry name ${doc.name}, which is kept in annotation ${REGISTRY_NAME_ANNOTATION}.`);
  const annotations = keptAnnotations(doc, notes);
  const spec = specWithDefaults(doc, options, notes);
  annotations[ann(SOURCE_KEY)] = mapSource(doc, spec, name, notes);
  const manifest: MCPServer = {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name, annotations },
    spec,
  };
  return { manifest, notes };
}

/** Every part of `doc` the spec has no field for, as JSON in annotations, so export can give it back. */
function keptAnnotations(doc: ServerJson, notes: string[]): Record<string, string> {
  const annotations: Record<string, string> = { [REGISTRY_NAME_ANNOTATION]: doc.name };
  for (const [field, key] of KEPT_FIELDS) {
    if (doc[field] !== undefined) annotations[ann(key)] = JSON.stringify(doc[field]);
  }
  const extras = Object.fromEntries(Object.entries(doc).filter(([k]) => !MAPPED_FIELDS.has(k)));
  if (Object.keys(extras).length > 0) {
    annotations[ann(EXTRA_KEY)] = JSON.stringify(extras);
    notes.push(`${Object.keys(extras).join(', ')} ${Object.keys(extras).length === 1 ? 'is' : 'are'} not part of server.json 2025-12-11; kept in annotation ${ann(EXTRA_KEY)}.`);
  }
  if (doc.packages !== undefined) annotations[ann(PACKAGES_KEY)] = JSON.stringify(doc.packages);
  if (doc.remotes !== undefined) annotations[ann(REMOTES_KEY)] = JSON.stringify(doc.remotes);
  return annotations;
}

/** The spec without runtime or remote: what server.json says, plus Berth's fields from `options` or a conservative default. */
function specWithDefaults(doc: ServerJson, options: ImportOptions, notes: string[]): MCPServerSpec {
  const team = options.team ?? 'unassigned';
  const environment = options.environment ?? 'dev';
  const lifecycle = options.lifecycle ?? 'draft';
  const risk = options.risk ?? 'high';
  const dataClassification = options.dataClassification ?? 'internal';
  notes.push(`spec.owner.team is "${team}"${options.team === undefined ? ': server.json has no owner; set the owning team (--team)' : ' (given)'}.`);
  notes.push(`spec.environment is "${environment}"${options.environment === undefined ? ': server.json has no environment (--environment)' : ' (given)'}.`);
  notes.push(`spec.lifecycle is "${lifecycle}": an imported server is not deployed until it is reviewed and promoted.`);
  notes.push(`spec.risk is "${risk}" until someone rates it: server.json says nothing about risk.`);
  notes.push(`spec.dataClassification is "${dataClassification}": server.json says nothing about the data the server reaches; set it.`);
  return {
    description: doc.description,
    owner: { team },
    environment,
    lifecycle,
    risk,
    dataClassification,
    version: doc.version,
  };
}

/**
 * Sets spec.runtime or spec.remote from the one entry a manifest can run, and says which
 * entries are left undeployed. Returns the source, for the annotation export reads.
 */
function mapSource(doc: ServerJson, spec: MCPServerSpec, name: string, notes: string[]): string {
  const source = chooseSource(doc);
  const chosen = parseSource(source);
  if (chosen?.kind === 'packages') {
    spec.runtime = packageToRuntime(doc.packages![chosen.index]!, name, chosen.index, notes);
  } else if (chosen?.kind === 'remotes') {
    spec.remote = remoteToSpec(doc.remotes![chosen.index]!, name, chosen.index, notes);
  } else {
    spec.runtime = { image: placeholderImage(name, doc.version), transport: 'streamable-http' };
    notes.push(`server.json has no packages and no remotes, so there is nothing to run: spec.runtime.image is the placeholder ${spec.runtime.image}; put the server's image there.`);
  }
  if (chosen) notes.push(`spec.${chosen.kind === 'packages' ? 'runtime' : 'remote'} is made from ${describeEntry(doc, chosen.kind, chosen.index)}.`);
  const legacy = spec.runtime?.transport === 'sse' ? 'runtime' : spec.remote?.transport === 'sse' ? 'remote' : undefined;
  if (legacy !== undefined) {
    notes.push(
      `spec.${legacy}.transport is "sse" (legacy HTTP+SSE), which berth validate and the registry refuse because the gateway speaks streamable HTTP only; ` +
        `switch to the server's streamable-HTTP ${legacy === 'runtime' ? 'transport' : 'endpoint'} if it has one, or bridge it to stdio (berth validate says how).`,
    );
  }
  noteUndeployedEntries(doc, chosen, notes);
  return source;
}

function noteUndeployedEntries(doc: ServerJson, chosen: SourceEntry | undefined, notes: string[]): void {
  const others = [
    ...(doc.packages ?? []).map((_, i) => ['packages', i] as const),
    ...(doc.remotes ?? []).map((_, i) => ['remotes', i] as const),
  ].filter(([kind, i]) => !(chosen?.kind === kind && chosen.index === i));
  for (const [kind, i] of others) {
    notes.push(`${describeEntry(doc, kind, i)} is not deployed: a manifest runs one package or one remote. It is kept in annotation ${ann(kind)} and exported again.`);
  }
}
