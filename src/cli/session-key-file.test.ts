/**
 * Session key files: the formats a key may be written in, rotation order, what
 * is refused (naming the line, never its content), and `berth up`'s own file
 * (created once, mode 0600, read back the same).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.ts';
import { UsageError } from './command.ts';
import { ensureUpSessionKeyFile, readSessionKeyFile, UP_SESSION_KEY_FILE } from './session-key-file.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function folder(): string {
  const { dir, remove } = tempDir('session-keys');
  cleanups.push(remove);
  return dir;
}

function keyFile(text: string): string {
  const file = join(folder(), 'keys');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

describe('readSessionKeyFile', () => {
  it('reads base64 (standard and URL-safe, with or without padding) and hex keys, in order, skipping comments and blank lines', async () => {
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
    const file = keyFile(
      ['# the first seals', keys[0]!.toString('base64'), '', `  ${keys[1]!.toString('base64url')}  `, keys[2]!.toString('hex'), keys[3]!.toString('base64').replace(/=+$/, ''), ''].join('\n'),
    );
    const read = await readSessionKeyFile(file, '--session-key-file');
    expect(read.keys).toEqual(keys);
    expect(read.readableByOthers).toBe(false);
  });

  it('says when others may read the file', async () => {
    const file = keyFile(`${randomBytes(32).toString('base64')}\n`);
    chmodSync(file, 0o644);
    expect((await readSessionKeyFile(file, '--session-key-file')).readableByOthers).toBe(true);
  });

  it('refuses a line that is no key, naming the file and the line but not its content', async () => {
    const secretish = randomBytes(16).toString('base64');
    for (const [text, what] of [
      [`${randomBytes(32).toString('base64')}\n${secretish}\n`, 'line 2 holds 16 bytes'],
      ['# keys\nnot a key!\n', 'line 2 is neither base64 nor hex'],
    ] as const) {
      const file = keyFile(text);
      const err = await readSessionKeyFile(file, '--session-key-file').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toContain(`--session-key-file ${file}: ${what}; a session key is 32 random bytes as base64 or 64 hex digits`);
      expect((err as Error).message).not.toContain(secretish);
    }
  });

  it('refuses a file with no key, and one that cannot be read', async () => {
    const empty = keyFile('# nothing yet\n\n');
    await expect(readSessionKeyFile(empty, '--session-key-file')).rejects.toThrow(`--session-key-file ${empty}: holds no session key`);
    await expect(readSessionKeyFile('/nonexistent/keys', '--session-key-file')).rejects.toThrow('--session-key-file /nonexistent/keys: cannot be read (ENOENT)');
  });
});

describe('ensureUpSessionKeyFile', () => {
  it('creates one key readable only by its owner on first start, and reads the same key afterwards', async () => {
    const dir = folder();
    const first = await ensureUpSessionKeyFile(dir);
    expect(first).toMatchObject({ file: join(dir, UP_SESSION_KEY_FILE), created: true, readableByOthers: false });
    expect(first.keys).toHaveLength(1);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.file, 'utf8')).toContain('--session-key-file');
    const again = await ensureUpSessionKeyFile(dir);
    expect(again.created).toBe(false);
    expect(again.keys).toEqual(first.keys);
  });
});
