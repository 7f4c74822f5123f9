/**
 * The README's walkthrough, run as written (issue 17 item 6): every fenced block
 * with the info string `sh walkthrough` is extracted and its commands run, in
 * order, against a fresh `berth up`, and what the README says each prints is
 * checked.
 *
 * The substitutions, documented in the README next to the walkthrough: the
 * commands run in a scratch folder holding a copy of `examples/` (the walkthrough
 * edits `quote.yaml`; the repository's copy stays untouched) and the state folder
 * `.berth` of the `berth up` under test; `npx berth` / `npx node` run the
 * repository's CLI / Node 24; `BERTH_SERVER` and `BERTH_GATEWAY` name that
 * instance's ports (it listens on free ones); `apr_…` stands for the approval id
 * a previous command printed. `berth up` runs with `--sandbox off`: the scratch
 * folder reaches the SDK through a node_modules symlink the sandbox would hide.
 *
 * The README's conventions: a comment line under a command is what it prints
 * (`…` elides; a line starting `#   ` continues the one above); `# exit N` in a
 * command's trailing comment is its exit code (default 0); a trailing comment
 * with "once" marks a command that waits on the reconciler, retried until its
 * output matches.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, NODE, REPO, killLeftovers, startBerthUp, tempDir, type BerthUp } from './e2e-harness.ts';

/** One command of the walkthrough and what the README says about it. */
interface Step {
  /** As written in the README. */
  command: string;
  /** Fragments the output must contain, in order, one list per expected line. */
  expected: string[][];
  exitCode: number;
  /** The command waits on the reconciler: retry until its output matches. */
  eventually: boolean;
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The `sh walkthrough` blocks of `markdown`, as steps. */
function walkthroughSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const block of markdown.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)) {
    let lastExpected: string | undefined;
    for (const line of block[1]!.split('\n')) {
      if (line.trim() === '') continue;
      const step = steps.at(-1);
      if (line.startsWith('#   ') && step !== undefined && lastExpected !== undefined) {
        lastExpected += ` ${line.slice(1)}`;
        step.expected[step.expected.length - 1] = fragments(lastExpected);
      } else if (line.startsWith('# ') && step !== undefined) {
        lastExpected = line.slice(2);
        step.expected.push(fragments(lastExpected));
      } else {
        lastExpected = undefined;
        const m = /^(.*?)\s{2,}# (.*)$/.exec(line);
        const [command, comment] = m === null ? [line, ''] : [m[1]!, m[2]!];
        const exit = /\bexit (\d+)/.exec(comment);
        steps.push({ command: command.trim(), expected: [], exitCode: exit === null ? 0 : Number(exit[1]), eventually: /\bonce\b/.test(comment) });
      }
    }
  }
  return steps;
}

function fragments(expected: string): string[] {
  return expected.split('…').map(norm).filter((f) => f !== '');
}

/** Whether `output` contains every fragment list's fragments in order. */
function matches(output: string, expected: string[][]): boolean {
  const out = norm(output);
  return expected.every((frags) => {
    let at = 0;
    for (const f of frags) {
      const i = out.indexOf(f, at);
      if (i < 0) return false;
      at = i + f.length;
    }
    return true;
  });
}

function run(command: string, cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

describe('README walkthrough', () => {
  const steps = walkthroughSteps(readFileSync(join(REPO, 'README.md'), 'utf8'));
  const scratch = tempDir('walkthrough');
  let up: BerthUp;

  beforeAll(async () => {
    cpSync(join(REPO, 'examples'), join(scratch.dir, 'examples'), { recursive: true });
    // The copied example servers and agent import the SDK: resolve it from the repository.
    symlinkSync(join(REPO, 'node_modules'), join(scratch.dir, 'node_modules'));
    // Unsandboxed: the sandbox shows a server its working folder, not where the node_modules symlink points.
    up = await startBerthUp({ stateDir: join(scratch.dir, '.berth'), cwd: scratch.dir, extraArgs: ['--sandbox', 'off'] });
    await up.waitForLine(/\b([1-9]\d*)\/\1 servers Ready/, 30_000);
  }, 40_000);

  afterAll(async () => {
    await up?.stop();
    await killLeftovers(join(scratch.dir, '.berth'));
    scratch.remove();
  });

  it('finds the marked commands', () => {
    expect(steps.length).toBeGreaterThanOrEqual(15);
    expect(steps.map((s) => s.command)).toContain('npx berth approvals list');
  });

  it('runs every walkthrough command as written and prints what the README shows', async () => {
    const env = { BERTH_SERVER: up.registryUrl, BERTH_GATEWAY: up.gatewayUrl };
    let approvalId: string | undefined;
    for (const step of steps) {
      const command = step.command
        .replaceAll('npx berth', `"${NODE}" "${BIN}"`)
        .replaceAll('npx node', `"${NODE}"`)
        .replace(/apr_\w*…/g, () => approvalId ?? 'apr_missing');
      const deadline = Date.now() + (step.eventually ? 30_000 : 0);
      let result = await run(command, scratch.dir, env);
      while (step.eventually && !(result.code === step.exitCode && matches(result.output, step.expected)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        result = await run(command, scratch.dir, env);
      }
      process.stdout.write(`[walkthrough] exit ${result.code}: ${step.command}\n`);
      const context = `${step.command}\n--- output ---\n${result.output}`;
      expect(result.code, context).toBe(step.exitCode);
      expect(matches(result.output, step.expected), `${context}\n--- expected ---\n${step.expected.map((f) => f.join(' … ')).join('\n')}`).toBe(true);
      approvalId = /\bapr_[A-Za-z0-9_-]+/.exec(result.output)?.[0] ?? approvalId;
    }
  }, 50_000);

  it('leaves the repository copy of quote.yaml untouched (the walkthrough edits its own copy)', () => {
    expect(readFileSync(join(REPO, 'examples/manifests/quote.yaml'), 'utf8')).toContain('CURRENCY: USD');
    expect(readFileSync(join(scratch.dir, 'examples/manifests/quote.yaml'), 'utf8')).toContain('CURRENCY: EUR');
  });
});
