/**
 * A server.json package as a spec.runtime. Only an oci package names an image Berth can
 * deploy; any other package gets a placeholder image and, where there is a runner, a local command.
 */
import type { RuntimeSpec } from '../types.ts';
import { ann, PACKAGES_KEY } from './annotations.ts';
import { mapInputs } from './inputs.ts';
import { localCommand, renderArguments } from './local-command.ts';
import { placeholderImage } from './placeholders.ts';
import type { ServerJsonPackage, ServerJsonTransport } from './types.ts';

/**
 * The runtime a package maps to, with a note for everything the user must fill in.
 * Pure, so export can call it again on the kept package to see what changed since import.
 */
export function packageToRuntime(pkg: ServerJsonPackage, server: string, index: number, notes: string[]): RuntimeSpec {
  const where = `packages[${index}]`;
  const { env, secrets } = mapInputs(pkg.environmentVariables, server, 'spec.runtime.env', 'spec.runtime.secrets', notes);
  const runtime: RuntimeSpec = {
    image: pkg.registryType === 'oci' ? ociImage(pkg) : placeholderImage(server, pkg.version),
    transport: pkg.transport.type,
  };
  const { port, mcpPath } = portAndPath(pkg.transport, notes);
  if (port !== undefined) runtime.port = port;
  if (mcpPath !== undefined) runtime.mcpPath = mcpPath;
  if (Object.keys(env).length > 0) runtime.env = env;
  if (secrets.length > 0) runtime.secrets = secrets;
  if (pkg.registryType === 'oci') addContainerArguments(runtime, pkg, where, notes);
  else addLocalCommand(runtime, pkg, where, notes);
  return runtime;
}

/** `image:tag` of an oci package: the 2025-12-11 identifier carries the tag; older files put it in `version`. */
function ociImage(pkg: ServerJsonPackage): string {
  const lastSegment = pkg.identifier.split('/').at(-1) ?? '';
  if (lastSegment.includes(':') || pkg.identifier.includes('@')) return pkg.identifier;
  return pkg.version !== undefined ? `${pkg.identifier}:${pkg.version}` : pkg.identifier;
}

/** Port and MCP path of a package's HTTP transport URL, when it is a plain URL. */
function portAndPath(transport: ServerJsonTransport, notes: string[]): { port?: number; mcpPath?: string } {
  if (transport.type === 'stdio' || transport.url === undefined) return {};
  if (/\{[^}]*\}/.test(transport.url)) {
    notes.push(`spec.runtime: the package transport URL ${transport.url} is a template; set spec.runtime.port and mcpPath to what the server listens on.`);
    return {};
  }
  try {
    const url = new URL(transport.url);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { port, mcpPath: url.pathname };
  } catch (cause) {
    notes.push(`spec.runtime: the package transport URL ${transport.url} is not a URL (${String(cause)}); set spec.runtime.port.`);
    return {};
  }
}

/** An image's package arguments go to the container; its runtime arguments are docker options Berth decides itself. */
function addContainerArguments(runtime: RuntimeSpec, pkg: ServerJsonPackage, where: string, notes: string[]): void {
  const args = renderArguments(pkg.packageArguments, `${where}.packageArguments`, notes);
  if (args.length > 0) runtime.args = args;
  if ((pkg.runtimeArguments ?? []).length > 0) {
    notes.push(`${where}.runtimeArguments are docker options (${(pkg.runtimeArguments ?? []).map((a) => a.name ?? a.value ?? a.valueHint).join(', ')}); Berth sets the container up itself, so they are not applied (kept in annotation ${ann(PACKAGES_KEY)}).`);
  }
  notes.push(`spec.runtime.local is not set: the local runtime can't start the ${runtime.image} image; add a local command to run it on one machine.`);
}

/** A registry package can run locally as is, but ECS needs an image the user has yet to build. */
function addLocalCommand(runtime: RuntimeSpec, pkg: ServerJsonPackage, where: string, notes: string[]): void {
  const local = localCommand(pkg, where, notes);
  if (local) runtime.local = local;
  else notes.push(`${where}: ${pkg.registryType} packages have no command the local runtime can run; add spec.runtime.local yourself.`);
  notes.push(
    `spec.runtime.image is the placeholder ${runtime.image}: server.json publishes ${where} as a ${pkg.registryType} package, not a container image. ` +
      'Build and push an image that runs it and put its reference there before deploying to ECS.',
  );
}
