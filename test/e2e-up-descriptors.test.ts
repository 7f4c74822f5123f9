/**
 * The descriptor problem of issue 13, end to end: `berth up` started with 256
 * file descriptors (util-linux `prlimit`), which its gateway shares with the
 * registry, the reconciler and SQLite. 300 sockets that open a connection to
 * the gateway and never send a byte used to take them all. Now the gateway
 * holds at most its derived cap (half of what the limit leaves after 128 for
 * the rest: 64), closes the rest as they come and the held ones after its
 * header timeout, and the registry answers throughout.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API, startBerthUp, tempDir, waitFor } from './e2e-harness.ts';

const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPrlimit)('berth up limited to 256 descriptors (skipped without util-linux prlimit)', () => {
  it('300 idle sockets at its gateway: the gateway holds at most 64, closes them after its 2 s header timeout, and the registry answers throughout', async () => {
    const { dir, remove } = tempDir('descriptors');
    const up = await startBerthUp({ stateDir: dir, examples: false, nofile: 256, extraArgs: ['--header-timeout', '2s'] });
    const sockets: net.Socket[] = [];
    try {
      const pid = up.child.pid!;
      expect(readFileSync(`/proc/${pid}/limits`, 'utf8')).toMatch(/^Max open files\s+256\s+256/m);
      const fds = () => readdirSync(`/proc/${pid}/fd`).length;
      const registryAnswers = async () => {
        const health = await fetch(`${up.registryUrl}/healthz`);
        const list = await fetch(`${up.registryUrl}${API}/mcpservers`, { headers: { authorization: `Bearer ${up.token}` } });
        return health.status === 200 && list.status === 200;
      };
      expect(await registryAnswers()).toBe(true);
      const before = fds();

      const { port } = new URL(up.gatewayUrl);
      for (let i = 0; i < 300; i++) {
        const s = net.connect(Number(port), '127.0.0.1');
        s.on('error', () => undefined);
        sockets.push(s);
      }
      let peak = 0;
      const watch = setInterval(() => (peak = Math.max(peak, fds())), 20);
      try {
        await new Promise((r) => setTimeout(r, 500));
        expect(await registryAnswers()).toBe(true);
        await waitFor('the held sockets closed after the header timeout', () => fds() <= before + 4, 6_000, 50);
        expect(await registryAnswers()).toBe(true);
      } finally {
        clearInterval(watch);
      }
      expect(peak).toBeLessThanOrEqual(before + 64 + 8);
      expect(peak).toBeLessThan(256);
      // The gateway serves again (an unauthenticated caller learns nothing more than 401).
      const answer = await fetch(`${up.gatewayUrl}/mcp/anything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(answer.status).toBe(401);
      const log = readFileSync(join(dir, 'berth.log'), 'utf8');
      expect(log).not.toContain('EMFILE');
      expect(log).toContain('client connections refused: 64 are open (--max-connections)');
      process.stdout.write(`[e2e] berth up with 256 descriptors: ${before} open before 300 idle sockets, at most ${peak} during, back to ${fds()} after\n`);
    } finally {
      for (const s of sockets) s.destroy();
      await up.stop();
      remove();
    }
  }, 60_000);
});
