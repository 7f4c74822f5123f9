/**
 * The command that runs a registry package on one machine (npx, uvx, dnx), for the local
 * runtime: server.json says which package to fetch, not how to start it.
 */
import type { ServerJsonArgument, ServerJsonPackage } from './types.ts';

/** The local command that runs a registry package, or undefined for registries with no such runner (mcpb, …). */
export function localCommand(pkg: ServerJsonPackage, where: string, notes: string[]): { command: string; args: string[] } | undefined {
  const versioned = (sep: string): string => (pkg.version !== undefined ? `${pkg.identifier}${sep}${pkg.version}` : pkg.identifier);
  const defaults: Record<string, { command: string; args: string[] }> = {
    npm: { command: 'npx', args: ['-y', versioned('@')] },
    pypi: { command: 'uvx', args: [versioned('==')] },
    nuget: { command: 'dnx', args: [versioned('@'), '--yes'] },
  };
  const base = defaults[pkg.registryType];
  if (!base) return undefined;
  const runtimeArgs = renderArguments(pkg.runtimeArguments, `${where}.runtimeArguments`, notes);
  const packageArgs = renderArguments(pkg.packageArguments, `${where}.packageArguments`, notes);
  // runtimeArguments replace the default runtime flags (e.g. npx's -y) when the publisher gave some.
  const [flags, target] = pkg.registryType === 'nuget' ? [[], base.args] : [base.args.slice(0, -1), base.args.slice(-1)];
  return {
    command: pkg.runtimeHint ?? base.command,
    args: [...(runtimeArgs.length > 0 ? runtimeArgs : flags), ...target, ...packageArgs],
  };
}

/**
 * Arguments with a literal value, rendered for a command line. The rest are left out
 * with a note, because only the user knows what to pass.
 */
export function renderArguments(args: ServerJsonArgument[] | undefined, where: string, notes: string[]): string[] {
  const out: string[] = [];
  const missing: string[] = [];
  for (const a of args ?? []) {
    const value = a.value ?? a.default;
    if (a.type === 'named' && a.name !== undefined) {
      if (value !== undefined) out.push(a.name, value);
      else missing.push(a.name);
    } else if (value !== undefined) out.push(value);
    else missing.push(a.valueHint ?? '(positional)');
  }
  if (missing.length > 0) {
    notes.push(`${where} ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value in server.json and ${missing.length === 1 ? 'was' : 'were'} left out; add ${missing.length === 1 ? 'it' : 'them'} to the command if the server needs ${missing.length === 1 ? 'it' : 'them'}.`);
  }
  return out;
}
