/**
 * `berth validate` (the real binary) on a manifest folder an attacker prepared:
 * symbolic links leading out of the folder are not followed and are reported by
 * the link's name only; nothing of the target (a fake shadow file, credentials) and
 * nothing of a non-manifest document in the folder appears in the output.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBerth, tempDir } from './cli-services-harness.ts';

const SECRET = 'root:$6$SHADOWHASHsecret';
const MANIFEST = `apiVersion: berth.dev/v1alpha1
kind: AccessPolicy
metadata:
  name: inside
spec:
  subjects: [{ agent: reporter }]
  allow: [reports.read]
`;

describe('berth validate and symbolic links', () => {
  const tmp = tempDir('symlinks');
  afterAll(() => tmp.remove());

  it('refuses links out of the folder by name, follows links inside it, and never prints what they point at', async () => {
    const outside = join(tmp.dir, 'outside');
    const folder = join(tmp.dir, 'manifests');
    mkdirSync(join(outside, 'dir'), { recursive: true });
    mkdirSync(join(folder, 'nested'), { recursive: true });
    writeFileSync(join(outside, 'shadow'), `${SECRET}:19000:0:99999:7:::\nkind: ${SECRET}\n`);
    writeFileSync(join(outside, 'creds.yaml'), `kind: MCPServer\napiVersion: berth.dev/v1alpha1\nmetadata: {name: x}\nspec: {environment: ${'SECRETENV'}}\n`);
    writeFileSync(join(outside, 'dir', 'more.yaml'), `password: ${SECRET}\n`);
    writeFileSync(join(folder, 'nested', 'real.yaml'), MANIFEST);
    symlinkSync(join(outside, 'shadow'), join(folder, 'shadow.yaml'));
    symlinkSync(join(outside, 'creds.yaml'), join(folder, 'creds.yaml'));
    symlinkSync(join(outside, 'dir'), join(folder, 'elsewhere'));
    symlinkSync(join(folder, 'nested', 'real.yaml'), join(folder, 'alias.yaml')); // inside: followed (once)
    // A document in the folder that is not a Berth manifest at all.
    writeFileSync(join(folder, 'k8s-secret.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: ${SECRET}\n`);

    const ran = await runBerth(['validate', folder], { cwd: tmp.dir });
    const out = `${ran.stdout}${ran.stderr}`;
    expect(ran.code).toBe(1);
    expect(out).not.toContain('SHADOWHASH');
    expect(out).not.toContain('SECRETENV');
    expect(out).not.toContain(outside);
    for (const link of ['manifests/shadow.yaml', 'manifests/creds.yaml', 'manifests/elsewhere']) {
      expect(out).toMatch(new RegExp(`${link}:1:1 .*symbolic link to something outside the folder being read, so it was not followed`));
    }
    expect(out).toMatch(/manifests\/k8s-secret\.yaml:2:7 .*kind {2}must be one of MCPServer, AccessPolicy: this document is not a Berth manifest \(its content is not shown\)/);
    expect(out).not.toMatch(/Secret\/db/);
    expect(out).toMatch(/2 files, 2 objects/); // alias.yaml and real.yaml are one file; k8s-secret.yaml is the other
  });

  it('a file given explicitly is read even through a link: the operator named it', async () => {
    const file = join(tmp.dir, 'given.yaml');
    writeFileSync(join(tmp.dir, 'target.yaml'), MANIFEST);
    symlinkSync(join(tmp.dir, 'target.yaml'), file);
    const ran = await runBerth(['validate', file], { cwd: tmp.dir });
    expect(ran.code, ran.stderr).toBe(0);
  });
});
