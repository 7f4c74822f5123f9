/**
 * The ECS environment config is validated like a manifest (issue 17 item 5): its
 * JSON Schema (schemas/ecs-environment.schema.json) knows every key the provider
 * reads, an unknown key is an error with a did-you-mean instead of being ignored,
 * and a misindented file is reported on the line to fix — through the real CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configProblems } from '../src/manifest/config-check.ts';
import { parseEcsEnvironment } from '../src/providers/ecs/index.ts';
import { runBerth, tempDir, REPO } from './cli-services-harness.ts';

const production = (): Record<string, any> => parse(readFileSync(join(REPO, 'infra/environments/production.yaml'), 'utf8'));

/** Every key parseEcsEnvironment reads, each set. */
function everyKey(): Record<string, any> {
  const file = production();
  Object.assign(file.environments.production, { endpointScheme: 'http', rulesPerLoadBalancer: 90, stdioBridgeEntryPoint: ['berth', 'bridge'] });
  return file;
}

describe('ECS environment config schema', () => {
  it('accepts the shipped example and a config setting every key the provider reads', () => {
    expect(configProblems('ecs-environment', production())).toEqual([]);
    expect(configProblems('ecs-environment', everyKey())).toEqual([]);
    expect(parseEcsEnvironment(everyKey(), 'production')).toMatchObject({ endpointScheme: 'http', rulesPerLoadBalancer: 90, maxRetirementFraction: 0.25 });
  });

  it('refuses a misspelt key (it used to be ignored, the default silently used) and suggests the known one', () => {
    const file = everyKey();
    file.environments.production.regoin = file.environments.production.region;
    delete file.environments.production.region;
    expect(() => parseEcsEnvironment(file, 'production', 'berth.config.yaml')).toThrow(
      'berth.config.yaml: environments.production.regoin: is not a known setting; did you mean "region"?',
    );
    const optional = everyKey();
    optional.environments.production.maxRetirementsPerMinut = 5;
    optional.environments.production.listeners[1].dnsname = 'x';
    expect(() => parseEcsEnvironment(optional, 'production')).toThrow(
      /environments\.production\.maxRetirementsPerMinut: is not a known setting; did you mean "maxRetirementsPerMinute"\?; also environments\.production\.listeners\[1\]\.dnsname is not a known setting; did you mean "dnsName"\?/,
    );
    const top = { ...everyKey(), enviroments: {} };
    expect(configProblems('ecs-environment', top, 'unknown-keys')).toEqual([{ path: 'enviroments', message: 'is not a known setting; did you mean "environments"?' }]);
  });

  it('berth reconciler exits 1 naming the file, the unknown key and the fix; and a misindented line by its number', async () => {
    const { dir, remove } = tempDir('ecs-config-schema');
    try {
      const text = readFileSync(join(REPO, 'infra/environments/production.yaml'), 'utf8');
      writeFileSync(join(dir, 'typo.yaml'), text.replace('    region: eu-west-1', '    regoin: eu-west-1'));
      const typo = await runBerth(['reconciler', '--provider', 'ecs', '--environment', 'production', '--config', 'typo.yaml'], { cwd: dir });
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain(`${join(dir, 'typo.yaml')}: environments.production.regoin: is not a known setting; did you mean "region"?`);

      writeFileSync(join(dir, 'indent.yaml'), 'environments:\n  production:\n    installationId: acme\n    region: eu-west-1\n      clusterArn: arn:x\n');
      const indent = await runBerth(['reconciler', '--provider', 'ecs', '--environment', 'production', '--config', 'indent.yaml'], { cwd: dir });
      expect(indent.code).toBe(1);
      expect(indent.stderr).toContain(`${join(dir, 'indent.yaml')}:5:7: is not valid YAML: line 5: this line is indented more than the one above it (line 4)`);
      expect(indent.stderr).not.toMatch(/Nested mappings|Implicit keys/);
    } finally {
      remove();
    }
  });
});
