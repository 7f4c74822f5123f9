/**
 * The command table: every `berth` subcommand is the default export of
 * `commands/<name>.ts` (see command.ts). `bin.ts` dispatches through it and
 * `berth completion` generates shell completion from it, so neither keeps a list.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from './command.ts';

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));

/** The command called `name`, or undefined when there is none (or the name is not a command name). */
export async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name)) return undefined;
  const file = `${commandsDir}${name}.ts`;
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { default: Command };
  return mod.default;
}

/** Every command, sorted by name. */
export async function listCommands(): Promise<Command[]> {
  const names = readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  const cmds = await Promise.all(names.map(loadCommand));
  return cmds.filter((c): c is Command => c !== undefined);
}
