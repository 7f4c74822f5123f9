/**
 * `berth completion`: the scripts come from the command table and the commands'
 * usage texts, and the bash one completes in a real bash.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagsOf } from '../src/cli/commands/completion.ts';
import { listCommands } from '../src/cli/command-table.ts';
import { cleanupAfterEach, runBerth, tempDir } from './cli-services-harness.ts';

const { later } = cleanupAfterEach();

/** What the bash completion offers for the words typed so far (the last one being completed). */
function bashComplete(script: string, typed: string[]): string[] {
  const words = typed.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `source ${JSON.stringify(script)}; COMP_WORDS=(${words}); COMP_CWORD=${typed.length - 1}; _berth; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '');
}

describe('berth completion bash|zsh|fish', () => {
  it('bash: completes every command and each command\'s documented flags', async () => {
    const { dir, remove } = tempDir('completion');
    later(remove);
    const bash = await runBerth(['completion', 'bash']);
    expect(bash.code, bash.stderr).toBe(0);
    const script = join(dir, 'berth.bash');
    writeFileSync(script, bash.stdout);
    const commands = (await listCommands()).map((c) => c.name);
    expect(commands).toEqual(expect.arrayContaining(['apply', 'can-i', 'completion', 'get', 'rollout']));
    expect(bashComplete(script, ['berth', ''])).toEqual([...commands, 'help', '--version']);
    expect(bashComplete(script, ['berth', 'ro'])).toEqual(['rollout']);
    expect(bashComplete(script, ['berth', 'get', '--no'])).toEqual(['--no-headers']);
    expect(bashComplete(script, ['berth', 'delete', '--d'])).toEqual(['--dry-run']);
    expect(bashComplete(script, ['berth', 'can-i', '--a'])).toEqual(['--agent']);
    // Every flag a command documents is offered for it.
    for (const c of await listCommands()) expect(bashComplete(script, ['berth', c.name, '--'])).toEqual(expect.arrayContaining(flagsOf(c.usage)));
  }, 60_000);

  it('zsh wraps the bash completion in bashcompinit; fish lists commands with summaries and flags per command; other shells are usage errors', async () => {
    const zsh = await runBerth(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^# berth completion for zsh[^\n]*\nautoload -U \+X bashcompinit && bashcompinit\n# berth completion for bash/);
    const fish = await runBerth(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c berth -f -n __fish_use_subcommand -a rollout -d 'restart a server (new process / deployment; retries a failed start)'");
    expect(fish.stdout).toContain("complete -c berth -n '__fish_seen_subcommand_from get' -l no-headers");
    const bad = await runBerth(['completion', 'powershell']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected one shell: bash, zsh, fish');
  }, 30_000);
});
