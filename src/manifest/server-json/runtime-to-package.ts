/**
 * A spec.runtime as a server.json package. Export starts from the package the runtime was
 * imported from and changes only what differs from what import made of it, so fields
 * Berth doesn't map (and the publisher's wording) survive the round trip.
 */
import type { RuntimeSpec, SecretRef } from '../types.ts';
import { mapInputs, type EnvMapping } from './inputs.ts';
import { packageToRuntime } from './package-to-runtime.ts';
import type { ServerJsonKeyValueInput, ServerJsonPackage } from './types.ts';

/**
 * The package for `runtime`: `base` (the package it was imported from) with the changed
 * image, transport and env applied, or a new oci package when there is no base.
 */
export function runtimeToPackage(runtime: RuntimeSpec, base: ServerJsonPackage | undefined, server: string): ServerJsonPackage {
  const scratch: string[] = [];
  const derived = base ? packageToRuntime(base, server, 0, scratch) : undefined;
  const pkg: ServerJsonPackage = base
    ? structuredClone(base)
    : { registryType: 'oci', identifier: runtime.image, transport: { type: runtime.transport } };
  if (base && base.registryType === 'oci' && derived!.image !== runtime.image) setImage(pkg, runtime.image);
  if (!base || derived!.transport !== runtime.transport) setTransport(pkg, runtime);
  const derivedEnv: EnvMapping = base ? mapInputs(base.environmentVariables, server, '', '', scratch) : { env: {}, secrets: [] };
  const environmentVariables = patchInputs(base?.environmentVariables, derivedEnv, runtime.env ?? {}, runtime.secrets ?? []);
  if (environmentVariables !== undefined) pkg.environmentVariables = environmentVariables;
  return pkg;
}

/** Keeps the package's own style: a tag goes in `version` only if the original kept it there. */
function setImage(pkg: ServerJsonPackage, image: string): void {
  const { repository, tag } = splitImage(image);
  if (pkg.version !== undefined && tag !== undefined) {
    pkg.identifier = repository;
    pkg.version = tag;
  } else pkg.identifier = image;
}

function splitImage(image: string): { repository: string; tag?: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repository: image.slice(0, colon), tag: image.slice(colon + 1) } : { repository: image };
}

/** An HTTP transport keeps the original URL (it may be a template); stdio has none. */
function setTransport(pkg: ServerJsonPackage, runtime: RuntimeSpec): void {
  pkg.transport = runtime.transport === 'stdio' ? { type: 'stdio' } : { ...pkg.transport, type: runtime.transport, url: pkg.transport.url ?? httpUrl(runtime) };
  if (runtime.transport === 'stdio') delete pkg.transport.url;
}

function httpUrl(runtime: RuntimeSpec): string {
  return `http://localhost:${runtime.port ?? 8080}${runtime.mcpPath ?? '/mcp'}`;
}

/**
 * Writes the env and secrets of `runtime` into `inputs`, keeping every field it doesn't
 * change. `derived` is what import made of `inputs`: a value equal to it is left as written.
 */
function patchInputs(
  inputs: ServerJsonKeyValueInput[] | undefined,
  derived: EnvMapping,
  env: Record<string, string>,
  secrets: SecretRef[],
): ServerJsonKeyValueInput[] | undefined {
  const out = structuredClone(inputs ?? []);
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
