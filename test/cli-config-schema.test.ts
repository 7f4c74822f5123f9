/**
 * The client's config files (`./.berth/config.json`, `$XDG_CONFIG_HOME/berth/config.json`)
 * are checked against schemas/cli-config.schema.json by the real `berth` binary:
 * a misspelt key is a usage error (exit 2) naming the file and the key with a
 * did-you-mean, never a setting silently ignored; a wrong type names the key;
 * a valid file still takes the CLI to its registry over HTTP.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berth, startRegistry, stop, type RegistryProcess } from './support/berth-process.ts';

describe('the CLI config files are validated', () => {
  let dir: string;
  let reg: RegistryProcess;
  let token: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-config-'));
    reg = await startRegistry(join(dir, 'state'));
    token = (await readFile(join(dir, 'state', 'admin-token'), 'utf8')).trim();
  });
  afterAll(async () => {
    await stop(reg);
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh project folder and config home; only the given files exist. */
  async function project(name: string, files: { user?: unknown; project?: unknown }): Promise<{ cwd: string; env: Record<string, string>; userFile: string; projectFile: string }> {
    const cwd = join(dir, name);
    const home = join(dir, `${name}-home`);
    await mkdir(join(cwd, '.berth'), { recursive: true });
    await mkdir(join(home, 'berth'), { recursive: true });
    const userFile = join(home, 'berth', 'config.json');
    const projectFile = join(cwd, '.berth', 'config.json');
    if (files.user !== undefined) await writeFile(userFile, JSON.stringify(files.user));
    if (files.project !== undefined) await writeFile(projectFile, JSON.stringify(files.project));
    return { cwd, userFile, projectFile, env: { XDG_CONFIG_HOME: home, HOME: home, BERTH_SERVER: '', BERTH_TOKEN: '' } };
  }

  it('a misspelt key in the user config is an error naming the file and the key, with a did-you-mean', async () => {
    const p = await project('typo-user', { user: { sever: reg.url, token } });
    const r = await berth(['get', 'servers'], p.env, p.cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(p.userFile);
    expect(r.stderr).toContain('sever: is not a known setting; did you mean "server"?');
    expect(r.stderr).not.toContain(token);
  });

  it('a misspelt key or a wrong type in the project config names that file and key', async () => {
    const p = await project('typo-project', { project: { server: reg.url, tokn: 'x' } });
    const r = await berth(['get', 'servers'], p.env, p.cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(p.projectFile);
    expect(r.stderr).toContain('tokn: is not a known setting; did you mean "token"?');
    const q = await project('type-project', { project: { server: 8080 } });
    const t = await berth(['get', 'servers'], q.env, q.cwd);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`${q.projectFile} is not a valid berth config`);
    expect(t.stderr).toContain('server: must be string');
  });

  it('a valid user config (with $schema) reaches the registry it names, with its token', async () => {
    const p = await project('valid', { user: { $schema: 'https://berth.dev/schemas/v1alpha1/cli-config.json', server: reg.url, token } });
    const r = await berth(['get', 'servers'], p.env, p.cwd);
    // Exit 0, not 3: the registry took the token (reads need one), so both settings were used.
    expect(r.stderr).toBe('No objects found.\n');
    expect(r.code).toBe(0);
  });
});
