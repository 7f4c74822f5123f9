/** env: and file: references on one machine: what they read, and what they refuse to. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretResolver } from './secret-resolver.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, 'secrets');
mkdirSync(join(dir, 'crm'), { recursive: true });
writeFileSync(join(dir, 'crm', 'token'), 'Bearer from-file\n', { mode: 0o600 });
writeFileSync(join(dir, 'crlf'), 'k3y\r\n');
writeFileSync(join(dir, 'two-lines'), 'k3y\n\n');
writeFileSync(join(root, 'outside'), 'not for servers');
symlinkSync(join(root, 'outside'), join(dir, 'sneaky'));

const resolve = createSecretResolver({ env: { BERTH_SECRET_CRM: 'Bearer from-env', BERTH_TOKEN: 'admin!', BERTH_SECRET_EMPTY: '' }, secretsDir: dir });

describe('createSecretResolver', () => {
  it('reads env:BERTH_SECRET_* variables and files under the secrets folder (one trailing newline dropped)', async () => {
    await expect(resolve('env:BERTH_SECRET_CRM')).resolves.toBe('Bearer from-env');
    await expect(resolve('env:BERTH_SECRET_EMPTY')).resolves.toBe('');
    await expect(resolve('file:crm/token')).resolves.toBe('Bearer from-file');
    await expect(resolve('file:crlf')).resolves.toBe('k3y');
    await expect(resolve('file:two-lines')).resolves.toBe('k3y\n');
  });

  it("never reads Berth's own variables, nor files outside the folder", async () => {
    await expect(resolve('env:BERTH_TOKEN')).rejects.toThrow('env: references must name a variable starting with BERTH_SECRET_ (got BERTH_TOKEN)');
    await expect(resolve('env:BERTH_SECRET_')).rejects.toThrow('must name a variable starting with BERTH_SECRET_');
    await expect(resolve('file:../outside')).rejects.toThrow(`file:../outside leaves the secrets folder ${dir}`);
    await expect(resolve(`file:${join(root, 'outside')}`)).rejects.toThrow('leaves the secrets folder');
    await expect(resolve('file:sneaky')).rejects.toThrow(`${join(dir, 'sneaky')} is a link to a file outside the secrets folder`);
  });

  it('says what is missing and how to fix it, never with a value', async () => {
    await expect(resolve('env:BERTH_SECRET_NOPE')).rejects.toThrow('environment variable BERTH_SECRET_NOPE is not set for this Berth process; set it where the gateway runs');
    await expect(resolve('file:crm/nope')).rejects.toThrow(`no file ${join(dir, 'crm', 'nope')}; write the secret there`);
    const noDir = createSecretResolver({ env: {} });
    await expect(noDir('file:crm/token')).rejects.toThrow('file: references are read under a secrets folder and none is set; start Berth with --secrets-dir DIR');
    await expect(noDir('arn:aws:ssm:eu-west-1:123456789012:parameter/x')).rejects.toThrow('this Berth process reads no AWS secrets');
    await expect(noDir('vault:kv/x')).rejects.toThrow('unknown kind of secret reference');
  });

  it('hands arn: references to the AWS resolver', async () => {
    const seen: string[] = [];
    const withAws = createSecretResolver({ env: {}, resolveArn: async (arn) => (seen.push(arn), 'from-aws') });
    await expect(withAws('arn:aws:ssm:eu-west-1:123456789012:parameter/x')).resolves.toBe('from-aws');
    expect(seen).toEqual(['arn:aws:ssm:eu-west-1:123456789012:parameter/x']);
  });
});
