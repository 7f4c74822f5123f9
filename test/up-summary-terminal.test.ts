/**
 * `berth up`'s live summary in a real terminal (issue 17 item 5): tmux runs it
 * in an 80- and a 200-column window, and the screen is read back. At 80 columns
 * the summary stays on one row (a wrapped line cannot be rewritten in place and
 * garbles the screen); at 200 it shows more of what is waiting. Six servers
 * whose command fails keep the waiting list long for as long as the test looks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, NODE, REPO, fixtureManifest, killLeftovers, tempDir, waitFor } from './e2e-harness.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) process.stdout.write('[summary] skipped: tmux is not installed (apt-get install tmux)\n');
const scratch = tempDir('summary-tty');
// A tmux server of this file's own, its socket in the temporary folder: two files starting the
// default server at once can leave a session behind a socket the other replaced ("no server running").
const TMUX = ['-S', `${scratch.dir}/tmux.sock`];
const sessions: string[] = [];

afterAll(async () => {
  for (const s of sessions) spawnSync('tmux', [...TMUX, 'kill-session', '-t', s]);
  for (const width of [80, 200]) await killLeftovers(join(scratch.dir, `state-${width}`));
  scratch.remove();
});

/** Six servers named long enough that their waiting entries overflow 200 columns; each crashes at start. */
function crashingManifests(): string {
  const dir = join(scratch.dir, 'manifests');
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= 6; i++) {
    const name = `a-server-with-a-long-name-${i}`;
    writeFileSync(join(dir, `${name}.yaml`), fixtureManifest(name).replace(/args: \[.*\]/, 'args: ["/nonexistent/server.ts"]'));
  }
  return dir;
}

/** The screen of `berth up` in a `width`-column tmux window once the summary lists waiting servers. */
async function screenAt(width: number, manifests: string): Promise<string[]> {
  const session = `berth-summary-${process.pid}-${width}`;
  sessions.push(session);
  const command = [NODE, BIN, 'up', '--state-dir', join(scratch.dir, `state-${width}`), '--registry-port', '0', '--gateway-port', '0', '--examples', manifests]
    .map((a) => `'${a}'`)
    .join(' ');
  execFileSync('tmux', [...TMUX, 'new-session', '-d', '-s', session, '-x', String(width), '-y', '40', '-c', REPO, command]);
  return waitFor(
    `a summary listing waiting servers at ${width} columns`,
    () => {
      const rows = execFileSync('tmux', [...TMUX, 'capture-pane', '-p', '-t', session], { encoding: 'utf8' }).split('\n');
      // Six waiting: too many to list at either width, so the row ends in "+N more" or "6 waiting".
      return rows.some((r) => /0\/6 servers Ready, 0 tools — .*(\+\d+ more|6 waiting)/.test(r)) ? rows : false;
    },
    30_000,
    200,
  );
}

describe.skipIf(!hasTmux)('berth up live summary in a terminal', () => {
  it('stays on one row at 80 columns and uses the room at 200', async () => {
    const manifests = crashingManifests();
    for (const width of [80, 200]) {
      const rows = await screenAt(width, manifests);
      const at = rows.findIndex((r) => /servers Ready/.test(r));
      const summary = rows[at]!;
      process.stdout.write(`[summary ${width} cols] ${summary.trimEnd()}\n`);
      // Nothing wrapped: the summary row is within the width and no text follows it on the next row.
      expect(summary.trimEnd().length).toBeLessThan(width);
      expect(rows.slice(at + 1).every((r) => r.trim() === '')).toBe(true);
      const shown = summary.match(/a-server-with-a-long-name-\d/g) ?? [];
      if (width === 80) expect(shown.length).toBeLessThanOrEqual(1);
      else {
        expect(shown.length).toBeGreaterThanOrEqual(2);
        expect(summary.trimEnd().length).toBeGreaterThan(150);
      }
    }
  }, 60_000);
});
