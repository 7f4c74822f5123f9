/**
 * `berth get servers -w` in a real terminal (issue 17's acceptance): tmux runs it
 * in an 80-column window against a real `berth up`; a server applied while it
 * watches shows up as a new row, and no row is wider than the window (tmux's
 * joined capture, which undoes wrapping, has as many rows as the plain one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { BIN, NODE, REPO, startBerthUp, tempDir, waitFor, type BerthUp } from './e2e-harness.ts';
import { mcpServer } from './support/manifests.ts';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) process.stdout.write('[get -w] skipped: tmux is not installed (apt-get install tmux)\n');
const state = tempDir('get-watch-tty');
// A tmux server of this file's own, its socket in the temporary folder: two files starting the
// default server at once can leave a session behind a socket the other replaced ("no server running").
const TMUX = ['-S', `${state.dir}/tmux.sock`];
const session = `berth-get-watch-${process.pid}`;
let up: BerthUp | undefined;

/** A server routed elsewhere (nothing runs locally); its name is as long as the table allows to be readable. */
function remote(name: string) {
  return mcpServer(name, { remote: { url: `https://${name}.mcp.example.com/mcp`, transport: 'streamable-http' } });
}

function capture(joined: boolean): string[] {
  const args = ['capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', session];
  return execFileSync('tmux', [...TMUX, ...args], { encoding: 'utf8' }).replace(/\n+$/, '').split('\n');
}

beforeAll(async () => {
  if (!hasTmux) return;
  up = await startBerthUp({ stateDir: state.dir, examples: false });
  await new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token }).apply(remote('crm-existing'));
}, 60_000);

afterAll(async () => {
  spawnSync('tmux', [...TMUX, 'kill-session', '-t', session]);
  await up?.stop();
  state.remove();
});

describe.skipIf(!hasTmux)('berth get servers -w in a terminal', () => {
  it('prints a row for a server applied while it watches, and nothing wraps at 80 columns', async () => {
    const command = [NODE, BIN, 'get', 'servers', '-w', '--server', up!.registryUrl].map((a) => `'${a}'`).join(' ');
    // The token travels in the session's environment, not on a command line `ps` shows.
    execFileSync('tmux', [...TMUX, 'new-session', '-d', '-s', session, '-x', '80', '-y', '30', '-e', `BERTH_TOKEN=${up!.token}`, '-c', REPO, command]);
    await waitFor('the table with the existing server', () => capture(false).some((r) => r.startsWith('crm-existing')), 20_000, 100);

    const admin = new HttpRegistryClient({ baseUrl: up!.registryUrl, token: up!.token });
    await admin.apply(remote('billing-v2'));
    const long = 'a-server-named-longer-than-the-window-allows-for-its-column';
    await admin.apply(remote(long));
    // Rows keep arriving as the reconciler writes status, so read the screen plainly, joined,
    // and plainly again, and use a reading in which nothing arrived between the plain ones.
    const { rows, joined } = await waitFor('rows for both servers applied while watching, and a screen that held still', () => {
      const now = capture(false);
      const joinedNow = capture(true);
      const again = capture(false);
      const both = now.some((r) => r.startsWith('billing-v2')) && now.some((r) => r.startsWith('a-server-named-'));
      return both && JSON.stringify(now) === JSON.stringify(again) ? { rows: now, joined: joinedNow } : false;
    }, 20_000, 100);

    for (const r of rows) process.stdout.write(`[get -w 80 cols] ${r.trimEnd()}\n`);
    const header = rows[0]!;
    expect(header).toMatch(/^NAME\s+TEAM\s+ENV\s+LIFECYCLE\s+PHASE\s+READY\s+ENDPOINT\s+AGE$/);
    // A name shorter than the table's column: the row keeps the header's columns.
    const added = rows.find((r) => r.startsWith('billing-v2'))!;
    expect(added).toMatch(/^billing-v2\s+platform\s+dev\s+approved-dev\s/);
    expect(added.indexOf('platform')).toBe(header.indexOf('TEAM'));
    expect(added.indexOf('approved-dev')).toBe(header.indexOf('LIFECYCLE'));
    // A name too long for the window is cut, not wrapped, and the rest of its row is still there.
    const cut = rows.find((r) => r.startsWith('a-server-named-'))!;
    expect(cut).toMatch(/^a-server-named-\S*…\s+platform\s+dev\s+approved-dev\s+\S+\s+\S+\s+-\s+\d+s$/);
    expect(rows.join('\n')).not.toContain(long);
    // Nothing wrapped: every row fits, and joining wrapped lines changes nothing.
    for (const r of rows) expect(r.trimEnd().length).toBeLessThanOrEqual(80);
    expect(joined).toEqual(rows);
  }, 60_000);
});
